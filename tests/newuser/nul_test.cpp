// A NUL byte in what a user hands the drivers is never cut short on the way (issue 17: a title
// "a\u0000b" bound as a text parameter was stored as "a" and the API answered 201). PostgreSQL's
// text cannot hold one: every path refuses it with invalid_argument before sending, and nothing is
// written. BSON strings carry their length, so MongoDB keeps a NUL in a value; a NUL in a field,
// database or collection name is refused.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "gale/pg/pg.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "mongo/support.hpp"
#include "support/env.hpp"

using gale::Future;
using gale::IOLoop;
using nlohmann::json;

namespace {

const std::string kNul("a\0b", 3);

// The error of an awaited call, or "" when it succeeded.
template <class F>
Future<std::string> refusal(F call) {
  try {
    co_await call();
  } catch (const gale::Error& e) {
    co_return std::string(gale::to_string(e.kind())) + ": " + e.client_message();
  }
  co_return "";
}

const std::string kRefused = "invalid_argument: a text value cannot contain a NUL byte";

}  // namespace

TEST_CASE("PostgreSQL refuses a NUL in any text parameter and writes nothing", "[newuser][pg]") {
  IOLoop loop;
  gale::pg::Client pg(gale::testing::pg_uri());
  const std::string table = "newuser_nul_" + std::to_string(getpid());
  const std::string insert = "INSERT INTO " + table + " (t, j, a, ja) VALUES ($1, $2, $3, $4)";
  auto out = loop.run_sync([&]() -> Future<std::vector<std::string>> {
    std::vector<std::string> got;
    co_await pg.execute_script("DROP TABLE IF EXISTS " + table + "; CREATE TABLE " + table +
                               " (t text, j jsonb, a text[], ja jsonb[], b bytea)");
    const json ok = {{"k", "v"}};
    const std::vector<std::string> ok_list = {"x"};
    const std::vector<json> ok_docs = {ok};
    auto attempt = [&](auto t, auto j, auto a, auto ja) {
      return refusal(
          [&, t, j, a, ja]() -> Future<void> { co_await pg.execute(insert, t, j, a, ja); });
    };
    // Each value is made in a statement of its own: g++ 12 cannot build an initializer list
    // inside a co_await expression.
    const json in_value = {{"k", kNul}};
    const json in_key = {{kNul, 1}};
    const json deep = {{"k", {{"deep", {kNul}}}}};
    const std::vector<std::string> in_list = {"x", kNul};
    const std::vector<json> in_docs = {in_value};
    got.push_back(co_await attempt(kNul, ok, ok_list, ok_docs));                    // text
    got.push_back(co_await attempt(std::string_view(kNul), ok, ok_list, ok_docs));  // a view
    got.push_back(co_await attempt(std::optional(kNul), ok, ok_list, ok_docs));     // optional
    got.push_back(co_await attempt("t", in_value, ok_list, ok_docs));               // jsonb
    got.push_back(co_await attempt("t", in_key, ok_list, ok_docs));
    got.push_back(co_await attempt("t", deep, ok_list, ok_docs));
    got.push_back(co_await attempt("t", ok, in_list, ok_docs));  // text[]
    got.push_back(co_await attempt("t", ok, ok_list, in_docs));  // jsonb[]
    // The same refusal inside a transaction, which goes on: nothing was sent.
    auto tx = co_await pg.transaction();
    got.push_back(co_await refusal(
        [&]() -> Future<void> { co_await tx.execute(insert, kNul, ok, ok_list, ok_docs); }));
    co_await tx.execute(insert, "kept", ok, ok_list, ok_docs);
    co_await tx.commit();
    // bytea keeps its NULs.
    auto bytes = std::vector<std::uint8_t>{'a', 0, 'b'};
    co_await pg.execute("UPDATE " + table + " SET b = $1", bytes);
    auto back = co_await pg.query_value<std::vector<std::uint8_t>>("SELECT b FROM " + table);
    got.push_back(back == bytes ? "bytea kept" : "bytea changed");
    got.push_back(
        std::to_string(co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + table)));
    co_await pg.execute_script("DROP TABLE " + table);
    co_return got;
  });
  REQUIRE(out.size() == 11);
  for (std::size_t i = 0; i < 9; ++i) {
    CAPTURE(i);
    CHECK(out[i] == kRefused);
  }
  CHECK(out[9] == "bytea kept");
  CHECK(out[10] == "1");  // only the row without a NUL
}

TEST_CASE("PostgreSQL refuses a NUL in SQL text, scripts, COPY, channels and payloads",
          "[newuser][pg]") {
  IOLoop loop;
  gale::pg::Client pg(gale::testing::pg_uri());
  const std::string table = "newuser_nul_sql_" + std::to_string(getpid());
  auto out = loop.run_sync([&]() -> Future<std::vector<std::string>> {
    std::vector<std::string> got;
    co_await pg.execute_script("DROP TABLE IF EXISTS " + table + "; CREATE TABLE " + table +
                               " (n int)");
    // Cut at the NUL, each of these would run a different statement than the one written.
    const std::string cut = "INSERT INTO " + table + " VALUES (1)";
    got.push_back(co_await refusal(
        [&]() -> Future<void> { co_await pg.execute(cut + std::string("\0, (2)", 6)); }));
    got.push_back(co_await refusal([&]() -> Future<void> {
      co_await pg.execute_script(cut + std::string("\0; DROP TABLE x", 15));
    }));
    got.push_back(co_await refusal([&]() -> Future<void> {
      auto in = co_await pg.copy_in("COPY " + table + std::string(" FROM STDIN\0", 12));
      co_await in.finish();
    }));
    got.push_back(co_await refusal([&]() -> Future<void> { co_await pg.listen(kNul); }));
    got.push_back(co_await refusal([&]() -> Future<void> { co_await pg.notify("c", kNul); }));
    got.push_back(
        std::to_string(co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + table)));
    co_await pg.execute_script("DROP TABLE " + table);
    co_return got;
  });
  REQUIRE(out.size() == 6);
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(out[i].rfind("invalid_argument: ", 0) == 0);
  }
  CHECK(out[4] == kRefused);
  CHECK(out[5] == "0");
}

TEST_CASE("MongoDB keeps a NUL in a string and refuses one in a name", "[newuser][mongo]") {
  IOLoop loop;
  gale::mongo::Client client(gale::testing::mongo_uri());
  auto db = client[gale::testing::unique_db("nul")];
  auto coll = db["items"];
  auto out = loop.run_sync([&]() -> Future<std::vector<std::string>> {
    std::vector<std::string> got;
    json doc = {{"_id", 1}, {"s", kNul}, {"list", {kNul}}};
    std::string refused =
        co_await refusal([&]() -> Future<void> { co_await coll.insert_one(doc); });
    json filter = {{"_id", 1}};
    auto back = co_await coll.find_one(filter);
    if (!refused.empty()) {
      got.push_back(back ? "changed" : "refused by the server");
    } else {
      got.push_back(back && (*back)["s"] == kNul && (*back)["list"][0] == kNul ? "kept"
                                                                               : "changed");
    }
    json bad_top = {{"_id", 2}, {kNul, 1}};
    json bad_deep = {{"_id", 3}, {"a", {{"b", {{{kNul, 1}}}}}}};
    for (const json* bad : {&bad_top, &bad_deep}) {
      got.push_back(co_await refusal([&]() -> Future<void> { co_await coll.insert_one(*bad); }));
    }
    got.push_back(std::to_string(co_await coll.count_documents(json::object())));
    co_await db.drop();
    co_return got;
  });
  REQUIRE(out.size() == 4);
  // FerretDB's PostgreSQL handler stores documents as jsonb, which has no NUL: the server refuses
  // the value with an error (never a changed one). Every other server keeps it.
  const bool jsonb = gale::testing::mongo_server() == "ferretdb-postgresql";
  CHECK(out[0] == (jsonb ? "refused by the server" : "kept"));
  CHECK(out[1].rfind("invalid_argument", 0) == 0);
  CHECK(out[2].rfind("invalid_argument", 0) == 0);
  CHECK(out[3] == (jsonb ? "0" : "1"));
  CHECK_THROWS_AS(client[kNul], gale::Error);
  CHECK_THROWS_AS(db[kNul], gale::Error);
}

namespace {

// The handler the new user wrote: a field of the body straight into a text parameter.
struct Notes : gale::web::RequestHandler {
  static inline gale::pg::Client* pg = nullptr;
  static inline std::string table;
  Future<void> post(std::string_view) override {
    json body = json_body();
    std::string title = body.value("title", "");
    co_await pg->execute("INSERT INTO " + table + " (title) VALUES ($1)", title);
    set_status(201);
    co_return;
  }
};

}  // namespace

TEST_CASE("A NUL through the web layer is a 400, and nothing is stored", "[newuser][web][pg]") {
  IOLoop loop;
  gale::pg::Client pg(gale::testing::pg_uri());
  Notes::pg = &pg;
  Notes::table = "newuser_nul_web_" + std::to_string(getpid());
  loop.run_sync([&]() -> Future<void> {
    co_await pg.execute_script("DROP TABLE IF EXISTS " + Notes::table + "; CREATE TABLE " +
                               Notes::table + " (title text)");
  });
  gale::web::Settings settings;
  settings.access_log = false;
  gale::web::Application app({{"/notes", gale::web::handler<Notes>()}}, settings);
  gale::web::testing::TestServer server(app);
  json nul = {{"title", kNul}};
  json plain = {{"title", "ab"}};
  auto refused = server.fetch_sync("/notes", "POST", nul);
  auto created = server.fetch_sync("/notes", "POST", plain);
  CHECK(refused.code == 400);
  CHECK(json::parse(refused.body)["error"]["message"] == "a text value cannot contain a NUL byte");
  CHECK(created.code == 201);
  auto titles = loop.run_sync([&]() -> Future<json> {
    auto rows = co_await pg.query("SELECT title FROM " + Notes::table);
    co_await pg.execute_script("DROP TABLE " + Notes::table);
    co_return rows.to_json();
  });
  CHECK(titles == json::parse(R"([{"title": "ab"}])"));
}

TEST_CASE("A NUL in a connection string or a Decimal128 is refused, not cut", "[newuser]") {
  auto kind_of_refusal = [](auto make) -> std::string {
    try {
      make();
    } catch (const gale::Error& e) {
      return std::string(gale::to_string(e.kind()));
    }
    return "accepted";
  };
  // What follows the NUL would be lost in C: sslmode, tls, the rest of the number.
  std::string pg_uri =
      std::string("postgresql://app@127.0.0.1:5432/app") + '\0' + "?sslmode=verify-full";
  std::string mongo_uri = std::string("mongodb://127.0.0.1:27017/") + '\0' + "?tls=true";
  CHECK(kind_of_refusal([&] { gale::pg::Client c(pg_uri); }) == "invalid_argument");
  CHECK(kind_of_refusal([&] { gale::mongo::Client c(mongo_uri); }) == "invalid_argument");
  json decimal = {{"d",
                   {{"$numberDecimal", std::string("1\0"
                                                   "2",
                                                   3)}}}};
  CHECK(kind_of_refusal([&] { gale::mongo::Document d(decimal); }) == "invalid_argument");
  json plain = {{"d", {{"$numberDecimal", "12"}}}};
  CHECK(kind_of_refusal([&] { gale::mongo::Document d(plain); }) == "accepted");
}
