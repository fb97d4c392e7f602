#include <catch2/catch.hpp>

#include <vector>

#include "gale/loop/loop.hpp"

using namespace std::chrono_literals;
using gale::Clock;
using gale::IOLoop;

TEST_CASE("timers fire in deadline order, ties in the order they were added", "[timer]") {
  IOLoop loop;
  std::vector<int> order;
  auto now = Clock::now();
  loop.call_at(now + 30ms, [&] { order.push_back(30); });
  loop.call_at(now + 10ms, [&] { order.push_back(10); });
  loop.call_at(now + 20ms, [&] { order.push_back(20); });
  for (int i = 0; i < 5; ++i) loop.call_at(now + 15ms, [&order, i] { order.push_back(150 + i); });
  loop.call_at(now + 40ms, [&] { loop.stop(); });
  loop.start();
  CHECK(order == std::vector<int>{10, 150, 151, 152, 153, 154, 20, 30});
}

TEST_CASE("call_later never fires early", "[timer]") {
  IOLoop loop;
  auto start = Clock::now();
  Clock::time_point fired;
  loop.call_later(25ms, [&] {
    fired = Clock::now();
    loop.stop();
  });
  loop.start();
  CHECK(fired - start >= 25ms);
}

TEST_CASE("a cancelled timer does not run and leaves the queue", "[timer]") {
  IOLoop loop;
  bool ran = false;
  auto h = loop.call_later(5ms, [&] { ran = true; });
  CHECK(h.pending());
  CHECK(loop.pending_timers() == 1);
  h.cancel();
  CHECK_FALSE(h.pending());
  CHECK(loop.pending_timers() == 0);
  loop.run_sync([] { return gale::sleep(20ms); });
  CHECK_FALSE(ran);
  h.cancel();  // harmless twice
}

TEST_CASE("a timer can cancel another one due in the same batch", "[timer]") {
  IOLoop loop;
  std::vector<int> order;
  auto now = Clock::now();
  gale::TimeoutHandle second;
  loop.call_at(now + 5ms, [&] {
    order.push_back(1);
    second.cancel();
  });
  second = loop.call_at(now + 5ms, [&] { order.push_back(2); });
  loop.call_at(now + 5ms, [&] { order.push_back(3); });
  loop.run_sync([] { return gale::sleep(30ms); });
  CHECK(order == std::vector<int>{1, 3});
}

TEST_CASE("a handle outlives its timer and cancel after it ran is harmless", "[timer]") {
  IOLoop loop;
  int runs = 0;
  auto h = loop.call_later(1ms, [&] { ++runs; });
  loop.run_sync([] { return gale::sleep(10ms); });
  CHECK(runs == 1);
  CHECK_FALSE(h.pending());
  h.cancel();
  CHECK(runs == 1);
}

TEST_CASE("many timers scheduled and cancelled keep the heap consistent", "[timer]") {
  IOLoop loop;
  std::vector<gale::TimeoutHandle> handles;
  std::vector<int> fired;
  auto base = Clock::now() + 5ms;
  for (int i = 0; i < 2000; ++i) {
    int slot = (i * 7919) % 2000;  // deadlines in a scrambled order
    handles.push_back(loop.call_at(base + std::chrono::microseconds(slot * 5),
                                   [&fired, slot] { fired.push_back(slot); }));
  }
  for (int i = 0; i < 2000; i += 3) handles[static_cast<std::size_t>(i)].cancel();
  loop.run_sync([] { return gale::sleep(40ms); });
  CHECK(fired.size() == 2000 - 667);
  CHECK(std::is_sorted(fired.begin(), fired.end()));
  CHECK(loop.pending_timers() == 0);
}
