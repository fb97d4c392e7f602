// Polling with a deadline, on the loop (the fault tests never sleep to pass).
#pragma once

#include <chrono>
#include <functional>

#include "gale/loop/loop.hpp"

namespace fault {

// Polls `done` every 10 ms until it holds or `limit` passes; true if it held.
inline gale::Future<bool> until(std::function<bool()> done, gale::Clock::duration limit) {
  auto deadline = gale::Clock::now() + limit;
  while (!done()) {
    if (gale::Clock::now() >= deadline) co_return false;
    co_await gale::sleep(std::chrono::milliseconds(10));
  }
  co_return true;
}

}  // namespace fault
