// Queries, errors and their kinds, the statement cache, pipelining and many concurrent coroutines.
#include <catch2/catch.hpp>

#include <set>

#include "support.hpp"
#include "support/log_capture.hpp"

using namespace gale::testing;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;
using gale::pg::PgError;

namespace {

template <class F>
PgError pg_error_of(IOLoop& loop, F fn) {
  try {
    run(loop, fn);
  } catch (const PgError& e) {
    return e;
  }
  FAIL("no PgError was thrown");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("query, execute, query_one and query_value", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  auto table = unique_name("notes");
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, title text, done bool)");
    for (int i = 1; i <= 5; ++i) {
      co_await pg.execute("INSERT INTO " + table + " VALUES ($1, $2, false)", i,
                          "note " + std::to_string(i));
    }
    auto changed = co_await pg.execute("UPDATE " + table + " SET done = $1 WHERE id > $2", true, 2);
    CHECK(changed == 3);
    auto rows = co_await pg.query("SELECT id, title FROM " + table + " ORDER BY id");
    CHECK(rows.size() == 5);
    CHECK(rows.to_json()[4] == nlohmann::json{{"id", 5}, {"title", "note 5"}});
    int seen = 0;
    for (auto row : rows) seen += row["id"].as<int>();
    CHECK(seen == 15);
    auto one = co_await pg.query_one("SELECT title FROM " + table + " WHERE id = $1", 3);
    REQUIRE(one.has_value());
    CHECK((*one)["title"].as<std::string>() == "note 3");
    auto none = co_await pg.query_one("SELECT title FROM " + table + " WHERE id = $1", 99);
    CHECK_FALSE(none.has_value());
    CHECK(co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + table + " WHERE done") ==
          3);
    auto missing = co_await pg.query_value<std::optional<std::string>>(
        "SELECT title FROM " + table + " WHERE id = $1", 99);
    CHECK_FALSE(missing.has_value());
    bool not_found = false;
    try {
      (void)co_await pg.query_value<std::string>("SELECT title FROM " + table + " WHERE id = 99");
    } catch (const gale::Error& e) {
      not_found = e.kind() == ErrorKind::not_found;
    }
    CHECK(not_found);
    co_await pg.execute_script("CREATE INDEX ON " + table + " (title); UPDATE " + table +
                               " SET title = 'x' WHERE id = 1; ");
    CHECK(co_await pg.query_value<std::string>("SELECT title FROM " + table + " WHERE id = 1") ==
          "x");
    co_await pg.execute("DROP TABLE " + table);
  });
}

TEST_CASE("bad SQL gives a PgError with its SQLSTATE", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  auto e = pg_error_of(loop, [&]() -> Future<void> { co_await pg.query("SELEC 1"); });
  CHECK(e.sqlstate() == "42601");
  CHECK(e.kind() == ErrorKind::internal);
  CHECK_THAT(e.what(), Catch::Contains("syntax error"));
  auto missing = pg_error_of(loop, [&]() -> Future<void> {
    co_await pg.query("SELECT * FROM no_such_table_at_all WHERE id = $1", 1);
  });
  CHECK(missing.sqlstate() == "42P01");
  // The same client goes on working.
  CHECK(run(loop, [&]() -> Future<int> { co_return co_await pg.query_value<int>("SELECT 7"); }) ==
        7);
}

TEST_CASE("constraint violations and bad input map to their kinds", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  auto parent = unique_name("parent");
  auto child = unique_name("child");
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("CREATE TABLE " + parent + " (id int PRIMARY KEY, name text NOT NULL)");
    co_await pg.execute("CREATE TABLE " + child + " (id int PRIMARY KEY, parent int REFERENCES " +
                        parent + " (id))");
    co_await pg.execute("INSERT INTO " + parent + " VALUES (1, 'one')");
  });
  auto dup = pg_error_of(loop, [&]() -> Future<void> {
    co_await pg.execute("INSERT INTO " + parent + " VALUES ($1, $2)", 1, "again");
  });
  CHECK(dup.kind() == ErrorKind::duplicate);
  CHECK(dup.sqlstate() == "23505");
  CHECK(dup.constraint() == parent + "_pkey");
  CHECK(dup.table() == parent);
  CHECK_THAT(dup.detail(), Catch::Contains("already exists"));
  auto fk = pg_error_of(loop, [&]() -> Future<void> {
    co_await pg.execute("INSERT INTO " + child + " VALUES (1, 42)");
  });
  CHECK(fk.kind() == ErrorKind::invalid_argument);
  CHECK(fk.sqlstate() == "23503");
  auto nn = pg_error_of(loop, [&]() -> Future<void> {
    co_await pg.execute("INSERT INTO " + parent + " VALUES (2, $1)", nullptr);
  });
  CHECK(nn.kind() == ErrorKind::invalid_argument);
  CHECK(nn.sqlstate() == "23502");
  CHECK(nn.column() == "name");
  auto bad = pg_error_of(
      loop, [&]() -> Future<void> { co_await pg.query("SELECT $1::int", "not a number"); });
  CHECK(bad.kind() == ErrorKind::invalid_argument);
  CHECK(bad.sqlstate() == "22P02");
  auto div = pg_error_of(loop, [&]() -> Future<void> { co_await pg.query("SELECT 1 / 0"); });
  CHECK(div.sqlstate() == "22012");
  CHECK(div.kind() == ErrorKind::invalid_argument);
  run(loop, [&]() -> Future<void> {
    co_await pg.execute_script("DROP TABLE " + child + "; DROP TABLE " + parent);
  });
}

TEST_CASE("SQLSTATEs map to gale kinds", "[pg]") {
  using gale::pg::kind_for_sqlstate;
  CHECK(kind_for_sqlstate("23505") == ErrorKind::duplicate);
  CHECK(kind_for_sqlstate("23503") == ErrorKind::invalid_argument);
  CHECK(kind_for_sqlstate("23502") == ErrorKind::invalid_argument);
  CHECK(kind_for_sqlstate("22001") == ErrorKind::invalid_argument);
  CHECK(kind_for_sqlstate("40001") == ErrorKind::conflict);
  CHECK(kind_for_sqlstate("40P01") == ErrorKind::conflict);
  CHECK(kind_for_sqlstate("57014") == ErrorKind::timeout);
  CHECK(kind_for_sqlstate("28P01") == ErrorKind::unauthorized);
  CHECK(kind_for_sqlstate("28000") == ErrorKind::unauthorized);
  CHECK(kind_for_sqlstate("08006") == ErrorKind::unavailable);
  CHECK(kind_for_sqlstate("57P01") == ErrorKind::unavailable);
  CHECK(kind_for_sqlstate("42501") == ErrorKind::forbidden);
  CHECK(kind_for_sqlstate("42601") == ErrorKind::internal);
}

TEST_CASE("2000 concurrent coroutines on a pool of 4 each get their own rows", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=4"));
  auto table = unique_name("many");
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v text)");
    co_await pg.execute("INSERT INTO " + table +
                        " SELECT g, 'value ' || g FROM generate_series(1, 2000) g");
  });
  auto worker = [&](int id) -> Future<bool> {
    auto r = co_await pg.query("SELECT id, v FROM " + table + " WHERE id = $1", id);
    co_return r.size() == 1 &&
        r[0]["id"].as<int>() == id&& r[0]["v"].as<std::string>() == "value " + std::to_string(id);
  };
  auto results = run(loop, [&]() -> Future<std::vector<bool>> {
    std::vector<Future<bool>> all;
    for (int i = 1; i <= 2000; ++i) all.push_back(worker(i));
    co_return co_await gale::gather(std::move(all));
  });
  CHECK(std::count(results.begin(), results.end(), true) == 2000);
  auto stats = pg.pool_stats();
  CHECK(stats.size <= 4);
  CHECK(stats.connects <= 4);
  run(loop, [&]() -> Future<void> { co_await pg.execute("DROP TABLE " + table); });
}

TEST_CASE("gather of queries in one coroutine pipelines them on one connection", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1"));
  auto pids = run(loop, [&]() -> Future<std::vector<int>> {
    std::vector<Future<int>> all;
    for (int i = 0; i < 50; ++i)
      all.push_back(pg.query_value<int>("SELECT pg_backend_pid() + $1 * 0", i));
    co_return co_await gale::gather(std::move(all));
  });
  CHECK(std::all_of(pids.begin(), pids.end(), [&](int p) { return p == pids[0]; }));
  CHECK(pg.pool_stats().connects == 1);
}

TEST_CASE("pipeline off runs one query at a time per connection", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=3&pipeline=off"));
  auto pids = run(loop, [&]() -> Future<std::vector<int>> {
    std::vector<Future<int>> all;
    for (int i = 1; i <= 30; ++i) {
      all.push_back(pg.query_value<int>("SELECT pg_backend_pid() FROM pg_sleep(0.02 + $1 * 0)", i));
    }
    co_return co_await gale::gather(std::move(all));
  });
  std::sort(pids.begin(), pids.end());
  CHECK(std::unique(pids.begin(), pids.end()) - pids.begin() == 3);
  CHECK(pg.pool_stats().connects == 3);
}

TEST_CASE("a failing query does not disturb the others in the pipeline", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1"));
  run(loop, [&]() -> Future<void> {
    auto a = pg.query_value<int>("SELECT 1");
    auto bad = pg.query_value<int>("SELECT 1/0");
    auto c = pg.query_value<int>("SELECT 3");
    CHECK(co_await a == 1);
    bool failed = false;
    try {
      co_await bad;
    } catch (const PgError& e) {
      failed = e.sqlstate() == "22012";
    }
    CHECK(failed);
    CHECK(co_await c == 3);
  });
}

TEST_CASE("prepared statements are cached and re-prepared after DEALLOCATE or a schema change",
          "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1"));
  auto table = unique_name("cache");
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("CREATE TABLE " + table + " (id int, a text)");
    co_await pg.execute("INSERT INTO " + table + " VALUES (1, 'x')");
    const std::string select = "SELECT * FROM " + table + " WHERE id = $1";
    CHECK((co_await pg.query(select, 1)).columns() == 2);
    auto prepared = co_await pg.query_value<std::int64_t>(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", select);
    CHECK(prepared == 1);
    // The server forgets every statement: the next use prepares it again, transparently.
    co_await pg.execute_script("DEALLOCATE ALL");
    CHECK((co_await pg.query(select, 1)).size() == 1);
    // A schema change makes the cached plan's result type stale (0A000): re-prepared too.
    co_await pg.execute("ALTER TABLE " + table + " ADD COLUMN b int DEFAULT 5");
    auto r = co_await pg.query(select, 1);
    CHECK(r.columns() == 3);
    CHECK(r[0]["b"].as<int>() == 5);
    co_await pg.execute("DROP TABLE " + table);
  });
}

TEST_CASE("the statement cache is bounded and evicts the least recently used", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1&statement_cache_size=4"));
  run(loop, [&]() -> Future<void> {
    for (int i = 0; i < 20; ++i) {
      CHECK(co_await pg.query_value<int>("SELECT " + std::to_string(i) + " + $1::int", 1) == i + 1);
    }
    auto n = co_await pg.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements");
    CHECK(n <= 5);
    CHECK(n >= 1);
  });
}

TEST_CASE("a second client for the same server logs why that is a mistake", "[pg]") {
  IOLoop loop;
  LogCapture logs;
  Client first(pg_uri());
  Client second(pg_uri());
  CHECK(logs.contains("2 clients for PostgreSQL"));
  CHECK_FALSE(logs.contains(":gale@"));
}

TEST_CASE("a wrong password fails with unauthorized and never shows the password", "[pg]") {
  IOLoop loop;
  std::string uri = pg_uri();
  auto at = uri.find('@');
  auto colon = uri.rfind(':', at);
  std::string wrong = uri.substr(0, colon + 1) + "Secret-Wrong-Pw" + uri.substr(at);
  LogCapture logs;
  Client pg(wrong + "?pool_acquire_timeout_ms=5000");
  auto started = gale::Clock::now();
  try {
    run(loop, [&]() -> Future<void> { co_await pg.query("SELECT 1"); });
    FAIL("the query worked with a wrong password");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::unauthorized);
    CHECK_THAT(e.what(), Catch::Contains("password authentication failed"));
    CHECK_THAT(e.what(), !Catch::Contains("Secret-Wrong-Pw"));
  }
  CHECK(gale::Clock::now() - started < 4s);  // at once, not at the pool's deadline
  CHECK_FALSE(logs.contains("Secret-Wrong-Pw"));
  CHECK_THAT(pg.address(), !Catch::Contains("Secret"));
}

TEST_CASE("a stray BEGIN on a shared connection is rolled back with a warning", "[pg]") {
  IOLoop loop;
  LogCapture logs;
  Client pg(pg_uri_with("pool_max_size=1"));
  Client observer(pg_uri());
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("BEGIN");
    auto pid = co_await pg.query_value<int>("SELECT pg_backend_pid()");
    // The backend is not left inside the stray transaction.
    auto state = co_await observer.query_value<std::string>(
        "SELECT state FROM pg_stat_activity WHERE pid = $1", pid);
    CHECK(state == "idle");
  });
  CHECK(logs.contains("left a transaction open"));
}

TEST_CASE("busy shared connections are retired at max_lifetime without failing queries", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1&pool_max_lifetime_ms=300"));
  std::set<int> pids;
  int done = 0;
  run(loop, [&]() -> Future<void> {
    auto until = gale::Clock::now() + 2500ms;
    while (gale::Clock::now() < until) {
      std::vector<Future<int>> batch;
      for (int i = 0; i < 10; ++i) batch.push_back(pg.query_value<int>("SELECT pg_backend_pid()"));
      for (int pid : co_await gale::gather(std::move(batch))) pids.insert(pid);
      done += 10;
    }
  });
  CHECK(done > 100);
  CHECK(pids.size() >= 2);  // the connection was replaced under load
  CHECK(pg.pool_stats().size <= 1);
}

TEST_CASE("closing the client fails its queries instead of leaving them hanging", "[pg]") {
  IOLoop loop;
  auto pg = std::make_unique<Client>(pg_uri_with("pool_max_size=2"));
  std::vector<Future<int>> pending;
  run(loop, [&]() -> Future<void> {
    for (int i = 0; i < 10; ++i)
      pending.push_back(pg->query_value<int>("SELECT 1 FROM pg_sleep(0.3)"));
    co_await gale::sleep(50ms);  // sent and running
  });
  pg->close();
  auto kinds = run(
      loop,
      [&]() -> Future<std::vector<ErrorKind>> {
        std::vector<ErrorKind> out;
        for (auto& f : pending) {
          try {
            co_await f;
            out.push_back(ErrorKind::internal);  // marks "no error"
          } catch (const gale::Error& e) {
            out.push_back(e.kind());
          }
        }
        co_return out;
      },
      5s);
  CHECK(std::count(kinds.begin(), kinds.end(), ErrorKind::unavailable) == 10);
  bool refused = false;
  try {
    run(loop, [&]() -> Future<void> { co_await pg->query("SELECT 1"); });
  } catch (const gale::Error& e) {
    refused = e.kind() == ErrorKind::unavailable;
  }
  CHECK(refused);
}
