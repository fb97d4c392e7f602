#pragma once
// stop_when: runs a loop until `ready()` holds (or 10 s pass), checking every 20 ms from a timer,
// then stops it: start() returns with whatever still waits on the loop left suspended, as at the
// end of a main(). For the tests of objects that outlive their loop's run (loop_exit_test.cpp).

#include <chrono>
#include <functional>
#include <memory>

#include "gale/loop/loop.hpp"

namespace gale::testing {

inline void stop_when(IOLoop& loop, std::function<bool()> ready) {
  using namespace std::chrono_literals;
  const auto until = Clock::now() + 10s;
  auto check = std::make_shared<Callback>();
  *check = [&loop, ready, until, weak = std::weak_ptr<Callback>(check)] {
    if (ready() || Clock::now() > until) {
      loop.stop();
    } else if (auto again = weak.lock()) {
      loop.call_later(20ms, [again] { (*again)(); });
    }
  };
  loop.call_later(20ms, [check] { (*check)(); });
  loop.start();
}

}  // namespace gale::testing
