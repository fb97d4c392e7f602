// PeriodicCallback: calls fn every `period` on the current loop, as Tornado's does. Runs that fall
// behind are skipped to get back on schedule; if fn returns a Future, the next run waits for it.
// Optional jitter (0..1) spreads the runs of many processes.
#pragma once

#include <chrono>
#include <memory>
#include <type_traits>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/loop/unique_function.hpp"

namespace gale {

class PeriodicCallback {
 public:
  template <class F>
  PeriodicCallback(F fn, Clock::duration period, double jitter = 0.0)
      : PeriodicCallback(wrap(std::move(fn)), period, jitter, Tag{}) {}
  ~PeriodicCallback();
  PeriodicCallback(const PeriodicCallback&) = delete;
  PeriodicCallback& operator=(const PeriodicCallback&) = delete;

  void start();
  void stop() noexcept;
  bool is_running() const noexcept;

 private:
  struct Tag {};
  struct State;
  using Step = UniqueFunction<Future<void>()>;

  template <class F>
  static Step wrap(F fn) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&>, Future<void>>) {
      return Step(std::move(fn));
    } else {
      return Step([fn = std::move(fn)]() mutable {
        fn();
        return Future<void>();
      });
    }
  }
  PeriodicCallback(Step step, Clock::duration period, double jitter, Tag);

  std::shared_ptr<State> state_;
};

}  // namespace gale
