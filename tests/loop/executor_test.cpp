#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gale/loop/loop.hpp"

using namespace std::chrono_literals;
using gale::Error;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;

TEST_CASE("run_in_executor runs off the loop and resolves on it", "[executor]") {
  IOLoop loop;
  auto loop_thread = std::this_thread::get_id();
  std::thread::id worker_thread;
  std::thread::id resumed_on;
  int v = loop.run_sync([&]() -> Future<int> {
    int r = co_await loop.run_in_executor([&] {
      worker_thread = std::this_thread::get_id();
      return 6 * 7;
    });
    resumed_on = std::this_thread::get_id();
    co_return r;
  });
  CHECK(v == 42);
  CHECK(worker_thread != loop_thread);
  CHECK(resumed_on == loop_thread);
}

TEST_CASE("run_in_executor carries exceptions and void", "[executor]") {
  IOLoop loop;
  try {
    loop.run_sync([&] {
      return loop.run_in_executor([]() -> int { throw Error(ErrorKind::not_found, "no row"); });
    });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(std::string(e.what()) == "no row");
  }
  bool ran = false;
  loop.run_sync([&] { return loop.run_in_executor([&] { ran = true; }); });
  CHECK(ran);
}

TEST_CASE("many executor tasks all come back with their own result", "[executor]") {
  IOLoop loop;
  loop.configure_executor({.threads = 4, .max_queue = 1000});
  std::vector<Future<long>> futures;
  for (long i = 0; i < 1000; ++i) futures.push_back(loop.run_in_executor([i] { return i * i; }));
  auto results = loop.run_sync([&] { return gale::gather(std::move(futures)); });
  REQUIRE(results.size() == 1000);
  for (long i = 0; i < 1000; ++i) CHECK(results[static_cast<std::size_t>(i)] == i * i);
}

TEST_CASE("a full executor queue fails fast with unavailable", "[executor]") {
  IOLoop loop;
  loop.configure_executor({.threads = 1, .max_queue = 1});
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  bool started = false;
  auto blocker = loop.run_in_executor([&] {
    std::unique_lock lock(m);
    started = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return started; });  // the only thread is now busy
  }
  auto queued = loop.run_in_executor([] { return 1; });  // takes the one queue slot
  auto refused = loop.run_in_executor([] { return 2; });
  REQUIRE(refused.done());
  CHECK(gale::kind_of(refused.exception()) == ErrorKind::unavailable);
  CHECK_THROWS_WITH(refused.result(), Catch::Contains("executor queue is full"));
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  loop.run_sync([&] { return blocker; });
  CHECK(loop.run_sync([&] { return queued; }) == 1);
}

TEST_CASE("Executor refuses a zero queue bound", "[executor]") {
  CHECK_THROWS_AS(gale::Executor({.threads = 1, .max_queue = 0}), Error);
}
