// Bearer auth (RFC 6750's 401s, the user in the typed state) and the per-client rate limit (429
// with Retry-After, a bounded table).
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "api_client.hpp"
#include "gale/loop/loop.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"

using gale::Future;
using gale::testing::api_request;
using gale::web::Application;
using gale::web::RequestHandler;
using gale::web::testing::TestServer;
using namespace std::chrono_literals;

namespace {

struct User {
  std::string name;
};

struct Me : RequestHandler {
  Future<void> get(std::string_view) override {
    write_json({{"name", state().get<User>().name}});
    return {};
  }
};

// Waits, as a check against a database would.
Future<std::optional<User>> check_token(std::string_view token) {
  std::string copy(token);
  co_await gale::sleep(1ms);
  if (copy == "ann-token") co_return User{"ann"};
  if (copy == "broken") throw gale::Error(gale::ErrorKind::unavailable, "token store down");
  co_return std::nullopt;
}

std::string header(const gale::web::HTTPResponse& r, std::string_view name) {
  return std::string(r.headers.get(name, "<none>"));
}

}  // namespace

TEST_CASE(
    "Bearer auth: 401 with WWW-Authenticate and invalid_token for a refused token and the user "
    "in state()",
    "[api]") {
  Application app({{"/me", gale::web::handler<Me>(), {gale::web::bearer_auth<User>(check_token)}}},
                  gale::testing::quiet_settings());
  TestServer server(app);
  auto ok = server.fetch_sync("/me", api_request("GET", {{"Authorization", "Bearer ann-token"}}));
  REQUIRE(ok.code == 200);
  CHECK(ok.json()["name"] == "ann");
  CHECK(
      server.fetch_sync("/me", api_request("GET", {{"Authorization", "bearer ann-token"}})).code ==
      200);  // the scheme is case-insensitive

  auto none = server.fetch_sync("/me", api_request("GET"));
  CHECK(none.code == 401);
  CHECK(header(none, "WWW-Authenticate") == "Bearer realm=\"api\"");
  CHECK(none.json()["error"]["message"] == "a bearer token is required");
  auto basic = server.fetch_sync("/me", api_request("GET", {{"Authorization", "Basic YTpi"}}));
  CHECK(basic.code == 401);
  CHECK(header(basic, "WWW-Authenticate") == "Bearer realm=\"api\"");
  auto wrong = server.fetch_sync("/me", api_request("GET", {{"Authorization", "Bearer nope"}}));
  CHECK(wrong.code == 401);
  CHECK(header(wrong, "WWW-Authenticate") == "Bearer realm=\"api\", error=\"invalid_token\"");
  CHECK(wrong.json()["error"]["status"] == 401);
  auto broken = server.fetch_sync("/me", api_request("GET", {{"Authorization", "Bearer broken"}}));
  CHECK(broken.code == 503);  // the check's failure, mapped as a handler's would be
}

TEST_CASE("Bearer auth with a check that answers at once: the same 401s and the user in state()",
          "[api]") {
  int calls = 0;
  auto check = [&calls](std::string_view token) -> std::optional<User> {
    ++calls;
    if (token == "bad") throw gale::Error(gale::ErrorKind::unavailable, "token store down");
    if (token != "ann-token") return std::nullopt;
    return User{"ann"};
  };
  Application app({{"/me", gale::web::handler<Me>(), {gale::web::bearer_auth<User>(check, "ops")}}},
                  gale::testing::quiet_settings());
  TestServer server(app);
  auto ok = server.fetch_sync("/me", api_request("GET", {{"Authorization", "Bearer ann-token"}}));
  REQUIRE(ok.code == 200);
  CHECK(ok.json()["name"] == "ann");
  auto none = server.fetch_sync("/me", api_request("GET"));
  CHECK(none.code == 401);
  CHECK(header(none, "WWW-Authenticate") == "Bearer realm=\"ops\"");
  auto wrong = server.fetch_sync("/me", api_request("GET", {{"Authorization", "Bearer nope"}}));
  CHECK(wrong.code == 401);
  CHECK(header(wrong, "WWW-Authenticate") == "Bearer realm=\"ops\", error=\"invalid_token\"");
  CHECK(server.fetch_sync("/me", api_request("GET", {{"Authorization", "Bearer bad"}})).code ==
        503);
  CHECK(calls == 3);  // not called without a token
}

TEST_CASE("Rate limit: 429 with Retry-After once a client's bucket is empty and per client",
          "[api]") {
  gale::web::RateLimitOptions o;
  o.rate = 0.01;  // one token per 100 s: nothing refills during the test
  o.burst = 2;
  o.key = [](const RequestHandler& h) { return std::string(h.header("X-Client")); };
  auto limit = gale::web::rate_limit(o);
  Application app({{"/me",
                    gale::web::handler<Me>(),
                    {gale::web::middleware([](RequestHandler& h) -> Future<void> {
                      h.state().set(User{"x"});
                      return {};
                    })}}},
                  gale::testing::quiet_settings());
  app.use(limit);
  TestServer server(app);
  auto a = api_request("GET", {{"X-Client", "a"}});
  CHECK(server.fetch_sync("/me", a).code == 200);
  CHECK(server.fetch_sync("/me", a).code == 200);
  auto over = server.fetch_sync("/me", a);
  CHECK(over.code == 429);
  int retry = std::stoi(header(over, "Retry-After"));
  CHECK(retry >= 99);  // (1 - ~0 tokens) / 0.01 per second
  CHECK(retry <= 100);
  CHECK(over.json()["error"]["message"].get<std::string>().starts_with("too many requests"));
  CHECK(server.fetch_sync("/me", api_request("GET", {{"X-Client", "b"}})).code == 200);
  CHECK(server.fetch_sync("/me", api_request("GET")).code == 200);  // empty key: not limited
  CHECK(limit->clients() == 2);
}

TEST_CASE("Rate limit: the table is bounded and the least recently seen client is evicted",
          "[api]") {
  gale::web::RateLimitOptions o;
  o.rate = 0.01;
  o.burst = 1;
  o.max_clients = 2;
  o.key = [](const RequestHandler& h) { return std::string(h.header("X-Client")); };
  auto limit = gale::web::rate_limit(o);
  Application app({{"/me", gale::web::handler<Me>()}}, gale::testing::quiet_settings());
  app.use(limit);
  app.use(gale::web::middleware([](RequestHandler& h) -> Future<void> {
    h.state().set(User{"x"});
    return {};
  }));
  TestServer server(app);
  auto as = [](const char* client) { return api_request("GET", {{"X-Client", client}}); };
  CHECK(server.fetch_sync("/me", as("a")).code == 200);
  CHECK(server.fetch_sync("/me", as("b")).code == 200);
  CHECK(server.fetch_sync("/me", as("a")).code == 429);  // a is now the most recent
  CHECK(server.fetch_sync("/me", as("c")).code == 200);  // evicts b
  CHECK(limit->clients() == 2);
  CHECK(server.fetch_sync("/me", as("a")).code == 429);  // a was kept
  CHECK(server.fetch_sync("/me", as("b")).code == 200);  // b starts over (evicts c)
  CHECK(limit->clients() == 2);
  CHECK_THROWS_AS(gale::web::RateLimit(gale::web::RateLimitOptions{.rate = 0}), gale::Error);
}

TEST_CASE("Rate limit by remote IP by default", "[api]") {
  gale::web::RateLimitOptions o;
  o.rate = 0.01;
  o.burst = 1;
  auto limit = gale::web::rate_limit(o);
  Application app({{"/me", gale::web::handler<Me>(), {limit}}}, gale::testing::quiet_settings());
  TestServer server(app);
  CHECK(server.fetch_sync("/me", api_request("GET")).code == 500);  // passes; no User: 500
  CHECK(server.fetch_sync("/me", api_request("GET")).code == 429);  // 127.0.0.1 again
}
