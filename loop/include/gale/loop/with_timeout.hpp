// co_await gale::with_timeout(1s, future): the future's result, or Error(timeout) once `timeout`
// has passed. Only the waiting stops: the operation behind `future` goes on (see the cancellation
// model in future.hpp). The operation's failure after the timeout is logged at debug level.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "gale/loop/error.hpp"
#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/loop/log.hpp"

namespace gale {
namespace detail {

Error timeout_error(Clock::duration timeout);

template <class T>
struct TimeoutRace {
  Promise<T> promise;
  TimeoutHandle timer;
};

template <class T>
Future<void> settle_race(Future<T> inner, std::shared_ptr<TimeoutRace<T>> race) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(inner);
      race->timer.cancel();
      if (!race->promise.done()) race->promise.set_value();
    } else {
      auto value = co_await std::move(inner);
      race->timer.cancel();
      if (!race->promise.done()) race->promise.set_value(std::move(value));
    }
  } catch (...) {
    race->timer.cancel();
    if (!race->promise.done()) {
      race->promise.set_exception(std::current_exception());
    } else {
      // The caller was told of the timeout; this is the operation's own end, for debugging.
      log::debug("gale.loop", "with_timeout: the operation failed after its timeout: {}",
                 describe(std::current_exception()));
    }
  }
}

}  // namespace detail

template <class T>
Future<T> with_timeout(Clock::duration timeout, Future<T> future) {
  if (future.done()) return future;
  auto race = std::make_shared<detail::TimeoutRace<T>>();
  Future<T> out = race->promise.get_future();
  race->timer = IOLoop::current().call_later(timeout, [race, timeout] {
    if (!race->promise.done()) race->promise.set_error(detail::timeout_error(timeout));
  });
  (void)detail::settle_race(std::move(future), race);
  return out;
}

}  // namespace gale
