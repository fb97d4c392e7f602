#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
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

TEST_CASE("the newest loop is current until it goes away", "[io_loop]") {
  std::thread([&] {
    IOLoop& lazily_made = IOLoop::current();
    {
      IOLoop first;
      CHECK(IOLoop::current_or_null() == &first);
      {
        IOLoop second;
        CHECK(IOLoop::current_or_null() == &second);
      }
      CHECK(IOLoop::current_or_null() == &first);
      auto out_of_order = std::make_unique<IOLoop>();
      IOLoop third;
      out_of_order.reset();  // not the current one: nothing changes
      CHECK(IOLoop::current_or_null() == &third);
    }
    CHECK(IOLoop::current_or_null() == &lazily_made);
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

TEST_CASE("run_sync schedules on its own loop even when another one is current", "[io_loop]") {
  bool done = false;
  std::thread([&] {
    IOLoop other;
    IOLoop newer;                                         // current now
    other.run_sync([] { return gale::sleep(5ms); }, 5s);  // the timer must go on `other`
    CHECK(IOLoop::current_or_null() == &newer);           // and `newer` is current again
    done = true;
  }).join();
  CHECK(done);
}
