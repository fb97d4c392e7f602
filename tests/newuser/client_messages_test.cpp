// What a client is shown when a database says no, through a handler as a new user writes it
// (issue 17: a duplicate key answered 409 with PostgreSQL's whole message, the constraint and the
// duplicated e-mail address; a pool timeout answered 503 with the host, user and connect error).
// With debug off: the kind's words, a constraint message only where the application maps it, and
// "database unavailable, retry later"; the whole text in the log. With debug on: the whole text.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <functional>
#include <map>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "gale/pg/pg.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "mongo/support.hpp"
#include "support/env.hpp"
#include "support/log_capture.hpp"

using gale::Future;
using gale::IOLoop;
using nlohmann::json;

namespace {

// One route that runs whatever the test put here.
struct Run : gale::web::RequestHandler {
  static inline std::function<Future<void>()> work;
  Future<void> post(std::string_view) override {
    co_await work();
    set_status(201);
    co_return;
  }
};

struct Answer {
  int code = 0;
  std::string message;
  std::string body;
  bool logged = false;  // the log line with the request id holds `secret`
};

Answer post(bool debug, const std::string& secret,
            std::map<std::string, std::string, std::less<>> mapped = {}) {
  gale::web::Settings settings;
  settings.access_log = false;
  settings.debug = debug;
  settings.constraint_messages = std::move(mapped);
  gale::web::Application app({{"/run", gale::web::handler<Run>()}}, settings);
  gale::web::testing::TestServer server(app);
  gale::testing::LogCapture logs;
  json empty = json::object();
  auto r = server.fetch_sync("/run", "POST", empty);
  Answer a{r.code, "", r.body, false};
  auto doc = json::parse(r.body, nullptr, false);
  if (doc.is_object() && doc.contains("error")) {
    a.message = doc["error"]["message"].get<std::string>();
    auto id = doc["error"]["request_id"].get<std::string>();
    a.logged = logs.find(id).find(secret) != std::string::npos;
  }
  return a;
}

}  // namespace

TEST_CASE("A PostgreSQL duplicate key shows neither constraint nor value without debug",
          "[newuser][web][pg]") {
  IOLoop loop;
  gale::pg::Client pg(gale::testing::pg_uri());
  const std::string table = "newuser_dup_" + std::to_string(getpid());
  const std::string email = "ann@example.com";
  loop.run_sync([&]() -> Future<void> {
    co_await pg.execute_script("DROP TABLE IF EXISTS " + table + "; CREATE TABLE " + table +
                               " (email text CONSTRAINT " + table + "_email_key UNIQUE)");
    co_await pg.execute("INSERT INTO " + table + " VALUES ($1)", email);
  });
  Run::work = [&]() -> Future<void> {
    co_await pg.execute("INSERT INTO " + table + " VALUES ($1)", email);
  };
  auto hidden = post(false, email);
  CHECK(hidden.code == 409);
  CHECK(hidden.message == "duplicate key");
  CHECK(hidden.body.find(email) == std::string::npos);
  CHECK(hidden.body.find(table) == std::string::npos);
  CHECK(hidden.logged);  // the operator keeps the whole text, with the request id
  auto mapped = post(false, email, {{table + "_email_key", "email already registered"}});
  CHECK(mapped.message == "email already registered");
  auto shown = post(true, email);
  CHECK(shown.code == 409);
  CHECK(shown.body.find(email) != std::string::npos);
  CHECK(shown.body.find(table + "_email_key") != std::string::npos);
  loop.run_sync([&]() -> Future<void> { co_await pg.execute_script("DROP TABLE " + table); });
}

TEST_CASE("A MongoDB duplicate key shows neither index nor value without debug",
          "[newuser][web][mongo]") {
  IOLoop loop;
  gale::mongo::Client client(gale::testing::mongo_uri());
  auto db = client[gale::testing::unique_db("dup")];
  auto users = db["users"];
  const std::string email = "bob@example.com";
  std::string index;
  loop.run_sync([&]() -> Future<void> {
    json keys = {{"email", 1}};
    gale::mongo::IndexOptions unique;
    unique.unique = true;
    index = co_await users.create_index(keys, std::move(unique));
    json doc = {{"email", email}};
    co_await users.insert_one(doc);
  });
  Run::work = [&]() -> Future<void> {
    json doc = {{"email", email}};
    co_await users.insert_one(doc);
  };
  auto hidden = post(false, "E11000");
  CHECK(hidden.code == 409);
  CHECK(hidden.message == "duplicate key");
  CHECK(hidden.body.find("E11000") == std::string::npos);
  CHECK(hidden.body.find(db.name()) == std::string::npos);
  CHECK(hidden.logged);
  auto shown = post(true, "E11000");
  INFO(shown.body);
  CHECK(shown.code == 409);
  CHECK(shown.body.find("E11000") != std::string::npos);
  // MongoDB names the index in its message ("... index: email_1 dup key: {...}"), and the driver
  // makes it the error's constraint for the application to map; FerretDB 1.24 names neither.
  if (shown.body.find(" index: ") == std::string::npos) {
    WARN("skipped on this server: its duplicate-key message names no index");
  } else {
    auto mapped = post(false, email, {{index, "email already registered"}});
    CHECK(mapped.message == "email already registered");
  }
  loop.run_sync([&]() -> Future<void> { co_await db.drop(); });
}

TEST_CASE("A database that cannot be reached is 'database unavailable', no host or user",
          "[newuser][web][pg][mongo]") {
  IOLoop loop;
  // Nothing listens on port 1 of loopback; the connect errors name host, port and user.
  gale::pg::Client pg(
      "postgresql://secret_user@127.0.0.1:1/gale?pool_acquire_timeout_ms=300&connect_timeout=1");
  gale::mongo::Client mongo("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300");
  auto coll = mongo["gale"]["c"];
  for (int which = 0; which < 2; ++which) {
    CAPTURE(which);
    if (which == 0) {
      Run::work = [&]() -> Future<void> { co_await pg.query("SELECT 1"); };
    } else {
      Run::work = [&]() -> Future<void> { co_await coll.find_one(json::object()); };
    }
    auto hidden = post(false, "127.0.0.1:1");
    CHECK(hidden.code == 503);
    CHECK(hidden.message == "database unavailable, retry later");
    CHECK(hidden.body.find("127.0.0.1") == std::string::npos);
    CHECK(hidden.body.find("secret_user") == std::string::npos);
    CHECK(hidden.logged);
    auto shown = post(true, "127.0.0.1:1");
    CHECK(shown.code == 503);
    CHECK(shown.body.find("127.0.0.1:1") != std::string::npos);
  }
}

TEST_CASE("The drivers' errors carry the constraint and the client words", "[newuser]") {
  // MongoDB's own duplicate-key text, as mongod 7 writes it.
  gale::mongo::MongoError dup(gale::ErrorKind::duplicate,
                              "E11000 duplicate key error collection: app.users index: email_1 "
                              "dup key: { email: \"ann@example.com\" }",
                              11000, "DuplicateKey");
  CHECK(dup.constraint() == "email_1");
  CHECK(dup.client_message().empty());  // the kind's words: "duplicate key"
  gale::mongo::MongoError bare(gale::ErrorKind::duplicate, "E11000 duplicate key error", 11000);
  CHECK(bare.constraint().empty());
  CHECK(gale::mongo::network_error("db:27017", "reset").client_message() ==
        "database unavailable, retry later");
  gale::pg::PgErrorFields fields;
  fields.sqlstate = "23505";
  fields.message = "duplicate key value violates unique constraint \"users_email_key\"";
  fields.constraint = "users_email_key";
  gale::pg::PgError pg_dup(gale::ErrorKind::duplicate, fields);
  const gale::Error& as_error = pg_dup;
  CHECK(as_error.constraint() == "users_email_key");
  CHECK(gale::pg::PgError(gale::ErrorKind::unavailable, "connect to 10.0.0.1 failed")
            .client_message() == "database unavailable, retry later");
}
