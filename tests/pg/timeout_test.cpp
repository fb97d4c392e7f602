// Deadlines: a query past its timeout is cancelled on the server and the connection goes on; a pool
// with no connection free fails at the deadline with a message that says why.
#include <catch2/catch.hpp>

#include "support.hpp"
#include "support/log_capture.hpp"

using namespace gale::testing;
using gale::Clock;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;

TEST_CASE("a query past its timeout is cancelled on the server and the connection stays usable",
          "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1&query_timeout_ms=300"));
  auto started = Clock::now();
  int pid_before = 0;
  try {
    run(loop, [&]() -> Future<void> {
      pid_before = co_await pg.query_value<int>("SELECT pg_backend_pid()");
      co_await pg.query("SELECT pg_sleep(10)");
    });
    FAIL("pg_sleep(10) finished within 300 ms");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::timeout);
    CHECK_THAT(e.what(), Catch::Contains("cancelled on the server"));
  }
  CHECK(Clock::now() - started < 2s);
  // The same connection answers at once: the sleep really was cancelled.
  auto t0 = Clock::now();
  int pid_after = run(loop, [&]() -> Future<int> {
    co_return co_await pg.query_value<int>("SELECT pg_backend_pid()");
  });
  CHECK(Clock::now() - t0 < 1s);
  CHECK(pid_after == pid_before);
  CHECK(pg.pool_stats().connects == 1);
  // And the server runs no pg_sleep for it any more.
  Client observer(pg_uri());
  auto sleeping = run(loop, [&]() -> Future<std::int64_t> {
    co_return co_await observer.query_value<std::int64_t>(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep(10)%' "
        "AND state = 'active'",
        pid_before);
  });
  CHECK(sleeping == 0);
}

TEST_CASE("a timed-out query in a pipeline does not disturb the queries around it", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1&query_timeout_ms=400"));
  run(loop, [&]() -> Future<void> {
    auto before = pg.query_value<int>("SELECT 1");
    auto slow = pg.query_value<int>("SELECT 2 FROM pg_sleep(5)");
    co_await gale::sleep(200ms);
    auto after = pg.query_value<int>("SELECT 3");  // queued behind the slow one
    CHECK(co_await before == 1);
    bool timed_out = false;
    try {
      co_await slow;
    } catch (const gale::Error& e) {
      timed_out = e.kind() == ErrorKind::timeout;
    }
    CHECK(timed_out);
    CHECK(co_await after == 3);  // behind the cancelled one; re-sent if the cancel hit it
  });
}

TEST_CASE("pool exhaustion fails at the deadline with a clear message", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=2&pool_min_size=2&pool_acquire_timeout_ms=400"));
  run(loop, [&]() -> Future<void> {
    // Both connections open first: on a loaded machine a connect alone can take 400 ms.
    for (int i = 0; i < 200 && pg.pool_stats().idle < 2; ++i) co_await gale::sleep(50ms);
    auto tx1 = co_await pg.transaction();
    auto tx2 = co_await pg.transaction();
    auto started = Clock::now();
    std::string message;
    gale::ErrorKind kind = ErrorKind::internal;
    try {
      co_await pg.query("SELECT 1");
    } catch (const gale::Error& e) {
      message = e.what();
      kind = e.kind();
    }
    auto waited = Clock::now() - started;
    CHECK(kind == ErrorKind::unavailable);
    CHECK_THAT(message, Catch::Contains("no PostgreSQL connection free after"));
    // One query waited: the pool's own acquire for the client's queue is not a second one.
    CHECK_THAT(message, Catch::Contains("2 of 2 in use, 0 opening, 1 waiting"));
    CHECK(waited >= 350ms);
    CHECK(waited < 2s);
    // A third transaction fails the same way.
    bool third_failed = false;
    try {
      auto tx3 = co_await pg.transaction();
    } catch (const gale::Error& e) {
      third_failed = e.kind() == ErrorKind::unavailable;
    }
    CHECK(third_failed);
    co_await tx1.commit();
    // Once a connection is back, queries run again.
    CHECK(co_await pg.query_value<int>("SELECT 5") == 5);
    co_await tx2.rollback();
  });
}

TEST_CASE("pool_stats counts the queries waiting for a connection", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1&pool_acquire_timeout_ms=5000"));
  run(loop, [&]() -> Future<void> {
    auto tx = co_await pg.transaction();  // the only connection
    std::vector<Future<int>> queued;
    for (int i = 0; i < 3; ++i) queued.push_back(pg.query_value<int>("SELECT $1::int", i));
    co_await gale::sleep(50ms);
    auto during = pg.pool_stats();
    CHECK(during.waiting == 3);
    CHECK(during.in_use == 1);
    co_await tx.commit();
    auto values = co_await gale::gather(std::move(queued));
    CHECK(values == std::vector<int>{0, 1, 2});
    CHECK(pg.pool_stats().waiting == 0);
  });
}

TEST_CASE("a query waiting for a connection gives way to its own deadline", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1&pool_acquire_timeout_ms=5000&query_timeout_ms=300"));
  run(loop, [&]() -> Future<void> {
    auto tx = co_await pg.transaction();
    bool timed_out = false;
    try {
      co_await pg.query("SELECT 1");
    } catch (const gale::Error& e) {
      timed_out = e.kind() == ErrorKind::timeout;
    }
    CHECK(timed_out);
    co_await tx.rollback();
  });
}

TEST_CASE("timeout(d) gives one query a deadline of its own, in a client and in a transaction",
          "[pg][newuser]") {
  IOLoop loop;
  // The client-wide deadline is long: only the per-query one can end these.
  Client pg(pg_uri_with("pool_max_size=1&query_timeout_ms=60000"));
  gale::testing::LogCapture logs;
  auto outcome = [](auto future) -> Future<std::string> {
    try {
      co_await std::move(future);
      co_return "done";
    } catch (const gale::Error& e) {
      co_return std::string(gale::to_string(e.kind()));
    }
  };
  auto started = Clock::now();
  auto got = run(loop, [&]() -> Future<std::vector<std::string>> {
    std::vector<std::string> out;
    out.push_back(co_await outcome(pg.timeout(300ms).query("SELECT pg_sleep(10)")));
    out.push_back(co_await outcome(pg.timeout(300ms).execute("SELECT pg_sleep(10)")));
    // A query that finishes in time is untouched by its deadline.
    out.push_back(std::to_string(co_await pg.timeout(5s).query_value<int>("SELECT 7")));
    auto tx = co_await pg.transaction();
    out.push_back(co_await outcome(tx.timeout(300ms).query("SELECT pg_sleep(10)")));
    co_return out;
  });
  CHECK(Clock::now() - started < 5s);  // three cancelled 10 s sleeps
  CHECK(got == std::vector<std::string>{"timeout", "timeout", "7", "timeout"});
  // The connection goes on (the sleeps were cancelled on the server), and no deadline was logged
  // at ERROR: a timed-out query is the caller's answer, not the operator's alarm.
  CHECK(run(loop, [&]() -> Future<int> { co_return co_await pg.query_value<int>("SELECT 1"); }) ==
        1);
  CHECK(logs.find("", gale::log::Level::error).empty());
}
