#include <catch2/catch.hpp>

#include <thread>

#include "gale/loop/loop.hpp"
#include "support/log_capture.hpp"

using namespace std::chrono_literals;
using gale::IOLoop;

// Exported (-rdynamic) and not inlined, so that it shows by name in the watchdog's stack.
void gale_test_block_the_loop(std::chrono::milliseconds d);
[[gnu::noinline]] void gale_test_block_the_loop(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
  asm volatile("" ::: "memory");
}

TEST_CASE("the watchdog logs a blocking callback with the loop thread's stack", "[watchdog]") {
  IOLoop loop;
  gale::testing::LogCapture logs;
  loop.set_blocking_log_threshold(50ms);
  loop.add_callback([] { gale_test_block_the_loop(300ms); });
  loop.run_sync([] { return gale::sleep(20ms); });
  std::string line = logs.find("IOLoop blocked for", gale::log::Level::warning);
  REQUIRE_FALSE(line.empty());
  CHECK_THAT(line, Catch::Contains("threshold 50 ms"));
  CHECK_THAT(line, Catch::Contains("gale_test_block_the_loop"));
  CHECK(logs.count("IOLoop blocked for") == 1);  // one report per blocking step
}

TEST_CASE("the watchdog sees a blocking coroutine step", "[watchdog]") {
  IOLoop loop;
  gale::testing::LogCapture logs;
  loop.set_blocking_log_threshold(40ms);
  loop.run_sync([]() -> gale::Future<void> {
    co_await gale::moment();
    gale_test_block_the_loop(250ms);
  });
  CHECK(logs.contains("gale_test_block_the_loop", gale::log::Level::warning));
}

TEST_CASE("an idle loop waiting for a timer is not reported", "[watchdog]") {
  IOLoop loop;
  gale::testing::LogCapture logs;
  loop.set_blocking_log_threshold(30ms);
  loop.run_sync([] { return gale::sleep(300ms); });
  CHECK_FALSE(logs.contains("IOLoop blocked"));
}

TEST_CASE("the watchdog is off by default and can be switched off", "[watchdog]") {
  IOLoop loop;
  gale::testing::LogCapture logs;
  loop.add_callback([] { gale_test_block_the_loop(150ms); });
  loop.run_sync([] { return gale::sleep(1ms); });
  loop.set_blocking_log_threshold(30ms);
  loop.set_blocking_log_threshold(0ms);
  loop.add_callback([] { gale_test_block_the_loop(150ms); });
  loop.run_sync([] { return gale::sleep(1ms); });
  CHECK_FALSE(logs.contains("IOLoop blocked"));
}
