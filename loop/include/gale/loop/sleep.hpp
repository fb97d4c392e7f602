// co_await gale::sleep(10ms): a Future that resolves after `delay` on the current loop.
#pragma once

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"

namespace gale {

inline Future<void> sleep(Clock::duration delay) {
  Promise<void> promise;
  Future<void> future = promise.get_future();
  IOLoop::current().call_later(delay, [p = std::move(promise)]() mutable { p.set_value(); });
  return future;
}

// co_await gale::moment(): yields to the loop once, so that other ready callbacks and I/O run
// before the coroutine goes on (Tornado's gen.moment).
struct moment {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) const noexcept {
    detail::schedule_resume(handle);
  }
  void await_resume() const noexcept {}
};

}  // namespace gale
