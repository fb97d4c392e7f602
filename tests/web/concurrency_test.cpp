// 1,000 concurrent connections, each with a request in flight at the same time.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "gale/web/testing.hpp"
#include "raw_client.hpp"
#include "test_app.hpp"

using gale::testing::RawClient;
using gale::web::Application;
using gale::web::testing::ThreadedServer;
using json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("1,000 concurrent connections are all served", "[concurrency]") {
  constexpr int kClients = 1000;
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_cur < 2 * kClients + 100) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 4 * kClients);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &limit) == 0);
  }
  REQUIRE(limit.rlim_cur >= 2 * kClients + 100);

  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  std::vector<std::unique_ptr<RawClient>> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i)
    clients.push_back(std::make_unique<RawClient>(server.port(), 20s));
  // Every request is sent before any response is read, and each handler sleeps 200 ms: one at a
  // time would take 200 s; together they take well under 20 s.
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; ++i) {
    clients[static_cast<std::size_t>(i)]->send("GET /slow?ms=200 HTTP/1.1\r\nHost: t\r\n\r\n");
  }
  int ok = 0;
  for (auto& c : clients) {
    auto r = c->read_response();
    if (r && r->status == 200 && json::parse(r->body)["slept_ms"] == 200) ++ok;
  }
  CHECK(ok == kClients);
  CHECK(std::chrono::steady_clock::now() - t0 < 20s);
  // And they are all still open, kept alive.
  std::size_t open = 0;
  server.call([&](gale::web::HTTPServer& s) { open = s.connections(); });
  CHECK(open == kClients);
}

TEST_CASE("200 slow clients holding half-sent headers do not slow down the others",
          "[concurrency]") {
  auto settings = gale::testing::quiet_settings();
  settings.header_timeout = 1500ms;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(std::make_unique<RawClient>(server.port()));
    slow.back()->send("GET /echo/slow HTTP/1.1\r\nHost: t\r\nX-Never-Ends: ");
  }
  // Others are served at once meanwhile.
  for (int i = 0; i < 50; ++i) {
    RawClient c(server.port());
    auto t0 = std::chrono::steady_clock::now();
    c.send("GET /echo/fast HTTP/1.1\r\nHost: t\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < 200ms);
  }
  // Then every slow one gets its 408.
  int timed_out = 0;
  for (auto& c : slow) {
    auto r = c->read_response();
    if (r && r->status == 408) ++timed_out;
  }
  CHECK(timed_out == 200);
}
