// Fault test 2: FerretDB (SQLite) killed with SIGKILL while the crud program takes a write load; a
// FerretDB process of the test's own, started again on the same port and data.
#include <catch2/catch.hpp>

#include <signal.h>

#include "fault/outage.hpp"
#include "gale/mongo/mongo.hpp"
#include "mongo/ferret_instance.hpp"
#include "support/crud_process.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;

namespace {

Future<fault::Stored> stored_notes(gale::mongo::Collection notes) {
  gale::mongo::FindOptions options;
  options.projection = {{"slug", 1}};
  options.batch_size = 10000;
  auto docs = co_await notes.find(nlohmann::json::object(), options).to_list();
  fault::Stored stored;
  for (const auto& d : docs) stored[d["slug"].get<std::string>()] = d["_id"].get<std::string>();
  co_return stored;
}

}  // namespace

TEST_CASE(
    "FerretDB killed with SIGKILL under a write load: 503 at once, serving again within 2 s "
    "of its return, no acknowledged write lost",
    "[fault][mongo]") {
  gale::testing::FerretInstance ferret;
  // The app waits at most 1 s for a server (the default serverSelectionTimeoutMS is 30 s).
  gale::testing::CrudProcess app({"--db", "mongo", "--mongo-uri",
                                  ferret.uri("", "serverSelectionTimeoutMS=1000"),
                                  "--mongo-database", "gale"});
  app.wait_ready();
  fault::WriteLoad load(app.url(""), "ferret-kill");
  fault::Server server{[&] { ferret.stop(SIGKILL); }, [&] { ferret.start(); },
                       [&] { return gale::testing::port_open(ferret.port()); }};
  auto t = IOLoop::current().run_sync([&] { return fault::kill_under_load(load, server); }, 180s);
  INFO(app.log());
  CHECK(app.alive());
  fault::check_answers(load, t, "FerretDB SIGKILL");

  gale::mongo::Client direct(ferret.uri());
  auto stored =
      IOLoop::current().run_sync([&] { return stored_notes(direct["gale"]["notes"]); }, 60s);
  fault::check_durability(load, t, stored, "FerretDB SIGKILL");
  CHECK(app.stop() == 0);
}
