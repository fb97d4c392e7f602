#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gale/loop/loop.hpp"
#include "support/log_capture.hpp"

using namespace std::chrono_literals;
using gale::Error;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::Promise;

namespace {
Future<int> later(int v, std::chrono::milliseconds d) {
  co_await gale::sleep(d);
  co_return v;
}
Future<void> fail_later(std::chrono::milliseconds d) {
  co_await gale::sleep(d);
  throw Error(ErrorKind::unavailable, "down");
}
}  // namespace

TEST_CASE("gather over a vector keeps the order of its inputs", "[gather]") {
  IOLoop loop;
  std::vector<Future<int>> fs;
  fs.push_back(later(1, 15ms));
  fs.push_back(later(2, 1ms));
  fs.push_back(later(3, 8ms));
  auto out = loop.run_sync([&] { return gale::gather(std::move(fs)); });
  CHECK(out == std::vector<int>{1, 2, 3});
}

TEST_CASE("gather over a parameter pack gives a tuple", "[gather]") {
  IOLoop loop;
  auto word = []() -> Future<std::string> {
    co_await gale::moment();
    co_return "two";
  };
  auto [a, b, c] =
      loop.run_sync([&] { return gale::gather(later(1, 2ms), word(), gale::sleep(1ms)); });
  CHECK(a == 1);
  CHECK(b == "two");
  CHECK(c == gale::Unit{});
}

TEST_CASE("gather of nothing is done at once", "[gather]") {
  IOLoop loop;
  auto empty = gale::gather(std::vector<Future<int>>{});
  REQUIRE(empty.done());
  CHECK(empty.result().empty());
  CHECK(gale::gather(std::vector<Future<void>>{}).done());
}

// One outage fails every part of a gather: the caller gets the first failure, and the later ones
// make one debug line (with their count) once the last part settles, not an ERROR line each.
TEST_CASE("the first failure fails gather at once, and later ones are logged once", "[gather]") {
  IOLoop loop;
  gale::testing::LogCapture logs;
  const auto level = gale::log::level();
  gale::log::set_level(gale::log::Level::debug);
  Promise<void> slow;
  Promise<void> also_fails;
  Promise<void> fails_too;
  std::vector<Future<void>> fs;
  fs.push_back(slow.get_future());
  fs.push_back(fail_later(1ms));
  fs.push_back(also_fails.get_future());
  fs.push_back(fails_too.get_future());
  auto all = gale::gather(std::move(fs));
  try {
    loop.run_sync([&] { return all; });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
  }
  CHECK_FALSE(slow.done());  // the gather did not wait for it
  also_fails.set_error(Error(ErrorKind::timeout, "second failure"));
  fails_too.set_error(Error(ErrorKind::timeout, "third failure"));
  loop.run_sync([] { return gale::sleep(2ms); });
  CHECK(logs.count("after the first failure") == 0);  // not before the last part settles
  slow.set_value();
  loop.run_sync([] { return gale::sleep(2ms); });
  gale::log::set_level(level);
  CHECK(logs.count("after the first failure") == 1);
  CHECK(
      logs.contains("2 more operation(s) failed after the first failure: timeout: second failure"));
  CHECK_FALSE(logs.contains("after the first failure", gale::log::Level::info));
}
