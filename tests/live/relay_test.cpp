// The Relay: one PostgreSQL feed fanned out to WebSockets (gale's own client) that join from now or
// resume from a position, through the relay's history or, beyond it, the database.
#include <catch2/catch.hpp>

#include <map>

#include "gale/live/live.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "pg/support.hpp"

using namespace gale::testing;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;
using gale::web::WebSocketClientConnection;
using nlohmann::json;

namespace {

struct LiveSocket : gale::web::WebSocketHandler {
  explicit LiveSocket(gale::live::Relay* r) : relay(*r) {}
  Future<void> open(std::string_view) override {
    co_await relay.join(*this, get_optional_argument("after"));
  }
  gale::live::Relay& relay;
};

struct Fixture {
  explicit Fixture(std::size_t history) : pg(pg_uri_with("pool_max_size=4")) {
    gale::live::RelayOptions o;
    o.history = history;
    relay.emplace(o);
    table = unique_name("relay");
    run(loop, [&]() -> Future<void> {
      co_await pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY)");
      co_await gale::live::install_change_log(pg, table);
      auto feed = co_await gale::live::watch(pg, table);
      relay->start(std::move(feed));
    });
    app.add_route("/live", gale::web::handler<LiveSocket>(&*relay));
    server.emplace(app);
  }
  ~Fixture() {
    try {
      run(loop, [&] { return relay->stop(); });
      run(loop, [&]() -> Future<void> {
        co_await gale::live::drop_change_log(pg, table);
        co_await pg.execute("DROP TABLE IF EXISTS " + table);
      });
    } catch (...) {
    }
  }

  Future<void> insert(int from, int to) {
    for (int i = from; i <= to; ++i) {
      co_await pg.execute("INSERT INTO " + table + " VALUES ($1)", i);
    }
  }

  IOLoop loop;
  Client pg;
  std::optional<gale::live::Relay> relay;
  std::string table;
  gale::web::Application app{{}, gale::web::Settings{}};
  std::optional<gale::web::testing::TestServer> server;
};

Future<json> next(WebSocketClientConnection& ws) {
  auto m = co_await ws.read_message(std::chrono::milliseconds(10'000));
  REQUIRE(m);
  co_return json::parse(m->data);
}

// Reads changes from..to, each once and in order; their positions by id into `positions`.
Future<void> expect_changes(WebSocketClientConnection& ws, int from, int to,
                            std::map<int, std::string>& positions) {
  for (int i = from; i <= to; ++i) {
    json m = co_await next(ws);
    REQUIRE(m["type"] == "change");
    REQUIRE(m["data"]["documentKey"]["id"] == i);
    const std::string position = m["position"];
    REQUIRE_FALSE(position.empty());
    REQUIRE((positions.empty() || positions.rbegin()->second != position));
    positions[i] = position;
  }
}

Future<void> expect_changes(WebSocketClientConnection& ws, int from, int to) {
  std::map<int, std::string> positions;
  co_await expect_changes(ws, from, to, positions);
}

std::string ws_url(Fixture& f, const std::string& query) {
  return f.server->url("/live" + query).replace(0, 4, "ws");
}

}  // namespace

TEST_CASE("a relay member joins from now, told where now is, and gets each change once", "[live]") {
  Fixture f(100);
  run(f.loop, [&]() -> Future<void> {
    auto first = co_await gale::web::websocket_connect(ws_url(f, ""));
    json ready = co_await next(first);
    CHECK(ready["type"] == "ready");
    std::map<int, std::string> positions;
    co_await f.insert(1, 3);
    co_await expect_changes(first, 1, 3, positions);
    auto second = co_await gale::web::websocket_connect(ws_url(f, ""));
    json now = co_await next(second);
    CHECK(now["type"] == "ready");
    CHECK(now["position"] == positions[3]);  // after what the relay sent before
    CHECK(f.relay->members() == 2);
    co_await f.insert(4, 6);
    co_await expect_changes(second, 4, 6);
    co_await expect_changes(first, 4, 6);
    co_await second.close();
  });
}

TEST_CASE("a relay member resumes through its history, at its own pace past 64 events", "[live]") {
  Fixture f(500);
  run(f.loop, [&]() -> Future<void> {
    auto first = co_await gale::web::websocket_connect(ws_url(f, ""));
    co_await next(first);  // ready
    std::map<int, std::string> positions;
    co_await f.insert(1, 200);
    co_await expect_changes(first, 1, 200, positions);  // the relay has them all now
    auto resumed = co_await gale::web::websocket_connect(ws_url(f, "?after=" + positions[5]));
    co_await expect_changes(resumed, 6, 200);
    co_await f.insert(201, 202);
    co_await expect_changes(resumed, 201, 202);
    co_await expect_changes(first, 201, 202);
  });
}

TEST_CASE("a relay member from beyond its history catches up through the database", "[live]") {
  Fixture f(10);  // keeps 10: resuming after the 3rd of 300 reads the 4th on from the change log
  run(
      f.loop,
      [&]() -> Future<void> {
        auto first = co_await gale::web::websocket_connect(ws_url(f, ""));
        co_await next(first);  // ready
        std::map<int, std::string> positions;
        co_await f.insert(1, 300);
        co_await expect_changes(first, 1, 300, positions);
        auto resumed = co_await gale::web::websocket_connect(ws_url(f, "?after=" + positions[3]));
        co_await expect_changes(resumed, 4, 300);
        co_await f.insert(301, 301);
        co_await expect_changes(resumed, 301, 301, positions);
        // A position the log never had: reload, then live.
        auto odd = co_await gale::web::websocket_connect(ws_url(f, "?after=9999:9999"));
        json reload = co_await next(odd);
        CHECK(reload["type"] == "reload");
        CHECK(reload["position"] == positions[301]);
        co_await f.insert(302, 302);
        co_await expect_changes(odd, 302, 302);
        co_await expect_changes(resumed, 302, 302);
      },
      60s);
}
