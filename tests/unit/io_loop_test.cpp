#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "gale/loop/loop.hpp"
#include "support/log_capture.hpp"

using namespace std::chrono_literals;
using gale::IOLoop;

TEST_CASE("add_callback runs callbacks in the order they were added", "[io_loop]") {
  IOLoop loop;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) loop.add_callback([&order, i] { order.push_back(i); });
  loop.add_callback([&] { loop.stop(); });
  loop.start();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("add_callback from 8 threads at once loses nothing", "[io_loop]") {
  IOLoop loop;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20'000;
  std::vector<int> last(kThreads, -1);
  int total = 0;
  bool in_order = true;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kPerThread; ++i) {
        loop.add_callback([&, t, i] {
          in_order = in_order && last[t] == i - 1;  // runs on the loop thread only
          last[t] = i;
          if (++total == kThreads * kPerThread) loop.stop();
        });
      }
    });
  }
  loop.add_callback([&] { go = true; });
  loop.start();
  for (auto& th : threads) th.join();
  CHECK(total == kThreads * kPerThread);
  CHECK(in_order);
}

TEST_CASE("stop() before start() makes start() return at once", "[io_loop]") {
  IOLoop loop;
  bool ran = false;
  loop.add_callback([&] { ran = true; });
  loop.stop();
  loop.start();
  CHECK_FALSE(ran);
  loop.run_sync([] { return gale::sleep(1ms); });  // the loop works afterwards
  CHECK(ran);
}

TEST_CASE("start() while running is refused", "[io_loop]") {
  IOLoop loop;
  bool refused = false;
  loop.add_callback([&] {
    try {
      loop.start();
    } catch (const gale::Error& e) {
      refused = e.kind() == gale::ErrorKind::internal;
    }
    loop.stop();
  });
  loop.start();
  CHECK(refused);
}

TEST_CASE("an exception escaping a callback is logged and the loop goes on", "[io_loop]") {
  IOLoop loop;
  gale::testing::LogCapture logs;
  bool after = false;
  loop.add_callback([] { throw std::runtime_error("callback exploded"); });
  loop.add_callback([&] {
    after = true;
    loop.stop();
  });
  loop.start();
  CHECK(after);
  CHECK(logs.contains("exception in callback: exception: callback exploded",
                      gale::log::Level::error));
}

TEST_CASE("current() gives one loop per thread", "[io_loop]") {
  IOLoop& here = IOLoop::current();
  CHECK(&IOLoop::current() == &here);
  IOLoop* there = nullptr;
  std::thread([&] { there = &IOLoop::current(); }).join();
  CHECK(there != &here);
}

TEST_CASE("a new loop becomes current only where there is none", "[io_loop]") {
  IOLoop* outer_current = nullptr;
  IOLoop* inner_current = nullptr;
  IOLoop* after = nullptr;
  std::thread([&] {
    IOLoop first;
    outer_current = IOLoop::current_or_null();
    {
      IOLoop second;
      inner_current = IOLoop::current_or_null();
    }
    after = IOLoop::current_or_null();
    CHECK(outer_current == &first);
    CHECK(inner_current == &first);
    CHECK(after == &first);
  }).join();
}

TEST_CASE("run_sync with a timeout throws a timeout Error", "[io_loop]") {
  IOLoop loop;
  try {
    loop.run_sync([] { return gale::sleep(10s); }, 20ms);
    FAIL("no exception");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == gale::ErrorKind::timeout);
  }
  // The abandoned wait does not stop a later run.
  CHECK(loop.run_sync([]() -> gale::Future<int> { co_return 3; }) == 3);
}
