// The pg layer's public async functions, each awaited with every defaulted argument left out, as a
// new user first writes them (transaction() and run_in_transaction(fn) had defaulted aggregate
// options, which g++ 12 destroys twice inside a co_await).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <optional>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/pg/pg.hpp"
#include "support/env.hpp"

using gale::Future;
using gale::IOLoop;

TEST_CASE("every PostgreSQL call with its defaults left out", "[newuser][pg]") {
  IOLoop loop;
  gale::pg::Client pg(gale::testing::pg_uri());
  const std::string table = "newuser_defaults_" + std::to_string(getpid());
  auto got = loop.run_sync([&pg, &table]() -> Future<std::string> {
    std::string out;
    co_await pg.execute_script("DROP TABLE IF EXISTS " + table + "; CREATE TABLE " + table +
                               " (n int)");
    out += std::to_string(co_await pg.execute("INSERT INTO " + table + " VALUES (1), (2)"));
    auto tx = co_await pg.transaction();
    co_await tx.execute("INSERT INTO " + table + " VALUES (3)");
    co_await tx.commit();
    co_await pg.run_in_transaction([&table](gale::pg::Transaction& t) -> Future<void> {
      co_await t.execute("INSERT INTO " + table + " VALUES (4)");
    });
    out += "," +
           std::to_string(co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + table));
    auto row = co_await pg.query_one("SELECT max(n) AS m FROM " + table);
    out += "," + (row ? (*row)["m"].as<std::string>() : std::string("none"));
    auto rows = co_await pg.query("SELECT n FROM " + table + " ORDER BY n");
    out += "," + rows.to_json().dump();
    auto in = co_await pg.copy_in("COPY " + table + " FROM STDIN");
    co_await in.write("5\n");
    out += "," + std::to_string(co_await in.finish());
    auto events = co_await pg.listen("newuser_defaults");
    co_await pg.notify("newuser_defaults", "hi");
    auto note = co_await events.next();
    out += "," + note.payload;
    co_await pg.execute_script("DROP TABLE " + table);
    co_return out;
  });
  CHECK(got == R"(2,4,4,[{"n":1},{"n":2},{"n":3},{"n":4}],1,hi)");
}
