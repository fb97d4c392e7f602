// The HTTP client: keep-alive reuse, deadlines, body bound, errors.
#include <catch2/catch.hpp>

#include <asio/ip/tcp.hpp>

#include "gale/loop/loop.hpp"
#include "gale/web/testing.hpp"
#include "test_app.hpp"

using gale::Error;
using gale::ErrorKind;
using gale::IOLoop;
using gale::web::Application;
using gale::web::HTTPClient;
using gale::web::HTTPRequest;
using gale::web::testing::TestServer;
using namespace std::chrono_literals;

namespace {

ErrorKind kind_of_fetch(HTTPClient& client, HTTPRequest req) {
  try {
    IOLoop::current().run_sync([&] { return client.fetch(req); }, 10s);
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("the fetch did not fail");
  return ErrorKind::internal;
}

}  // namespace

TEST_CASE("fetch reuses kept-alive connections", "[client]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto first = server.fetch_sync("/echo/1");
  CHECK(!first.reused_connection);
  for (int i = 0; i < 5; ++i) {
    auto r = server.fetch_sync("/echo/again");
    CHECK(r.code == 200);
    CHECK(r.reused_connection);
  }
  CHECK(server.client().idle_connections() == 1);
  CHECK(server.server().connections() == 1);
}

TEST_CASE("fetch raises HTTPClientError for >= 400 unless told not to", "[client]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  HTTPRequest req;
  req.raise_error = true;
  try {
    server.fetch_sync("/error/not_found", req);
    FAIL("no error");
  } catch (const gale::web::HTTPClientError& e) {
    CHECK(e.code() == 404);
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(e.response().json()["error"]["status"] == 404);
  }
  CHECK(server.fetch_sync("/error/not_found").code == 404);
}

TEST_CASE("fetch fails with timeout when the server does not answer in time", "[client]") {
  // A listener that accepts and never answers.
  IOLoop& loop = IOLoop::current();
  asio::ip::tcp::acceptor mute(loop.context(), {asio::ip::make_address("127.0.0.1"), 0});
  HTTPClient client;
  HTTPRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(mute.local_endpoint().port()) + "/";
  req.request_timeout = 200ms;
  auto t0 = gale::Clock::now();
  CHECK(kind_of_fetch(client, req) == ErrorKind::timeout);
  CHECK(gale::Clock::now() - t0 < 2s);
}

TEST_CASE("fetch fails with unavailable when nothing listens", "[client]") {
  asio::io_context scratch;
  asio::ip::tcp::acceptor a(scratch, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = a.local_endpoint().port();
  a.close();  // the port is free now: connections are refused
  HTTPClient client;
  HTTPRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  CHECK(kind_of_fetch(client, req) == ErrorKind::unavailable);
}

TEST_CASE("fetch bounds the response body", "[client]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  HTTPRequest req;
  req.url = server.url("/big");
  req.max_body_size = 1000;
  CHECK(kind_of_fetch(server.client(), req) == ErrorKind::invalid_argument);
  CHECK(server.fetch_sync("/big").body.size() == 10000);
}

TEST_CASE("fetch refuses bad URLs and unsafe headers", "[client]") {
  HTTPClient client;
  HTTPRequest req;
  req.url = "not a url";
  CHECK(kind_of_fetch(client, req) == ErrorKind::invalid_argument);
  req.url = "ftp://127.0.0.1/";
  CHECK(kind_of_fetch(client, req) == ErrorKind::invalid_argument);
  req.url = "http://127.0.0.1:1/";
  req.headers.add("X-Evil", "a\r\nInjected: yes");
  CHECK(kind_of_fetch(client, req) == ErrorKind::invalid_argument);
}

TEST_CASE("fetch retries an idempotent request once when a kept-alive connection was closed",
          "[client]") {
  auto settings = gale::testing::quiet_settings();
  settings.idle_connection_timeout = 100ms;
  Application app(gale::testing::test_routes(), settings);
  TestServer server(app);
  CHECK(server.fetch_sync("/echo/1").code == 200);
  // The server drops the idle connection; the client notices and opens a new one.
  IOLoop::current().run_sync([] { return gale::sleep(400ms); }, 5s);
  auto r = server.fetch_sync("/echo/2");
  CHECK(r.code == 200);
  CHECK(!r.reused_connection);
}
