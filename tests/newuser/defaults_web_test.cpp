// The web layer's public async functions, each awaited with every defaulted argument left out:
// the test server's fetch forms, the HTTP client's, a handler's flush(), the server's shutdown().
#include <catch2/catch.hpp>

#include <string>

#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;

namespace {
struct Echo : gale::web::RequestHandler {
  Future<void> get(std::string_view) override {
    write("hel");
    co_await flush();
    write("lo");
    co_return;
  }
  Future<void> post(std::string_view) override {
    nlohmann::json body = json_body();
    write_json({{"got", body}});
    co_return;
  }
};
}  // namespace

TEST_CASE("TestServer::fetch and the HTTP client awaited as written", "[newuser][web]") {
  IOLoop loop;
  gale::web::Application app({{"/echo", gale::web::handler<Echo>()}});
  gale::web::testing::TestServer server(app);
  const std::string url = server.url("/echo");
  auto got = loop.run_sync([&server, &url]() -> Future<std::string> {
    auto a = co_await server.fetch("/echo");
    nlohmann::json body = {{"n", 1}};
    auto b = co_await server.fetch("/echo", "POST", body);
    gale::web::HTTPClient client;
    auto c = co_await client.fetch(url);
    auto d = co_await gale::web::fetch(url);
    co_return a.body + "," + b.json()["got"].dump() + "," + c.body + "," + d.body;
  });
  CHECK(got == R"(hello,{"n":1},hello,hello)");
  CHECK(server.fetch_sync("/echo").body == "hello");
}

TEST_CASE("HTTPServer::shutdown awaited with its drain left out", "[newuser][web]") {
  IOLoop loop;
  gale::web::Application app({{"/echo", gale::web::handler<Echo>()}});
  gale::web::testing::TestServer server(app);
  CHECK(server.fetch_sync("/echo").code == 200);
  loop.run_sync([&server]() -> Future<void> { co_await server.server().shutdown(); });
  CHECK(server.server().connections() == 0);
}
