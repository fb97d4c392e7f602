#include <catch2/catch.hpp>

#include <memory>
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

Future<int> answer() {
  co_return 42;
}

Future<int> add_after_yield(int a, int b) {
  co_await gale::moment();
  co_return a + b;
}

Future<int> nested_sum() {
  int x = co_await add_after_yield(1, 2);
  int y = co_await add_after_yield(x, 10);
  co_return x + y + co_await answer();
}

Future<void> fail_with(ErrorKind kind) {
  co_await gale::moment();
  throw Error(kind, "deliberate failure");
}

Future<int> rethrow_through_levels() {
  co_await fail_with(ErrorKind::not_found);
  co_return 1;  // never reached
}

Future<std::string> catch_inner_failure() {
  try {
    co_await fail_with(ErrorKind::conflict);
  } catch (const Error& e) {
    co_return std::string(gale::to_string(e.kind())) + ":" + e.what();
  }
  co_return "not caught";
}

Future<void> void_chain(std::vector<int>& trace) {
  trace.push_back(1);
  co_await gale::moment();
  trace.push_back(2);
  co_await gale::sleep(1ms);
  trace.push_back(3);
}

Future<int> await_promise(Future<int> f, std::vector<std::string>& trace) {
  trace.push_back("waiting");
  int v = co_await f;
  trace.push_back("resumed");
  co_return v;
}

}  // namespace

TEST_CASE("values pass through Futures and nested coroutines", "[future]") {
  IOLoop loop;
  CHECK(loop.run_sync([] { return answer(); }) == 42);
  CHECK(loop.run_sync([] { return nested_sum(); }) == 3 + 13 + 42);
}

TEST_CASE("exceptions pass through nested coroutines with their kind", "[future]") {
  IOLoop loop;
  try {
    loop.run_sync([] { return rethrow_through_levels(); });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(std::string(e.what()) == "deliberate failure");
  }
  CHECK(loop.run_sync([] { return catch_inner_failure(); }) == "conflict:deliberate failure");
}

TEST_CASE("Future<void> coroutines run in order and complete", "[future]") {
  IOLoop loop;
  std::vector<int> trace;
  loop.run_sync([&] { return void_chain(trace); });
  CHECK(trace == std::vector<int>{1, 2, 3});
}

TEST_CASE("a coroutine starts eagerly and runs until its first suspension", "[future]") {
  IOLoop loop;
  std::vector<int> trace;
  Future<void> f = void_chain(trace);
  CHECK(trace == std::vector<int>{1});  // ran before the loop started
  CHECK_FALSE(f.done());
  loop.run_sync([&] { return f; });
  CHECK(trace == std::vector<int>{1, 2, 3});
}

TEST_CASE("a coroutine finishing without suspending gives a done Future", "[future]") {
  IOLoop loop;
  Future<int> f = answer();
  REQUIRE(f.done());
  CHECK(f.result() == 42);
  CHECK(f.exception() == nullptr);
}

TEST_CASE("resolving a Promise resumes its waiter through the loop, not inline", "[future]") {
  IOLoop loop;
  Promise<int> p;
  std::vector<std::string> trace;
  Future<int> waiter = await_promise(p.get_future(), trace);
  CHECK(trace == std::vector<std::string>{"waiting"});
  loop.add_callback([&] {
    p.set_value(7);
    trace.push_back("set_value returned");
  });
  CHECK(loop.run_sync([&] { return waiter; }) == 7);
  CHECK(trace == std::vector<std::string>{"waiting", "set_value returned", "resumed"});
}

TEST_CASE("result() and exception() report state and errors", "[future]") {
  IOLoop loop;
  Promise<int> p;
  Future<int> f = p.get_future();
  CHECK_FALSE(f.done());
  CHECK_THROWS_AS(f.result(), Error);
  CHECK_THROWS_AS(f.exception(), Error);
  p.set_error(Error(ErrorKind::timeout, "slow"));
  REQUIRE(f.done());
  CHECK(gale::kind_of(f.exception()) == ErrorKind::timeout);
  CHECK_THROWS_WITH(f.result(), "slow");
}

TEST_CASE("a Promise resolves once", "[future]") {
  IOLoop loop;
  Promise<int> p;
  p.set_value(1);
  CHECK_THROWS_AS(p.set_value(2), Error);
  CHECK_THROWS_AS(p.set_error(Error(ErrorKind::internal, "late")), Error);
  CHECK(p.get_future().result() == 1);
}

TEST_CASE("an empty Future is refused with a clear error", "[future]") {
  Future<int> f;
  CHECK_FALSE(f.valid());
  CHECK_THROWS_WITH(f.done(), Catch::Contains("empty Future"));
}

TEST_CASE("add_done_callback runs through the loop, also when already done", "[future]") {
  IOLoop loop;
  std::vector<int> seen;
  Future<int> ready = gale::make_ready_future(5);
  ready.add_done_callback([&](const Future<int>& f) { seen.push_back(f.result()); });
  CHECK(seen.empty());  // scheduled, not run inline
  Promise<int> p;
  p.get_future().add_done_callback([&](const Future<int>& f) { seen.push_back(f.result()); });
  loop.add_callback([&] { p.set_value(6); });
  loop.run_sync([] { return gale::sleep(5ms); });
  CHECK(seen == std::vector<int>{5, 6});
}

TEST_CASE("co_await of an rvalue moves a move-only value out", "[future]") {
  IOLoop loop;
  auto make = []() -> Future<std::unique_ptr<int>> {
    co_await gale::moment();
    co_return std::make_unique<int>(9);
  };
  auto consume = [&make]() -> Future<int> {
    std::unique_ptr<int> p = co_await make();
    co_return *p;
  };
  CHECK(loop.run_sync(consume) == 9);
}

TEST_CASE("several coroutines can await one shared Future", "[future]") {
  IOLoop loop;
  Promise<std::string> p;
  Future<std::string> shared = p.get_future();
  auto reader = [](Future<std::string> f) -> Future<std::size_t> {
    const std::string& s = co_await f;
    co_return s.size();
  };
  auto a = reader(shared);
  auto b = reader(shared);
  auto c = reader(shared);
  loop.add_callback([&] { p.set_value("twelve chars"); });
  auto total = loop.run_sync(
      [&]() -> Future<std::size_t> { co_return co_await a + co_await b + co_await c; });
  CHECK(total == 36);
  CHECK(shared.result() == "twelve chars");  // the value was copied, not moved, while shared
}

TEST_CASE("an abandoned Promise fails its waiter instead of leaving it hanging", "[future]") {
  IOLoop loop;
  auto waiter = [](Future<int> f) -> Future<int> { co_return co_await f; };
  Future<int> w;
  {
    Promise<int> p;
    w = waiter(p.get_future());
    loop.add_callback([p = std::move(p)] {});  // dropped unresolved
  }
  try {
    loop.run_sync([&] { return w; });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::internal);
    CHECK_THAT(e.what(), Catch::Contains("abandoned"));
  }
}

TEST_CASE("an unobserved failed Future logs its error, and an observed one does not", "[future]") {
  IOLoop loop;
  gale::testing::LogCapture logs;
  { (void)gale::make_exceptional_future<int>(Error(ErrorKind::conflict, "nobody looked at me")); }
  CHECK(logs.contains("never retrieved: conflict: nobody looked at me", gale::log::Level::error));
  {
    auto f = gale::make_exceptional_future<int>(Error(ErrorKind::conflict, "somebody looked"));
    CHECK(f.exception() != nullptr);
  }
  CHECK_FALSE(logs.contains("somebody looked"));
  // A fire-and-forget coroutine that fails is logged too.
  (void)fail_with(ErrorKind::unavailable);
  loop.run_sync([] { return gale::sleep(2ms); });
  CHECK(logs.contains("never retrieved: unavailable: deliberate failure"));
}

TEST_CASE("a failure handed to a coroutine that a closing loop destroys is not logged",
          "[future]") {
  static const char key = 0;
  struct FailsWhenDestroyed {
    Promise<void> promise;
    ~FailsWhenDestroyed() {
      promise.set_exception(std::make_exception_ptr(Error(ErrorKind::unavailable, "closing now")));
    }
  };
  gale::testing::LogCapture logs;
  {
    IOLoop loop;
    auto holder = std::make_shared<FailsWhenDestroyed>();
    auto waiting = [](Future<void> f) -> Future<void> { co_await std::move(f); };
    auto waiter = waiting(holder->promise.get_future());
    loop.local(&key) = std::move(holder);  // destroyed while the loop closes
    CHECK_FALSE(waiter.done());
  }  // the waiter is woken with the error while the loop closes, and destroyed
  CHECK_FALSE(logs.contains("closing now"));
}

TEST_CASE("100,000 concurrent coroutines on one loop all complete", "[future]") {
  IOLoop loop;
  constexpr int kCount = 100'000;
  Promise<void> gate;
  Future<void> opened = gate.get_future();
  int finished = 0;
  long long sum = 0;
  auto worker = [&](int i) -> Future<void> {
    co_await opened;
    co_await gale::moment();
    sum += i;
    ++finished;
  };
  std::vector<Future<void>> all;
  all.reserve(kCount);
  for (int i = 0; i < kCount; ++i) all.push_back(worker(i));
  CHECK(finished == 0);  // all suspended on the gate
  loop.add_callback([&] { gate.set_value(); });
  loop.run_sync([&] { return gale::gather(std::move(all)); });
  CHECK(finished == kCount);
  CHECK(sum == static_cast<long long>(kCount) * (kCount - 1) / 2);
}

TEST_CASE("destroying a loop destroys the coroutines still suspended on it", "[future]") {
  struct Flag {
    bool* destroyed;
    ~Flag() { *destroyed = true; }
  };
  bool destroyed = false;
  {
    IOLoop loop;
    auto sleeper = [](bool* out) -> Future<void> {
      Flag flag{out};
      co_await gale::sleep(1h);
    };
    (void)sleeper(&destroyed);
    CHECK_FALSE(destroyed);
  }
  CHECK(destroyed);
}
