#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "gale/loop/loop.hpp"

using namespace std::chrono_literals;
using gale::IOLoop;

TEST_CASE("PeriodicCallback runs repeatedly until stopped", "[periodic]") {
  IOLoop loop;
  int runs = 0;
  gale::PeriodicCallback pc([&] { ++runs; }, 5ms);
  CHECK_FALSE(pc.is_running());
  pc.start();
  CHECK(pc.is_running());
  loop.run_sync(
      [&]() -> gale::Future<void> {
        while (runs < 5) co_await gale::sleep(1ms);
      },
      5s);
  pc.stop();
  int at_stop = runs;
  loop.run_sync([] { return gale::sleep(30ms); });
  CHECK(runs == at_stop);
}

TEST_CASE("PeriodicCallback skips runs it fell behind on", "[periodic]") {
  IOLoop loop;
  constexpr auto kPeriod = 10ms;
  std::vector<gale::Clock::time_point> runs;
  gale::Clock::time_point block_end;
  gale::PeriodicCallback pc(
      [&] {
        runs.push_back(gale::Clock::now());
        if (runs.size() == 1) {
          std::this_thread::sleep_for(200ms);  // misses about 20 periods at once
          block_end = gale::Clock::now();
        }
      },
      kPeriod);
  pc.start();
  loop.run_sync([&]() -> gale::Future<void> {
    while (runs.empty() || gale::Clock::now() - block_end < 60ms) co_await gale::sleep(1ms);
  }, 10s);
  pc.stop();
  auto elapsed = gale::Clock::now() - block_end;
  auto after_block = static_cast<long>(runs.size()) - 1;
  // Skipping runs at most once per period of real time after the block; catching up would add
  // the ~20 missed runs back to back.
  CHECK(after_block >= 1);
  CHECK(after_block <= elapsed / kPeriod + 3);
}

TEST_CASE("a coroutine PeriodicCallback waits for each run to finish", "[periodic]") {
  IOLoop loop;
  int active = 0;
  int max_active = 0;
  int runs = 0;
  gale::PeriodicCallback pc(
      [&]() -> gale::Future<void> {
        max_active = std::max(max_active, ++active);
        co_await gale::sleep(15ms);  // longer than the period
        --active;
        ++runs;
      },
      2ms);
  pc.start();
  loop.run_sync(
      [&]() -> gale::Future<void> {
        while (runs < 3) co_await gale::sleep(1ms);
      },
      5s);
  pc.stop();
  CHECK(max_active == 1);
}

TEST_CASE("a failing PeriodicCallback is logged and keeps running", "[periodic]") {
  IOLoop loop;
  int runs = 0;
  gale::PeriodicCallback pc(
      [&] {
        ++runs;
        throw gale::Error(gale::ErrorKind::internal, "tick failed");
      },
      2ms);
  pc.start();
  loop.run_sync(
      [&]() -> gale::Future<void> {
        while (runs < 3) co_await gale::sleep(1ms);
      },
      5s);
  CHECK(runs >= 3);
}

TEST_CASE("PeriodicCallback refuses a period that is not positive", "[periodic]") {
  CHECK_THROWS_AS(gale::PeriodicCallback([] {}, 0ms), gale::Error);
}
