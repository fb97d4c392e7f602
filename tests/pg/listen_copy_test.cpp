// LISTEN/NOTIFY and COPY.
#include <catch2/catch.hpp>

#include <set>

#include "support.hpp"

using namespace gale::testing;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;
using gale::pg::Notification;

TEST_CASE("LISTEN delivers notifications in order", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  auto channel = unique_name("Chan nel");  // needs quoting
  run(loop, [&]() -> Future<void> {
    auto listener = co_await pg.listen(channel);
    for (int i = 0; i < 5; ++i) co_await pg.notify(channel, "msg " + std::to_string(i));
    co_await pg.execute("SELECT pg_notify($1, $2)", channel, "it's \"quoted\"");
    for (int i = 0; i < 5; ++i) {
      Notification n = co_await listener.next(5s);
      CHECK(n.channel == channel);
      CHECK(n.payload == "msg " + std::to_string(i));
      CHECK_FALSE(n.gap);
      CHECK(n.pid != 0);
    }
    Notification quoted = co_await listener.next(5s);
    CHECK(quoted.payload == "it's \"quoted\"");
    bool timed_out = false;
    try {
      co_await listener.next(200ms);
    } catch (const gale::Error& e) {
      timed_out = e.kind() == ErrorKind::timeout;
    }
    CHECK(timed_out);
    // A notification after the timed-out wait is not lost.
    co_await pg.notify(channel, "late");
    Notification late = co_await listener.next(5s);
    CHECK(late.payload == "late");
    listener.close();
    bool closed = false;
    try {
      co_await listener.next();
    } catch (const gale::Error& e) {
      closed = e.kind() == ErrorKind::unavailable;
    }
    CHECK(closed);
  });
}

TEST_CASE("COPY FROM STDIN loads rows and COPY TO STDOUT exports them", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=2"));
  auto table = unique_name("copy");
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, name text)");
    auto in = co_await pg.copy_in("COPY " + table + " (id, name) FROM STDIN (FORMAT csv)");
    std::string batch;
    for (int i = 1; i <= 20000; ++i) {
      batch += std::to_string(i) + ",\"name, " + std::to_string(i) + "\"\n";
      if (batch.size() > 50000) {
        co_await in.write(std::move(batch));
        batch.clear();
      }
    }
    co_await in.write(std::move(batch));
    auto rows = co_await in.finish();
    CHECK(rows == 20000);
    CHECK(co_await pg.query_value<std::string>("SELECT name FROM " + table + " WHERE id = 777") ==
          "name, 777");
    auto out = co_await pg.copy_out("COPY (SELECT id, name FROM " + table +
                                    " ORDER BY id) TO STDOUT (FORMAT csv)");
    std::string all;
    int chunks = 0;
    while (auto chunk = co_await out.next()) {
      all += *chunk;
      ++chunks;
    }
    CHECK(chunks > 1);
    CHECK(std::count(all.begin(), all.end(), '\n') == 20000);
    CHECK(all.substr(0, 12) == "1,\"name, 1\"\n");
    // The connection is back in pipeline service afterwards.
    CHECK(co_await pg.query_value<int>("SELECT $1::int", 9) == 9);
    co_await pg.execute("DROP TABLE " + table);
  });
}

TEST_CASE("a bad COPY row or an aborted COPY keeps nothing", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1"));
  auto table = unique_name("copybad");
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY)");
    {
      auto in = co_await pg.copy_in("COPY " + table + " FROM STDIN");
      co_await in.write("1\n2\nnot-a-number\n");
      std::string state;
      try {
        co_await in.finish();
      } catch (const gale::pg::PgError& e) {
        state = e.sqlstate();
      }
      CHECK(state == "22P02");
    }
    {
      auto in = co_await pg.copy_in("COPY " + table + " FROM STDIN");
      co_await in.write("5\n6\n");
      co_await in.abort("changed my mind");
    }
    {
      auto in = co_await pg.copy_in("COPY " + table + " FROM STDIN");
      co_await in.write("7\n");
      // dropped unfinished
    }
    CHECK(co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + table) == 0);
    bool not_copy = false;
    try {
      co_await pg.copy_in("SELECT 1");
    } catch (const gale::Error& e) {
      not_copy = e.kind() == ErrorKind::invalid_argument;
    }
    CHECK(not_copy);
    bool wrong_way = false;
    try {
      co_await pg.copy_in("COPY " + table + " TO STDOUT");
    } catch (const gale::Error& e) {
      wrong_way = e.kind() == ErrorKind::invalid_argument;
    }
    CHECK(wrong_way);
    CHECK(co_await pg.query_value<int>("SELECT 1") == 1);  // the client goes on
    co_await pg.execute("DROP TABLE " + table);
  });
}

TEST_CASE("a LISTEN queue that overflows drops the excess and reports a gap", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=2"));
  auto channel = unique_name("flood");
  const int total = static_cast<int>(gale::pg::Listener::max_queued) + 50;
  run(
      loop,
      [&]() -> Future<void> {
        auto listener = co_await pg.listen(channel);
        for (int start = 0; start < total; start += 1000) {  // within the client's wait queue bound
          std::vector<Future<void>> sends;
          for (int i = start; i < std::min(total, start + 1000); ++i) {
            sends.push_back(pg.notify(channel, std::to_string(i)));
          }
          co_await gale::gather(std::move(sends));
        }
        auto until = gale::Clock::now() + 10s;
        while (listener.queued() + listener.dropped() < static_cast<std::size_t>(total) &&
               gale::Clock::now() < until) {
          co_await gale::sleep(10ms);
        }
        CHECK(listener.dropped() == 50);
        CHECK(listener.queued() == gale::pg::Listener::max_queued);
        // Two connections send them, so they come in commit order, not in the order they were sent.
        std::set<std::string> seen;
        bool any_gap = false;
        for (std::size_t i = 0; i < gale::pg::Listener::max_queued; ++i) {
          auto n = co_await listener.next(1s);
          any_gap = any_gap || n.gap;
          seen.insert(n.payload);
        }
        CHECK_FALSE(any_gap);
        CHECK(seen.size() == gale::pg::Listener::max_queued);
        auto marker = co_await listener.next(1s);
        CHECK(marker.gap);
        // After the gap, new notifications come through again.
        co_await pg.notify(channel, "fresh");
        auto fresh = co_await listener.next(5s);
        CHECK(fresh.payload == "fresh");
      },
      60s);
}
