// A project outside gale that uses every layer through the installed package, the way the README
// shows it: one include, a Services holder made after listen() (after any fork), handlers that
// reach it, PostgreSQL and MongoDB queries awaited inside a handler, the loop's gather and
// with_timeout, the test server, an option of its own, and a live feed of a PostgreSQL table's changes. Exits 0 when
// every check holds; prints what failed otherwise.
#include <gale/gale.hpp>
#include <gale/web/testing.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <unistd.h>

using namespace std::chrono_literals;

namespace {

struct Services {
  std::optional<gale::pg::Client> pg;
  std::optional<gale::mongo::Client> mongo;
};

struct Sum : gale::web::RequestHandler {
  explicit Sum(Services* s) : services(s) {}
  gale::Future<void> post(std::string_view) override {
    nlohmann::json body = json_body();
    auto query = services->pg->query_value<std::int64_t>("SELECT $1::bigint + 1",
                                                         body.at("n").get<std::int64_t>());
    std::int64_t from_pg = co_await gale::with_timeout(5s, std::move(query));
    nlohmann::json doc = {{"n", from_pg}};
    auto coll = (*services->mongo)["gale_consumer"]["sums"];
    auto inserted = co_await coll.insert_one(doc);
    nlohmann::json filter = {{"_id", inserted.inserted_id}};
    auto found = co_await coll.find_one(filter);
    co_await coll.drop();
    write_json({{"pg", from_pg}, {"mongo", found ? (*found)["n"] : nlohmann::json()}});
    co_return;
  }
  Services* services;
};

struct Ping : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {  // synchronous: no co_await, so it returns
    write_json({{"pong", true}});
    return {};
  }
};

int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAILED %s\n", what);
    ++failures;
  }
}

// A table of this process's own (the static and shared checks may run at once), its change log
// installed, an insert read back from its live feed, then everything dropped.
std::string live_insert(gale::pg::Client& pg) {
  const std::string table = "gale_consumer_" + std::to_string(::getpid());
  return gale::IOLoop::current().run_sync([&]() -> gale::Future<std::string> {
    co_await pg.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY)");
    co_await gale::live::install_change_log(pg, table);
    auto feed = co_await gale::live::watch(pg, table);
    co_await pg.execute("INSERT INTO " + table + " VALUES (7)");
    gale::live::Event event = co_await gale::with_timeout(10s, feed.next());
    feed.close();
    co_await gale::live::drop_change_log(pg, table);
    co_await pg.execute("DROP TABLE " + table);
    co_return event.is_gap() ? "gap" : event.change.value("operationType", "");
  });
}

}  // namespace

// An option of the program's own, read from the command line without CLI11 in this file.
int page_size_option() {
  gale::web::Options options("consumer");
  int page_size = 10;
  options.define("--page-size", page_size, "items per page");
  const char* argv[] = {"consumer", "--page-size", "25"};
  options.parse_or_throw(3, argv);
  return page_size;
}

int main() {
  const char* pg_uri = std::getenv("GALE_TEST_PG_URI");
  const char* mongo_uri = std::getenv("GALE_TEST_MONGO_URI");
  if (pg_uri == nullptr || mongo_uri == nullptr) {
    std::fprintf(stderr, "consumer: GALE_TEST_PG_URI and GALE_TEST_MONGO_URI must be set\n");
    return 1;
  }
  Services services;
  gale::web::Application app(
      {{"/sum", gale::web::handler<Sum>(&services)}, {"/ping", gale::web::handler<Ping>()}});
  gale::web::testing::TestServer server(app);
  services.pg.emplace(pg_uri);
  services.mongo.emplace(mongo_uri);

  auto ping = server.fetch_sync("/ping");
  check(ping.code == 200 && ping.json()["pong"] == true, "GET /ping answers {\"pong\": true}");
  nlohmann::json body = {{"n", 41}};
  auto sum = server.fetch_sync("/sum", "POST", body);
  check(sum.code == 200, "POST /sum answers 200");
  if (sum.code == 200) {
    check(sum.json()["pg"] == 42, "PostgreSQL computed 42");
    check(sum.json()["mongo"] == 42, "MongoDB stored and found 42");
  } else {
    std::fprintf(stderr, "consumer: %s\n", sum.body.c_str());
  }
  auto missing = server.fetch_sync("/nowhere");
  check(missing.code == 404 && missing.json()["error"]["status"] == 404, "a JSON 404");

  int both = gale::IOLoop::current().run_sync([]() -> gale::Future<int> {
    auto results = co_await gale::gather(gale::sleep(1ms), gale::sleep(2ms));
    (void)results;
    co_return 2;
  });
  check(both == 2, "gather of two sleeps");
  check(page_size_option() == 25, "--page-size 25 read into an int");
  check(live_insert(*services.pg) == "insert", "a live feed saw the row inserted");
  std::printf("consumer: %s\n", failures == 0 ? "every check passed" : "some checks failed");
  return failures == 0 ? 0 : 1;
}
