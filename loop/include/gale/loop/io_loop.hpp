// IOLoop: one asio::io_context driving every socket, timer and callback of a thread.
//
//   gale::IOLoop& loop = gale::IOLoop::current();
//   loop.add_callback([] { ... });                // safe from any thread
//   auto h = loop.call_later(250ms, [] { ... }); h.cancel();
//   auto v = co_await loop.run_in_executor([] { return blocking_work(); });
//   loop.set_blocking_log_threshold(50ms);        // warn, with a stack, when a step holds the loop
//   int n = loop.run_sync([]() -> gale::Future<int> { co_return 42; });
//
// Everything but add_callback() and stop() must be called on the loop's own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "gale/loop/error.hpp"
#include "gale/loop/executor.hpp"
#include "gale/loop/future.hpp"
#include "gale/loop/unique_function.hpp"

namespace asio {
class io_context;
}

namespace gale {

using Clock = std::chrono::steady_clock;

class IOLoop;

namespace detail {
struct TimerEntry;
void schedule_resume(std::coroutine_handle<> handle) noexcept;
// Makes `loop` the thread's current loop and returns the one it replaces.
IOLoop* exchange_current_loop(IOLoop* loop) noexcept;
}  // namespace detail

// A pending call_later/call_at. cancel() (on the loop thread) stops it from running; it is harmless
// after the callback ran or on an empty handle.
class TimeoutHandle {
 public:
  TimeoutHandle() noexcept = default;
  explicit TimeoutHandle(detail::TimerEntry* entry) noexcept : entry_(entry) {}
  TimeoutHandle(const TimeoutHandle& other) noexcept;
  TimeoutHandle(TimeoutHandle&& other) noexcept : entry_(std::exchange(other.entry_, nullptr)) {}
  TimeoutHandle& operator=(TimeoutHandle other) noexcept {
    std::swap(entry_, other.entry_);
    return *this;
  }
  ~TimeoutHandle();

  void cancel() noexcept;
  // Scheduled and neither run nor cancelled yet.
  bool pending() const noexcept;

 private:
  detail::TimerEntry* entry_ = nullptr;
};

class IOLoop {
 public:
  // The new loop becomes the thread's current loop; when it goes away, the newest loop still alive
  // on the thread (if any) is current again. Destroy a loop on the thread that made it.
  IOLoop();
  ~IOLoop();
  IOLoop(const IOLoop&) = delete;
  IOLoop& operator=(const IOLoop&) = delete;

  // The thread's current loop, created on first use if the thread has none.
  static IOLoop& current();
  static IOLoop* current_or_null() noexcept;
  void make_current() noexcept;

  // Runs callbacks and I/O until stop(). An exception escaping a callback is logged and the loop
  // goes on. A stop() issued while the loop is not running makes the next start() return at once.
  void start();
  void stop() noexcept;  // any thread
  bool running() const noexcept;
  // True while the loop is being destroyed: add_callback and call_at then drop their callbacks.
  bool closing() const noexcept;
  // Expires when the loop starts closing, before any pending callback or suspended coroutine is
  // destroyed. Work that may outlive the loop (a background cleanup run from a destructor: killing
  // a cursor, rolling back a dropped transaction) holds it, not a reference, and is skipped once it
  // expired, on a loop that is going away or gone; a stopped loop still takes the work.
  std::weak_ptr<const void> alive() const noexcept;

  Clock::time_point time() const noexcept { return Clock::now(); }

  // Runs fn on the loop's next iteration. Safe from any thread. On a closing loop fn is dropped.
  void add_callback(Callback fn);
  // Runs fn at the next iteration; if fn returns a Future, its failure is logged.
  template <class F>
  void spawn_callback(F fn) {
    add_callback([fn = std::move(fn)]() mutable { (void)fn(); });
  }

  // On a closing loop fn is dropped and the handle is empty.
  TimeoutHandle call_later(Clock::duration delay, Callback fn);
  TimeoutHandle call_at(Clock::time_point when, Callback fn);
  std::size_t pending_timers() const noexcept;

  // Runs fn() on the executor's threads (blocking work, CPU-heavy work) and resolves the Future on
  // this loop. Fails with ErrorKind::unavailable when the executor's queue is full.
  template <class F>
  auto run_in_executor(F fn) -> Future<std::invoke_result_t<F&>>;
  Executor& executor();
  // Replaces the default executor (min(32, cores + 4) threads, 1024 queued tasks) by one with these
  // options; call it before the first run_in_executor.
  void configure_executor(Executor::Options options);

  // Logs a warning with the duration and the loop thread's stack when one callback or coroutine
  // step holds the loop longer than `threshold`. Zero disables it.
  void set_blocking_log_threshold(Clock::duration threshold);

  // Runs the loop until the Future returned by fn() is done and returns its result (or throws its
  // error). With a timeout, throws Error(timeout) if it is not done by then.
  template <class F>
  auto run_sync(F&& fn, std::optional<Clock::duration> timeout = std::nullopt);

  // The io_context that drivers open their sockets on.
  asio::io_context& context() noexcept;

  // Per-loop state of the layers above (the web layer's shared HTTPClient): one slot per key, its
  // value destroyed with the loop while the io_context still lives, so that sockets it holds close
  // on a live context. `key` is the address of a static of the caller's.
  std::shared_ptr<void>& local(const void* key);

 private:
  friend void detail::schedule_resume(std::coroutine_handle<> handle) noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool closing_ = false;
};

template <class F>
auto IOLoop::run_in_executor(F fn) -> Future<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  Promise<R> promise;
  Future<R> future = promise.get_future();
  Callback task = [this, fn = std::move(fn), promise = std::move(promise)]() mutable {
    // On an executor thread: compute, then hand the outcome (and the promise) back to the loop.
    std::exception_ptr error;
    std::optional<detail::Stored<R>> value;
    try {
      if constexpr (std::is_void_v<R>) {
        fn();
        value.emplace();
      } else {
        value.emplace(fn());
      }
    } catch (...) {
      error = std::current_exception();
    }
    // Everything moves into the callback: no reference stays behind on this thread.
    add_callback(
        [p = std::move(promise), value = std::move(value), error = std::move(error)]() mutable {
          if (error) {
            p.set_exception(error);
          } else if constexpr (std::is_void_v<R>) {
            p.set_value();
          } else {
            p.set_value(std::move(*value));
          }
        });
  };
  if (!executor().submit(task)) {
    task.reset();  // drops the promise on this thread: the Future is abandoned, quietly
    return make_exceptional_future<R>(Error(ErrorKind::unavailable, executor().full_message()));
  }
  return future;
}

template <class F>
auto IOLoop::run_sync(F&& fn, std::optional<Clock::duration> timeout) {
  IOLoop* previous = detail::exchange_current_loop(this);  // fn() schedules on this loop
  auto future = [&] {
    try {
      return std::forward<F>(fn)();
    } catch (...) {
      detail::exchange_current_loop(previous);
      throw;
    }
  }();
  detail::exchange_current_loop(previous);
  if (!future.done()) {
    auto active = std::make_shared<bool>(true);
    bool timed_out = false;
    TimeoutHandle timer;
    if (timeout)
      timer = call_later(*timeout, [this, &timed_out] {
        timed_out = true;
        stop();
      });
    future.add_done_callback([this, active](const auto&) {
      if (*active) stop();
    });
    start();
    *active = false;
    timer.cancel();
    if (!future.done()) {
      throw Error(timed_out ? ErrorKind::timeout : ErrorKind::internal,
                  timed_out ? "run_sync: the operation timed out"
                            : "run_sync: the loop stopped before the operation finished");
    }
  }
  return std::move(future).operator co_await().await_resume();
}

}  // namespace gale
