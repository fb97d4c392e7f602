#include <catch2/catch.hpp>

#include "gale/loop/loop.hpp"
#include "support/log_capture.hpp"

using namespace std::chrono_literals;
using gale::Error;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::Promise;

TEST_CASE("with_timeout gives the result when it comes in time", "[with_timeout]") {
  IOLoop loop;
  auto v = loop.run_sync([]() -> Future<int> {
    co_return co_await gale::with_timeout(1s, []() -> Future<int> {
      co_await gale::sleep(2ms);
      co_return 5;
    }());
  });
  CHECK(v == 5);
  CHECK(loop.pending_timers() == 0);  // the timeout timer was cancelled
}

TEST_CASE("with_timeout fails with a timeout Error naming the deadline", "[with_timeout]") {
  IOLoop loop;
  Promise<int> never;
  try {
    loop.run_sync([&] { return gale::with_timeout(20ms, never.get_future()); });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::timeout);
    CHECK(std::string(e.what()) == "timed out after 20 ms");
  }
  CHECK_FALSE(never.done());  // only the waiting stopped
}

TEST_CASE("with_timeout passes errors through", "[with_timeout]") {
  IOLoop loop;
  auto failing = []() -> Future<void> {
    co_await gale::moment();
    throw Error(ErrorKind::forbidden, "no");
  };
  try {
    loop.run_sync([&] { return gale::with_timeout(1s, failing()); });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::forbidden);
  }
}

// The caller gave up at the timeout and was told; the operation's own failure later (a query
// timing out on a dead database) is one debug line, not an ERROR line for every timed-out request.
TEST_CASE("a failure after the timeout is logged at debug, not lost", "[with_timeout]") {
  IOLoop loop;
  gale::testing::LogCapture logs;
  const auto level = gale::log::level();
  gale::log::set_level(gale::log::Level::debug);
  Promise<int> late;
  auto timed = gale::with_timeout(5ms, late.get_future());
  CHECK_THROWS_AS(loop.run_sync([&] { return timed; }), Error);
  late.set_error(Error(ErrorKind::unavailable, "failed too late"));
  loop.run_sync([] { return gale::sleep(2ms); });
  gale::log::set_level(level);
  CHECK(
      logs.contains("with_timeout: the operation failed after its timeout: unavailable: "
                    "failed too late"));
  CHECK_FALSE(logs.contains("failed too late", gale::log::Level::info));
}
