#include <catch2/catch.hpp>

#include <thread>

#include "gale/loop/loop.hpp"
#include "gale/web/testing.hpp"
#include "test_app.hpp"

using gale::web::Application;
using gale::web::testing::TestServer;
using namespace std::chrono_literals;

TEST_CASE("/metrics reports requests by status, latency, connections, loop lag and pools",
          "[metrics]") {
  auto settings = gale::testing::quiet_settings();
  settings.metrics = true;
  Application app(gale::testing::test_routes(), settings);
  app.metrics().add_pool([] {
    gale::PoolStats s;
    s.name = "pg";
    s.max_size = 16;
    s.size = 3;
    s.idle = 2;
    s.in_use = 1;
    return s;
  });
  TestServer server(app);
  for (int i = 0; i < 3; ++i) CHECK(server.fetch_sync("/echo/m").code == 200);
  CHECK(server.fetch_sync("/nope").code == 404);
  // A callback that holds the loop shows up as lag.
  // The lag probe runs every 250 ms, so a 300 ms block is sure to delay one of its runs.
  gale::IOLoop::current().add_callback([] { std::this_thread::sleep_for(300ms); });
  gale::IOLoop::current().run_sync([] { return gale::sleep(700ms); }, 5s);
  auto r = server.fetch_sync("/metrics");
  REQUIRE(r.code == 200);
  CHECK(r.headers.get("Content-Type", "").starts_with("text/plain; version=0.0.4"));
  const std::string& text = r.body;
  CHECK(text.find("gale_http_requests_total{status=\"200\"} 3\n") != std::string::npos);
  CHECK(text.find("gale_http_requests_total{status=\"404\"} 1\n") != std::string::npos);
  CHECK(text.find("gale_http_request_duration_seconds_count 4\n") != std::string::npos);
  CHECK(text.find("gale_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n") !=
        std::string::npos);
  CHECK(text.find("gale_http_connections 1\n") != std::string::npos);
  CHECK(text.find("gale_pool_size{pool=\"pg\"} 3\n") != std::string::npos);
  CHECK(text.find("gale_pool_in_use{pool=\"pg\"} 1\n") != std::string::npos);
  auto at = text.find("\ngale_loop_lag_max_seconds ");
  REQUIRE(at != std::string::npos);
  INFO(text.substr(at, 60));
  double max_lag = std::stod(text.substr(at + std::string("\ngale_loop_lag_max_seconds ").size()));
  CHECK(max_lag >= 0.04);
  CHECK(app.metrics().requests(200) == 4);  // the scrape itself counts once it is answered
}
