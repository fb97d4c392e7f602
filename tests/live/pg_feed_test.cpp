// The live feed on PostgreSQL: a table's change log (a trigger and NOTIFY) read as one resumable
// sequence, against the local server.
#include <catch2/catch.hpp>

#include <set>

#include "gale/live/live.hpp"
#include "pg/support.hpp"

using namespace gale::testing;
using gale::Future;
using gale::IOLoop;
using gale::with_timeout;
using gale::live::Event;
using gale::live::Feed;
using gale::live::FeedOptions;
using gale::pg::Client;
using nlohmann::json;

namespace {

// A table of its own with a change log keeping `keep` changes.
Future<std::string> make_table(Client& pg, std::int64_t keep) {
  auto table = unique_name("live");
  co_await pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, name text NOT NULL)");
  gale::live::ChangeLog log;
  log.table = table;
  log.keep = keep;
  co_await gale::live::install_change_log(pg, log);
  co_return table;
}

Future<std::string> make_table(Client& pg) {
  return make_table(pg, 10'000);
}

Future<void> drop(Client& pg, const std::string& table) {
  co_await pg.execute("DROP TABLE IF EXISTS " + table + ", " + table + "_changes");
  co_await pg.execute("DROP FUNCTION IF EXISTS " + table + "_changes_write()");
}

Future<Event> next(Feed& feed) {
  return with_timeout(10s, feed.next());
}

}  // namespace

TEST_CASE("a PostgreSQL feed gives inserts, updates and deletes in order, with their rows",
          "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto table = co_await make_table(pg);
    auto feed = co_await gale::live::watch(pg, table);
    co_await pg.execute("INSERT INTO " + table + " VALUES (1, 'one'), (2, 'two')");
    co_await pg.execute("UPDATE " + table + " SET name = 'uno' WHERE id = 1");
    co_await pg.execute("DELETE FROM " + table + " WHERE id = 2");
    std::vector<Event> events;
    for (int i = 0; i < 4; ++i) events.push_back(co_await next(feed));
    CHECK(events[0].change == json::parse(R"({"operationType": "insert", "documentKey": {"id": 1},
        "fullDocument": {"id": 1, "name": "one"}})"));
    CHECK(events[1].change["fullDocument"]["name"] == "two");
    CHECK(events[2].change == json::parse(R"({"operationType": "update", "documentKey": {"id": 1},
        "fullDocument": {"id": 1, "name": "uno"}})"));
    CHECK(events[3].change == json::parse(R"({"operationType": "delete",
        "documentKey": {"id": 2}})"));
    for (std::size_t i = 0; i < events.size(); ++i) {
      CHECK_FALSE(events[i].is_gap());
      CHECK(events[i].position == std::to_string(i + 1));
    }
    CHECK(feed.position() == "4");
    feed.close();
    co_await drop(pg, table);
  });
}

TEST_CASE("a PostgreSQL feed resumes after a position, and says so when it cannot", "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto table = co_await make_table(pg, 3);
    for (int i = 1; i <= 5; ++i) {
      co_await pg.execute("INSERT INTO " + table + " VALUES ($1, 'n')", i);
    }
    // Positions 3, 4 and 5 are kept: after 2 resumes exactly, after 1 misses the 2nd change.
    FeedOptions from2;
    from2.resume_after = "2";
    auto feed = co_await gale::live::watch(pg, table, from2);
    for (int p = 3; p <= 5; ++p) {
      Event e = co_await next(feed);
      CHECK_FALSE(e.is_gap());
      CHECK(e.position == std::to_string(p));
      CHECK(e.change["documentKey"]["id"] == p);
    }
    FeedOptions from1;
    from1.resume_after = "1";
    auto lossy = co_await gale::live::watch(pg, table, from1);
    Event gap = co_await next(lossy);
    CHECK(gap.is_gap());
    CHECK(gap.position == "2");  // the changes go on after 2
    auto got1 = co_await next(lossy);
    CHECK(got1.position == "3");
    // A position the log never gave: a gap, then what comes from now on.
    std::vector<std::string> bogus_positions{"99", "not a number", "-1"};
    int head = 5;  // each round writes one more change
    for (const std::string& bogus : bogus_positions) {
      FeedOptions o;
      o.resume_after = bogus;
      auto odd = co_await gale::live::watch(pg, table, o);
      Event e = co_await next(odd);
      CHECK(e.is_gap());
      CHECK(e.position == std::to_string(head));
      co_await pg.execute("UPDATE " + table + " SET name = $1 WHERE id = 5", bogus);
      ++head;
      Event after = co_await next(odd);
      CHECK(after.change["fullDocument"]["name"] == bogus);
      auto got2 = co_await next(feed);
      CHECK(got2.change["fullDocument"]["name"] == bogus);
    }
    co_await drop(pg, table);
  });
}

TEST_CASE("a PostgreSQL feed's replay gives what followed a position, then nothing", "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto table = co_await make_table(pg, 4);
    auto feed = co_await gale::live::watch(pg, table);
    for (int i = 1; i <= 6; ++i) {
      co_await pg.execute("INSERT INTO " + table + " VALUES ($1, 'n')", i);
    }
    auto replay = co_await feed.replay("3");
    auto first = co_await replay.next(2);
    REQUIRE(first.size() == 2);
    CHECK(first[0].position == "4");
    CHECK(first[1].position == "5");
    auto rest = co_await replay.next(10);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].position == "6");
    auto got3 = co_await replay.next(10);
    CHECK(got3.empty());
    co_await pg.execute("INSERT INTO " + table + " VALUES (7, 'n')");
    auto got4 = co_await replay.next(10);
    CHECK(got4.at(0).position == "7");
    // Kept: 4..7. After 1: a gap, and the replay is over.
    auto old = co_await feed.replay("1");
    auto lost = co_await old.next(10);
    REQUIRE(lost.size() == 1);
    CHECK(lost[0].is_gap());
    auto got5 = co_await old.next(10);
    CHECK(got5.empty());
    co_await drop(pg, table);
  });
}

TEST_CASE("a PostgreSQL feed loses nothing when its LISTEN connection is cut", "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(
      loop,
      [&]() -> Future<void> {
        auto table = co_await make_table(pg);
        FeedOptions o;
        o.retry_delay = 20ms;
        auto feed = co_await gale::live::watch(pg, table, o);
        co_await pg.execute("INSERT INTO " + table + " VALUES (1, 'before')");
        auto got6 = co_await next(feed);
        CHECK(got6.position == "1");
        // Cut every connection that LISTENs on the log's channel, then write while it reconnects.
        auto cut = co_await pg.query_value<std::int64_t>(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND query LIKE 'LISTEN %" +
            table + "_changes%'");
        CHECK(cut == 1);
        for (int i = 2; i <= 20; ++i) {
          co_await pg.execute("INSERT INTO " + table + " VALUES ($1, 'after')", i);
        }
        for (int i = 2; i <= 20; ++i) {
          Event e = co_await next(feed);
          CHECK_FALSE(e.is_gap());
          CHECK(e.position == std::to_string(i));
        }
        co_await drop(pg, table);
      },
      60s);
}

TEST_CASE("concurrent writers: the feed has every change once, positions without holes", "[live]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=8"));
  run(
      loop,
      [&]() -> Future<void> {
        auto table = co_await make_table(pg);
        auto feed = co_await gale::live::watch(pg, table);
        constexpr int kWriters = 6, kEach = 40;
        std::vector<Future<void>> writers;
        for (int w = 0; w < kWriters; ++w) {
          writers.push_back([](Client& c, std::string t, int base) -> Future<void> {
            for (int i = 0; i < kEach; ++i) {
              if (i % 5 == 4) {  // some in transactions that roll back: no position is taken
                auto tx = co_await c.transaction();
                co_await tx.execute("INSERT INTO " + t + " VALUES ($1, 'rolled back')",
                                    base + 1000 + i);
                co_await tx.rollback();
              }
              co_await c.execute("INSERT INTO " + t + " VALUES ($1, 'w')", base + i);
            }
          }(pg, table, w * 10'000));
        }
        for (auto& w : writers) co_await std::move(w);
        std::set<int> ids;
        for (int i = 1; i <= kWriters * kEach; ++i) {
          Event e = co_await next(feed);
          REQUIRE_FALSE(e.is_gap());
          CHECK(e.position == std::to_string(i));
          CHECK(e.change["fullDocument"]["name"] == "w");
          ids.insert(e.change["documentKey"]["id"].get<int>());
        }
        CHECK(ids.size() == static_cast<std::size_t>(kWriters * kEach));
        co_await drop(pg, table);
      },
      60s);
}

TEST_CASE("watching a table without a change log fails, typed", "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto kind = gale::ErrorKind::internal;
    try {
      co_await gale::live::watch(pg, unique_name("nolog"));
    } catch (const gale::Error& e) {
      kind = e.kind();
    }
    CHECK(kind == gale::ErrorKind::invalid_argument);
    auto bad = gale::ErrorKind::internal;
    try {
      co_await gale::live::install_change_log(pg, "x; DROP TABLE y");
    } catch (const gale::Error& e) {
      bad = e.kind();
    }
    CHECK(bad == gale::ErrorKind::invalid_argument);
  });
}
