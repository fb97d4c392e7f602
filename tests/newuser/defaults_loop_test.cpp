// The loop's public async functions, each awaited with every defaulted argument left out, as a new
// user first writes them.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "gale/loop/loop.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;

namespace {
Future<int> later(int v) {
  co_await gale::sleep(1ms);
  co_return v;
}
}  // namespace

TEST_CASE("sleep, with_timeout and gather awaited as written", "[newuser][loop]") {
  IOLoop loop;
  auto got = loop.run_sync([]() -> Future<std::string> {
    co_await gale::sleep(1ms);
    int a = co_await gale::with_timeout(1s, later(1));
    auto [b, c, nothing] = co_await gale::gather(later(2), later(3), gale::sleep(1ms));
    (void)nothing;
    std::vector<Future<int>> many;
    many.push_back(later(4));
    many.push_back(later(5));
    std::vector<int> more = co_await gale::gather(std::move(many));
    co_return std::to_string(a) + std::to_string(b) + std::to_string(c) + std::to_string(more[0]) +
        std::to_string(more[1]);
  });
  CHECK(got == "12345");
}

TEST_CASE("run_in_executor awaited as written", "[newuser][loop]") {
  IOLoop loop;
  auto got = loop.run_sync([&loop]() -> Future<std::string> {
    std::string text = co_await loop.run_in_executor([] { return std::string(1000, 'x'); });
    co_return text;
  });
  CHECK(got == std::string(1000, 'x'));
}

TEST_CASE("a PeriodicCallback with its jitter left out runs until stopped", "[newuser][loop]") {
  IOLoop loop;
  int runs = 0;
  gale::PeriodicCallback tick([&runs] { ++runs; }, 1ms);
  tick.start();
  loop.run_sync([&runs]() -> Future<void> {
    while (runs < 3) co_await gale::sleep(1ms);
  });
  tick.stop();
  CHECK(runs >= 3);
}
