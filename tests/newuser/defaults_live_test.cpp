// The live layer's public async calls with every defaulted argument left out, as a new user first
// writes them from docs: a change log and a feed on a PostgreSQL table, a relay fanning it out to
// a WebSocket; a MongoDB feed where the server has change streams (mongo-java-server), else its
// typed refusal (FerretDB).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <optional>
#include <string>

#include "gale/live/live.hpp"
#include "gale/mongo/mongo.hpp"
#include "gale/pg/pg.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "support/env.hpp"

using gale::Future;
using gale::IOLoop;

namespace {

struct Socket : gale::web::WebSocketHandler {
  explicit Socket(gale::live::Relay* r) : relay(*r) {}
  Future<void> open(std::string_view) override { co_await relay.join(*this, std::nullopt); }
  gale::live::Relay& relay;
};

}  // namespace

TEST_CASE("every live call on PostgreSQL with its defaults left out", "[newuser][live]") {
  IOLoop loop;
  gale::pg::Client pg(gale::testing::pg_uri());
  gale::live::Relay relay;
  gale::web::Application app({{"/live", gale::web::handler<Socket>(&relay)}}, {});
  gale::web::testing::TestServer server(app);
  const std::string table = "newuser_live_" + std::to_string(getpid());
  auto got = loop.run_sync([&]() -> Future<std::string> {
    co_await pg.execute_script("DROP TABLE IF EXISTS " + table + ", " + table +
                               "_changes; CREATE TABLE " + table + " (id int PRIMARY KEY)");
    co_await gale::live::install_change_log(pg, table);
    auto feed = co_await gale::live::watch(pg, table);
    const std::string start = feed.position();
    co_await pg.execute("INSERT INTO " + table + " VALUES (1)");
    auto first = co_await feed.next();
    auto replay = co_await feed.replay(start);
    auto replayed = co_await replay.next(10);
    relay.start(std::move(feed));
    auto ws = co_await gale::web::websocket_connect(
        "ws://127.0.0.1:" + std::to_string(server.port()) + "/live");
    auto ready = co_await ws.read_message();
    co_await pg.execute("INSERT INTO " + table + " VALUES (2)");
    auto change = co_await ws.read_message();
    co_await relay.stop();
    co_await gale::live::drop_change_log(pg, table);
    co_await pg.execute("DROP TABLE " + table);
    co_return first.change["operationType"].get<std::string>() + "," +
        std::to_string(replayed.size()) + "," +
        nlohmann::json::parse(ready->data)["type"].get<std::string>() + "," +
        nlohmann::json::parse(change->data)["data"]["documentKey"].dump();
  });
  CHECK(got == R"(insert,1,ready,{"id":2})");
}

TEST_CASE("the live MongoDB feed with its defaults left out", "[newuser][live]") {
  IOLoop loop;
  gale::mongo::Client mongo(gale::testing::mongo_uri());
  auto coll = mongo["newuser_live"]["c" + std::to_string(getpid())];
  auto got = loop.run_sync([&]() -> Future<std::string> {
    std::optional<gale::live::Feed> feed;
    try {
      feed.emplace(co_await gale::live::watch(coll));
    } catch (const gale::Error& e) {
      co_return std::string("refused: ") + std::string(gale::to_string(e.kind()));
    }
    nlohmann::json doc = nlohmann::json::object();
    doc["_id"] = 1;
    co_await coll.insert_one(doc);
    auto e = co_await feed->next();
    co_await coll.drop();
    co_return e.change["operationType"].get<std::string>();
  });
  if (gale::testing::mongo_server().rfind("ferretdb", 0) == 0) {
    CHECK(got.rfind("refused: ", 0) == 0);  // no change streams there: a typed error
  } else {
    CHECK(got == "insert");
  }
}
