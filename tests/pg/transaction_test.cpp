// Transactions: commit, rollback, savepoints, dropped ones, and retries on conflicts.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace gale::testing;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;
using gale::pg::Isolation;
using gale::pg::Transaction;

namespace {

struct Table {
  Table(IOLoop& l, Client& c, const std::string& base) : loop(l), pg(c), name(unique_name(base)) {
    run(loop, [&]() -> Future<void> {
      co_await pg.execute("CREATE TABLE " + name + " (id int PRIMARY KEY, v int)");
    });
  }
  ~Table() {
    try {
      run(loop, [&]() -> Future<void> { co_await pg.execute("DROP TABLE IF EXISTS " + name); });
    } catch (...) {
    }
  }
  std::int64_t count() {
    return run(loop, [&]() -> Future<std::int64_t> {
      co_return co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + name);
    });
  }
  IOLoop& loop;
  Client& pg;
  std::string name;
};

// Waits (up to 10 s) until two coroutines have counted themselves in `arrived`; a retry, which
// finds the count already there, goes on at once.
Future<void> both_arrived(const int& arrived) {
  const auto until = gale::Clock::now() + 10s;
  while (arrived < 2 && gale::Clock::now() < until) co_await gale::sleep(5ms);
}

}  // namespace

TEST_CASE("a committed transaction keeps its writes, a rolled back one does not", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=2"));
  Table t(loop, pg, "tx");
  run(loop, [&]() -> Future<void> {
    auto tx = co_await pg.transaction();
    co_await tx.execute("INSERT INTO " + t.name + " VALUES ($1, $2)", 1, 10);
    // Outside the transaction nothing shows yet.
    CHECK(co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + t.name) == 0);
    CHECK(co_await tx.query_value<std::int64_t>("SELECT count(*) FROM " + t.name) == 1);
    co_await tx.commit();
    CHECK_FALSE(tx.active());
    auto tx2 = co_await pg.transaction();
    co_await tx2.execute("INSERT INTO " + t.name + " VALUES (2, 20)");
    co_await tx2.rollback();
  });
  CHECK(t.count() == 1);
}

TEST_CASE("savepoints roll back part of a transaction", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  Table t(loop, pg, "sp");
  run(loop, [&]() -> Future<void> {
    auto tx = co_await pg.transaction({.isolation = Isolation::repeatable_read});
    co_await tx.execute("INSERT INTO " + t.name + " VALUES (1, 1)");
    co_await tx.savepoint("before_dup");
    bool dup = false;
    try {
      co_await tx.execute("INSERT INTO " + t.name + " VALUES (1, 2)");
    } catch (const gale::Error& e) {
      dup = e.kind() == ErrorKind::duplicate;
    }
    CHECK(dup);
    co_await tx.rollback_to("before_dup");
    co_await tx.execute("INSERT INTO " + t.name + " VALUES (2, 2)");
    co_await tx.savepoint("s2");
    co_await tx.release("s2");
    co_await tx.commit();
  });
  CHECK(t.count() == 2);
  CHECK_THROWS_AS(run(loop,
                      [&]() -> Future<void> {
                        auto tx = co_await pg.transaction();
                        co_await tx.savepoint("x; DROP TABLE y");
                      }),
                  gale::Error);
}

TEST_CASE("a transaction dropped mid-way leaves no change behind", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1"));
  Table t(loop, pg, "dropped");
  run(loop, [&]() -> Future<void> {
    {
      auto tx = co_await pg.transaction();
      co_await tx.execute("INSERT INTO " + t.name + " VALUES (1, 1)");
      // tx goes out of scope here without commit or rollback.
    }
    // The one connection comes back once the rollback ran; the row is not there.
    CHECK(co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + t.name) == 0);
  });
  CHECK(t.count() == 0);
}

TEST_CASE("a failed statement makes commit fail and nothing is kept", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  Table t(loop, pg, "failed");
  run(loop, [&]() -> Future<void> {
    auto tx = co_await pg.transaction();
    co_await tx.execute("INSERT INTO " + t.name + " VALUES (1, 1)");
    try {
      co_await tx.query("SELECT 1/0");
    } catch (const gale::Error&) {
    }
    bool commit_failed = false;
    try {
      co_await tx.commit();
    } catch (const gale::Error&) {
      commit_failed = true;
    }
    CHECK(commit_failed);
  });
  CHECK(t.count() == 0);
}

TEST_CASE("read-only transactions refuse writes", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  Table t(loop, pg, "ro");
  run(loop, [&]() -> Future<void> {
    auto tx = co_await pg.transaction({.read_only = true});
    std::string state;
    try {
      co_await tx.execute("INSERT INTO " + t.name + " VALUES (1, 1)");
    } catch (const gale::pg::PgError& e) {
      state = e.sqlstate();
    }
    CHECK(state == "25006");
    co_await tx.rollback();
  });
}

TEST_CASE("run_in_transaction retries serialization failures", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=4"));
  Table t(loop, pg, "serial");
  run(loop,
      [&]() -> Future<void> { co_await pg.execute("INSERT INTO " + t.name + " VALUES (1, 0)"); });
  int attempts = 0;
  int read = 0;
  // Two serializable transactions read then write the same row at once: one must fail with 40001
  // and, retried, succeed. Both increments land.
  auto bump = [&]() -> Future<void> {
    return pg.run_in_transaction(
        [&](Transaction& tx) -> Future<void> {
          ++attempts;
          auto v = co_await tx.query_value<int>("SELECT v FROM " + t.name + " WHERE id = 1");
          ++read;
          co_await both_arrived(read);  // both read the same value before either writes
          co_await tx.execute("UPDATE " + t.name + " SET v = $1 WHERE id = 1", v + 1);
        },
        {.isolation = Isolation::serializable});
  };
  run(loop, [&]() -> Future<void> { co_await gale::gather(bump(), bump()); });
  CHECK(attempts >= 3);
  auto v = run(loop, [&]() -> Future<int> {
    co_return co_await pg.query_value<int>("SELECT v FROM " + t.name + " WHERE id = 1");
  });
  CHECK(v == 2);
}

TEST_CASE("run_in_transaction retries a real deadlock", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=4"));
  Table t(loop, pg, "deadlock");
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("INSERT INTO " + t.name + " VALUES (1, 0), (2, 0)");
  });
  int attempts = 0;
  int holding = 0;
  // Two transactions lock the same two rows in opposite orders: the server breaks the deadlock
  // (40P01) by failing one, which is run again and succeeds. Each waits until both hold their
  // first row, so they deadlock however slowly the machine connects the second one.
  auto cross = [&](int first, int second) -> Future<void> {
    return pg.run_in_transaction([&, first, second](Transaction& tx) -> Future<void> {
      ++attempts;
      co_await tx.execute("UPDATE " + t.name + " SET v = v + 1 WHERE id = $1", first);
      ++holding;
      co_await both_arrived(holding);
      co_await tx.execute("UPDATE " + t.name + " SET v = v + 1 WHERE id = $1", second);
    });
  };
  run(loop, [&]() -> Future<void> { co_await gale::gather(cross(1, 2), cross(2, 1)); });
  CHECK(attempts == 3);
  auto total = run(loop, [&]() -> Future<std::int64_t> {
    co_return co_await pg.query_value<std::int64_t>("SELECT sum(v) FROM " + t.name);
  });
  CHECK(total == 4);
}

TEST_CASE("run_in_transaction gives up after max_attempts with kind conflict", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  int attempts = 0;
  try {
    run(loop, [&]() -> Future<void> {
      co_await pg.run_in_transaction(
          [&](Transaction& tx) -> Future<void> {
            ++attempts;
            co_await tx.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40P01'; END $$");
          },
          {}, 3);
    });
    FAIL("no error");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::conflict);
  }
  CHECK(attempts == 3);
  // Other errors are not retried.
  attempts = 0;
  CHECK_THROWS_AS(run(loop,
                      [&]() -> Future<void> {
                        co_await pg.run_in_transaction([&](Transaction& tx) -> Future<void> {
                          ++attempts;
                          co_await tx.query("SELECT 1/0");
                        });
                      }),
                  gale::Error);
  CHECK(attempts == 1);
}
