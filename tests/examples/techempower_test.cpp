// examples/techempower against the TechEmpower rules: shapes, headers, id ranges, the clamping of
// `queries`, updates that persist, and the fortunes page (sorted in the app, HTML-escaped, the
// request-time fortune added). Seeds its own world and fortune data, as bench/peers/seed.py does.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <regex>
#include <set>

#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "gale/pg/pg.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "support/env.hpp"
#include "techempower/app.hpp"
#include "techempower/world.hpp"

using gale::web::HTTPResponse;
using nlohmann::json;

namespace {

const std::vector<std::string> kFortunes = {
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \xE2\x80\x94 Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \xE2\x80\x94 Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    "\xE3\x83\x95\xE3\x83\xAC\xE3\x83\xBC\xE3\x83\xA0\xE3\x83\xAF\xE3\x83\xBC\xE3\x82\xAF\xE3\x81"
    "\xAE"
    "\xE3\x83\x99\xE3\x83\xB3\xE3\x83\x81\xE3\x83\x9E\xE3\x83\xBC\xE3\x82\xAF",
};

gale::Future<void> seed_pg(gale::pg::Client& pg) {
  co_await pg.execute_script(
      "CREATE TABLE IF NOT EXISTS world (id integer PRIMARY KEY, randomnumber integer NOT NULL);"
      "CREATE TABLE IF NOT EXISTS fortune (id integer PRIMARY KEY, message text NOT NULL);");
  auto worlds = co_await pg.query_value<std::int64_t>("SELECT count(*) FROM world");
  if (worlds != 10000) {
    co_await pg.execute_script(
        "TRUNCATE world; INSERT INTO world SELECT g, 1 + floor(random() * 10000)::int"
        " FROM generate_series(1, 10000) g;");
  }
  auto fortunes = co_await pg.query_value<std::int64_t>("SELECT count(*) FROM fortune");
  if (fortunes != static_cast<std::int64_t>(kFortunes.size())) {
    co_await pg.execute("TRUNCATE fortune");
    for (std::size_t i = 0; i < kFortunes.size(); ++i) {
      co_await pg.execute("INSERT INTO fortune VALUES ($1, $2)", static_cast<int>(i + 1),
                          kFortunes[i]);
    }
  }
}

// Inserts `docs`, skipping those already there: another process may be seeding the same database
// (the documents are the same). This test's own cases seed one at a time (RESOURCE_LOCK
// gale_bench in CMakeLists.txt).
gale::Future<void> insert_all(gale::mongo::Collection c, std::vector<json> docs) {
  gale::mongo::InsertOptions unordered;
  unordered.ordered = false;
  std::exception_ptr failed;
  try {
    co_await c.insert_many(std::move(docs), unordered);
  } catch (const gale::mongo::MongoError& e) {
    bool all_duplicates = !e.write_errors().empty();
    for (const auto& w : e.write_errors()) all_duplicates = all_duplicates && w.code == 11000;
    if (!all_duplicates) failed = std::current_exception();
  }
  if (failed) std::rethrow_exception(failed);
}

gale::Future<void> seed_mongo(gale::mongo::Database db) {
  auto world = db["world"];
  json string_ids;
  string_ids["_id"]["$type"] = "string";
  if (co_await world.count_documents(string_ids) != 10000) {
    co_await world.drop();
    std::vector<json> docs;
    for (int i = 1; i <= 10000; ++i) {
      docs.push_back(
          json{{"_id", std::to_string(i)}, {"id", i}, {"randomNumber", 1 + (i * 7919) % 10000}});
    }
    co_await insert_all(world, std::move(docs));
  }
  auto fortune = db["fortune"];
  if (co_await fortune.count_documents() != static_cast<std::int64_t>(kFortunes.size())) {
    co_await fortune.drop();
    std::vector<json> docs;
    for (std::size_t i = 0; i < kFortunes.size(); ++i) {
      docs.push_back(json{{"_id", i + 1}, {"id", i + 1}, {"message", kFortunes[i]}});
    }
    co_await insert_all(fortune, std::move(docs));
  }
}

// The app with both databases, seeded, on a test server.
class TechEmpower {
 public:
  TechEmpower()
      : pg_(gale::testing::pg_uri()),
        mongo_(gale::testing::mongo_uri()),
        db_(mongo_["gale_bench"]),
        app_({}, settings()) {
    auto& loop = gale::IOLoop::current();
    loop.run_sync([this] { return seed_pg(pg_); }, std::chrono::seconds(60));
    loop.run_sync([this] { return seed_mongo(db_); }, std::chrono::seconds(120));
    techempower::add_routes(app_, &pg_, &db_);
    server_ = std::make_unique<gale::web::testing::TestServer>(app_);
  }
  HTTPResponse get(const std::string& path) {
    return server_->fetch_sync(path, gale::web::testing::TestServer::with_raise_error(false),
                               std::chrono::seconds(60));
  }
  gale::pg::Client& pg() { return pg_; }
  gale::mongo::Database& db() { return db_; }

 private:
  static gale::web::Settings settings() {
    gale::web::Settings s;
    s.access_log = false;
    return s;
  }
  gale::pg::Client pg_;
  gale::mongo::Client mongo_;
  gale::mongo::Database db_;
  gale::web::Application app_;
  std::unique_ptr<gale::web::testing::TestServer> server_;
};

// The headers every test type requires.
void check_headers(const HTTPResponse& r, const std::string& type) {
  CHECK(r.code == 200);
  CHECK(r.headers.get("Content-Type", "") == type);
  CHECK(r.headers.get("Server", "") == "gale");
  CHECK(!r.headers.get("Date", "").empty());
  CHECK(r.headers.get("Content-Length", "") == std::to_string(r.body.size()));
}

void check_world(const json& w) {
  REQUIRE(w.is_object());
  CHECK(w.size() == 2);
  REQUIRE(w["id"].is_number_integer());
  REQUIRE(w["randomNumber"].is_number_integer());
  CHECK(w["id"].get<int>() >= 1);
  CHECK(w["id"].get<int>() <= 10000);
  CHECK(w["randomNumber"].get<int>() >= 1);
  CHECK(w["randomNumber"].get<int>() <= 10000);
}

void check_fortunes(const HTTPResponse& r) {
  check_headers(r, "text/html; charset=utf-8");
  const std::string& html = r.body;
  CHECK(html.rfind("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
                   "<tr><th>id</th><th>message</th></tr>",
                   0) == 0);
  CHECK(html.ends_with("</table></body></html>"));
  // Escaped, never raw.
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a "
                  "browser alert box.&quot;);&lt;/script&gt;</td></tr>") != std::string::npos);
  CHECK(html.find("aren&#39;t broken") != std::string::npos);
  CHECK(html.find("<tr><td>0</td><td>Additional fortune added at request time.</td></tr>") !=
        std::string::npos);
  // 13 rows, sorted by message.
  std::regex row("<tr><td>(\\d+)</td><td>([^<]*)</td></tr>");
  std::vector<std::string> messages;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), row); it != std::sregex_iterator();
       ++it) {
    messages.push_back((*it)[2]);
  }
  CHECK(messages.size() == kFortunes.size() + 1);
  std::vector<std::string> unescaped;
  for (auto m : messages) {
    for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}}) {
      for (auto p = m.find(from); p != std::string::npos; p = m.find(from, p + 1))
        m.replace(p, from.size(), to);
    }
    unescaped.push_back(m);
  }
  CHECK(std::is_sorted(unescaped.begin(), unescaped.end()));
  CHECK(unescaped.front() ==
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>");
  CHECK(unescaped.back() == kFortunes.back());  // the Japanese one sorts last
}

}  // namespace

TEST_CASE("clamp_queries follows the rules: 1..500, 1 for anything that is not a number",
          "[techempower]") {
  using techempower::clamp_queries;
  CHECK(clamp_queries(std::nullopt) == 1);
  CHECK(clamp_queries("") == 1);
  CHECK(clamp_queries("foo") == 1);
  CHECK(clamp_queries("0") == 1);
  CHECK(clamp_queries("-5") == 1);
  CHECK(clamp_queries("20") == 20);
  CHECK(clamp_queries("500") == 500);
  CHECK(clamp_queries("501") == 500);
  CHECK(clamp_queries("99999999999999999999") == 500);
  CHECK(clamp_queries("3x") == 1);
  std::string escaped;
  techempower::append_escaped(escaped, R"(<a href="x">&'</a>)");
  CHECK(escaped == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

TEST_CASE("/json and /plaintext answer the exact bodies and headers", "[techempower]") {
  TechEmpower te;
  auto j = te.get("/json");
  check_headers(j, "application/json");
  CHECK(j.body == R"({"message":"Hello, World!"})");
  auto p = te.get("/plaintext");
  check_headers(p, "text/plain");
  CHECK(p.body == "Hello, World!");
}

TEST_CASE("/db and /mongo/db answer one random world", "[techempower]") {
  TechEmpower te;
  for (const char* path : {"/db", "/mongo/db"}) {
    std::set<int> ids;
    for (int i = 0; i < 20; ++i) {
      auto r = te.get(path);
      INFO(path << " " << r.body);
      check_headers(r, "application/json");
      auto w = r.json();
      check_world(w);
      ids.insert(w["id"].get<int>());
    }
    CHECK(ids.size() > 10);  // random ids, not one cached row
  }
}

TEST_CASE("/queries and /mongo/queries clamp `queries` to 1..500", "[techempower]") {
  TechEmpower te;
  struct Case {
    std::string arg;
    std::size_t n;
  };
  std::vector<Case> cases = {{"", 1},
                             {"?queries=", 1},
                             {"?queries=foo", 1},
                             {"?queries=0", 1},
                             {"?queries=-3", 1},
                             {"?queries=1", 1},
                             {"?queries=20", 20},
                             {"?queries=501", 500}};
  for (const char* base : {"/queries", "/mongo/queries"}) {
    for (const auto& c : cases) {
      if (std::string(base) == "/mongo/queries" && c.n == 500) continue;  // below, once
      auto r = te.get(base + c.arg);
      INFO(base << c.arg);
      check_headers(r, "application/json");
      auto worlds = r.json();
      REQUIRE(worlds.is_array());
      CHECK(worlds.size() == c.n);
      for (auto& w : worlds) check_world(w);
    }
  }
  auto big = te.get("/mongo/queries?queries=500");
  CHECK(big.json().size() == 500);
}

TEST_CASE("/updates and /mongo/updates write the numbers they answer", "[techempower]") {
  TechEmpower te;
  for (int round = 0; round < 3; ++round) {
    auto r = te.get("/updates?queries=20");
    check_headers(r, "application/json");
    auto worlds = r.json();
    REQUIRE(worlds.size() == 20);
    for (auto& w : worlds) {
      check_world(w);
      auto stored = gale::IOLoop::current().run_sync(
          [&] {
            return te.pg().query_value<int>("SELECT randomnumber FROM world WHERE id = $1",
                                            w["id"].get<int>());
          },
          std::chrono::seconds(10));
      CHECK(stored == w["randomNumber"].get<int>());
    }
    auto m = te.get("/mongo/updates?queries=5");
    check_headers(m, "application/json");
    auto docs = m.json();
    REQUIRE(docs.size() == 5);
    for (auto& w : docs) {
      check_world(w);
      json filter = {{"_id", std::to_string(w["id"].get<int>())}};
      auto stored = gale::IOLoop::current().run_sync(
          [&] { return te.db()["world"].find_one(filter); }, std::chrono::seconds(10));
      REQUIRE(stored);
      CHECK((*stored)["randomNumber"] == w["randomNumber"]);
    }
  }
  CHECK(te.get("/updates?queries=0").json().size() == 1);
  CHECK(te.get("/updates?queries=bar").json().size() == 1);
  CHECK(te.get("/updates?queries=501").json().size() == 500);
}

TEST_CASE("/fortunes and /mongo/fortunes: sorted, escaped, with the request-time fortune",
          "[techempower]") {
  TechEmpower te;
  check_fortunes(te.get("/fortunes"));
  check_fortunes(te.get("/mongo/fortunes"));
}
