// Fault test 1: PostgreSQL killed with SIGKILL (the postmaster and all its processes at once)
// while the crud program takes a write load; a cluster of the test's own (scripts/pg-instance).
#include <catch2/catch.hpp>

#include <libpq-fe.h>

#include "fault/outage.hpp"
#include "gale/pg/pg.hpp"
#include "support/crud_process.hpp"
#include "support/pg_instance.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;

namespace {

Future<fault::Stored> stored_notes(gale::pg::Client& pg) {
  auto rows = co_await pg.query("SELECT id::text AS id, slug FROM notes");
  fault::Stored stored;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    stored[rows[i]["slug"].as<std::string>()] = rows[i]["id"].as<std::string>();
  }
  co_return stored;
}

}  // namespace

TEST_CASE(
    "PostgreSQL killed with SIGKILL under a write load: 503 at once, serving again within "
    "2 s of its return, no acknowledged write lost",
    "[fault][pg]") {
  gale::testing::PgInstance pg;
  // The app waits at most 1 s for a connection (the default is 10 s): a 503 comes within that.
  gale::testing::CrudProcess app(
      {"--db", "pg", "--pg-uri", pg.uri("pool_acquire_timeout_ms=1000")});
  app.wait_ready();
  fault::WriteLoad load(app.url(""), "pg-kill");
  fault::Server server{[&] { pg.kill(); }, [&] { pg.start(); },
                       [&] { return PQping(pg.uri().c_str()) == PQPING_OK; }};
  auto t = IOLoop::current().run_sync([&] { return fault::kill_under_load(load, server); }, 180s);
  INFO(app.log());
  CHECK(app.alive());
  fault::check_answers(load, t, "PostgreSQL SIGKILL");

  gale::pg::Client direct(pg.uri());
  auto stored = IOLoop::current().run_sync([&] { return stored_notes(direct); }, 30s);
  fault::check_durability(load, t, stored, "PostgreSQL SIGKILL");
  CHECK(app.stop() == 0);  // and it still shuts down cleanly
}
