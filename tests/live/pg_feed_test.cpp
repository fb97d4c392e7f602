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
  co_await gale::live::drop_change_log(pg, table);
  co_await pg.execute("DROP TABLE IF EXISTS " + table);
}

// A position's place in the log's order: (xid, seq) from "xid:seq".
std::pair<std::uint64_t, std::int64_t> place(const std::string& position) {
  auto colon = position.find(':');
  REQUIRE(colon != std::string::npos);
  return {std::stoull(position.substr(0, colon)), std::stoll(position.substr(colon + 1))};
}

// Reads `n` changes (no gap), their positions in strictly increasing order.
Future<std::vector<Event>> changes(Feed& feed, int n) {
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) {
    Event e = co_await with_timeout(10s, feed.next());
    REQUIRE_FALSE(e.is_gap());
    if (!events.empty()) REQUIRE(place(events.back().position) < place(e.position));
    events.push_back(std::move(e));
  }
  co_return events;
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
      if (i > 0) CHECK(place(events[i - 1].position) < place(events[i].position));
    }
    CHECK(feed.position() == events[3].position);
    feed.close();
    co_await drop(pg, table);
  });
}

TEST_CASE("a PostgreSQL feed resumes after a position, and says so when it cannot", "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto table = co_await make_table(pg, 3);
    auto feed = co_await gale::live::watch(pg, table);
    std::vector<Event> seen;  // each read before the next write: the log keeps only 3
    for (int i = 1; i <= 5; ++i) {
      co_await pg.execute("INSERT INTO " + table + " VALUES ($1, 'n')", i);
      auto one = co_await changes(feed, 1);
      seen.push_back(std::move(one[0]));
    }
    // The last 3 are kept: after the 2nd resumes exactly; after the 1st, the 2nd is gone.
    FeedOptions from2;
    from2.resume_after = seen[1].position;
    auto resumed = co_await gale::live::watch(pg, table, from2);
    auto rest = co_await changes(resumed, 3);
    for (int i = 0; i < 3; ++i) CHECK(rest[i].position == seen[i + 2].position);
    std::vector<std::string> lost_positions{seen[0].position, "99:99", "not a place", "-1:2", ""};
    lost_positions.pop_back();
    for (const std::string& lost : lost_positions) {
      FeedOptions o;
      o.resume_after = lost;
      auto odd = co_await gale::live::watch(pg, table, o);
      Event gap = co_await next(odd);
      CHECK(gap.is_gap());
      CHECK(gap.position == feed.position());  // from now on
      co_await pg.execute("UPDATE " + table + " SET name = $1 WHERE id = 5", lost);
      auto after = co_await changes(odd, 1);
      CHECK(after[0].change["fullDocument"]["name"] == lost);
      auto same = co_await changes(feed, 1);
      CHECK(same[0].position == after[0].position);  // one order, the same for every reader
    }
    co_await drop(pg, table);
  });
}

TEST_CASE("a PostgreSQL feed gives a change only once every older writer is done", "[live]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=4"));
  run(
      loop,
      [&]() -> Future<void> {
        auto table = co_await make_table(pg);
        auto other = unique_name("unlogged");
        co_await pg.execute("CREATE TABLE " + other + " (n int)");
        auto feed = co_await gale::live::watch(pg, table);
        co_await pg.execute("INSERT INTO " + table + " VALUES (0, 'first')");
        auto first = co_await changes(feed, 1);
        // An older writer to the table, still open: a later one's committed change waits behind
        // it (a replay from here has nothing yet), and both come in the writers' order once it
        // commits.
        auto older = co_await pg.transaction();
        co_await older.execute("INSERT INTO " + table + " VALUES (1, 'older')");
        co_await pg.execute("INSERT INTO " + table + " VALUES (2, 'younger')");
        auto replay = co_await feed.replay(first[0].position);
        auto nothing_yet = co_await replay.next(10);
        CHECK(nothing_yet.empty());
        co_await older.commit();
        auto replayed = co_await replay.next(10);
        REQUIRE(replayed.size() == 2);
        CHECK(replayed[0].change["documentKey"]["id"] == 1);
        auto both = co_await changes(feed, 2);
        CHECK(both[1].position == replayed[1].position);
        CHECK(both[0].change["documentKey"]["id"] == 1);
        CHECK(both[1].change["documentKey"]["id"] == 2);
        // An older writer of another table holds a change back too, and ends without a NOTIFY
        // on this log: the feed looks again by itself.
        auto blocker = co_await pg.transaction();
        co_await blocker.execute("INSERT INTO " + other + " VALUES (1)");
        co_await pg.execute("INSERT INTO " + table + " VALUES (3, 'held')");
        co_await blocker.commit();
        auto held = co_await changes(feed, 1);
        CHECK(held[0].change["documentKey"]["id"] == 3);
        co_await pg.execute("DROP TABLE " + other);
        co_await drop(pg, table);
      },
      60s);
}

TEST_CASE("a PostgreSQL feed's replay gives what followed a position, then nothing", "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto table = co_await make_table(pg, 4);
    auto feed = co_await gale::live::watch(pg, table);
    std::vector<Event> seen;  // each read before the next write: the log keeps only 4
    for (int i = 1; i <= 6; ++i) {
      co_await pg.execute("INSERT INTO " + table + " VALUES ($1, 'n')", i);
      auto one = co_await changes(feed, 1);
      seen.push_back(std::move(one[0]));
    }
    auto replay = co_await feed.replay(seen[2].position);  // after the 3rd (3..6 are kept)
    auto first = co_await replay.next(2);
    REQUIRE(first.size() == 2);
    CHECK(first[0].position == seen[3].position);
    CHECK(first[1].position == seen[4].position);
    auto rest = co_await replay.next(10);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].position == seen[5].position);
    auto none = co_await replay.next(10);
    CHECK(none.empty());
    co_await pg.execute("INSERT INTO " + table + " VALUES (7, 'n')");
    auto seventh = co_await replay.next(10);
    REQUIRE(seventh.size() == 1);
    CHECK(seventh[0].change["documentKey"]["id"] == 7);
    // Kept: 4..7. After the 1st: a gap, and the replay is over.
    auto old = co_await feed.replay(seen[0].position);
    auto lost = co_await old.next(10);
    REQUIRE(lost.size() == 1);
    CHECK(lost[0].is_gap());
    auto over = co_await old.next(10);
    CHECK(over.empty());
    co_await drop(pg, table);
  });
}

TEST_CASE("a PostgreSQL feed that falls behind what the log keeps gives a gap, then goes on",
          "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto table = co_await make_table(pg, 3);
    auto feed = co_await gale::live::watch(pg, table);
    for (int i = 1; i <= 8; ++i) {  // unread: the first ones are dropped before the feed reads
      co_await pg.execute("INSERT INTO " + table + " VALUES ($1, 'n')", i);
    }
    Event gap = co_await next(feed);
    CHECK(gap.is_gap());
    auto kept = co_await changes(feed, 3);
    CHECK(kept[0].change["documentKey"]["id"] == 6);
    CHECK(kept[2].change["documentKey"]["id"] == 8);
    CHECK(place(gap.position) < place(kept[0].position));
    FeedOptions from_gap;  // the gap's position resumes exactly: what the log goes on with
    from_gap.resume_after = gap.position;
    auto again = co_await gale::live::watch(pg, table, from_gap);
    auto same = co_await changes(again, 3);
    CHECK(same[0].position == kept[0].position);
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
        auto before = co_await changes(feed, 1);
        CHECK(before[0].change["documentKey"]["id"] == 1);
        // Cut every connection that LISTENs on the log's channel, then write while it reconnects.
        auto cut = co_await pg.query_value<std::int64_t>(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND query LIKE 'LISTEN %" +
            table + "_changes%'");
        CHECK(cut == 1);
        for (int i = 2; i <= 20; ++i) {
          co_await pg.execute("INSERT INTO " + table + " VALUES ($1, 'after')", i);
        }
        auto after = co_await changes(feed, 19);
        for (int i = 2; i <= 20; ++i) CHECK(after[i - 2].change["documentKey"]["id"] == i);
        co_await drop(pg, table);
      },
      60s);
}

TEST_CASE("concurrent writers: the feed has every change once, in one order", "[live]") {
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
              if (i % 5 == 4) {  // some in transactions that roll back: never seen
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
        auto all = co_await changes(feed, kWriters * kEach);  // each after the one before
        std::set<int> ids;
        for (const Event& e : all) {
          CHECK(e.change["fullDocument"]["name"] == "w");  // nothing rolled back
          ids.insert(e.change["documentKey"]["id"].get<int>());
        }
        CHECK(ids.size() == static_cast<std::size_t>(kWriters * kEach));
        // A second reader, from the start, has the same order.
        auto replay = co_await feed.replay(all.front().position);
        std::vector<Event> again;
        while (again.size() + 1 < all.size()) {
          auto batch = co_await replay.next(100);
          REQUIRE_FALSE(batch.empty());
          for (auto& e : batch) again.push_back(std::move(e));
        }
        for (std::size_t i = 0; i < again.size(); ++i) {
          CHECK(again[i].position == all[i + 1].position);
        }
        co_await drop(pg, table);
      },
      60s);
}

TEST_CASE("a PostgreSQL change log without NOTIFY is read every poll interval", "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto table = unique_name("live");
    co_await pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, name text NOT NULL)");
    gale::live::ChangeLog log;
    log.table = table;
    log.notify = false;
    co_await gale::live::install_change_log(pg, log);
    auto body = co_await pg.query_value<std::string>(
        "SELECT prosrc FROM pg_proc WHERE proname = $1", table + "_changes_write");
    CHECK(body.find("pg_notify") == std::string::npos);
    FeedOptions o;
    o.poll_interval = 20ms;
    auto feed = co_await gale::live::watch(pg, table, o);
    co_await pg.execute("INSERT INTO " + table + " VALUES (1, 'polled')");
    auto got = co_await changes(feed, 1);
    CHECK(got[0].change["fullDocument"]["name"] == "polled");
    co_await drop(pg, table);
  });
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

TEST_CASE("drop_change_log removes the trigger and the log, keeps the table, and may run twice",
          "[live]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto table = co_await make_table(pg);
    co_await pg.execute("INSERT INTO " + table + " VALUES (1, 'one')");
    const std::string log = gale::live::change_log_name(table);
    std::int64_t logged = co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + log);
    CHECK(logged == 1);
    co_await gale::live::drop_change_log(pg, table);
    co_await gale::live::drop_change_log(pg, table);  // nothing left to drop: no error
    const std::string objects = "SELECT count(*) FROM pg_class WHERE relname IN ('" + log + "', '" +
                                log + "_pruned', '" + log + "_seq')";
    std::int64_t relations = co_await pg.query_value<std::int64_t>(objects);
    CHECK(relations == 0);
    const std::string function = "SELECT count(*) FROM pg_proc WHERE proname = '" + log + "_write'";
    std::int64_t functions = co_await pg.query_value<std::int64_t>(function);
    CHECK(functions == 0);
    co_await pg.execute("INSERT INTO " + table + " VALUES (2, 'two')");  // no trigger to fail it
    std::int64_t rows = co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + table);
    CHECK(rows == 2);
    co_await pg.execute("DROP TABLE " + table);
    bool refused = false;
    try {
      std::string bad = "notes; DROP TABLE x";
      co_await gale::live::drop_change_log(pg, bad);
    } catch (const gale::Error& e) {
      refused = e.kind() == gale::ErrorKind::invalid_argument;
    }
    CHECK(refused);
  });
}
