// CORS per the Fetch standard: simple and preflight requests from allowed and refused origins,
// credentials, Vary, and its place before an auth middleware.
#include <catch2/catch.hpp>

#include <string>

#include "api_client.hpp"
#include "gale/loop/loop.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"

using gale::Future;
using gale::testing::api_request;
using gale::web::Application;
using gale::web::CorsOptions;
using gale::web::RequestHandler;
using gale::web::testing::TestServer;

namespace {

int g_handler_runs = 0;

struct Notes : RequestHandler {
  Future<void> get(std::string_view) override {
    ++g_handler_runs;
    set_header("X-Total", "2");
    write_json({{"notes", 2}});
    return {};
  }
  Future<void> post(std::string_view) override {
    ++g_handler_runs;
    set_status(201);
    write_json({{"created", true}});
    return {};
  }
};

CorsOptions app_origin() {
  CorsOptions o;
  o.allow_origins = {"https://app.example"};
  o.allow_origin_if = [](std::string_view origin) { return origin.ends_with(".trusted.example"); };
  o.allow_headers = {"Authorization", "X-Custom"};
  o.expose_headers = {"X-Total", "X-Request-Id"};
  o.max_age = std::chrono::seconds(300);
  return o;
}

std::string header(const gale::web::HTTPResponse& r, std::string_view name) {
  return std::string(r.headers.get(name, "<none>"));
}

}  // namespace

TEST_CASE(
    "CORS: a simple request from an allowed origin gets the CORS headers and a refused one "
    "none",
    "[api]") {
  Application app({{"/notes", gale::web::handler<Notes>()}}, gale::testing::quiet_settings());
  app.use(gale::web::cors(app_origin()));
  TestServer server(app);
  auto ok = server.fetch_sync("/notes", api_request("GET", {{"Origin", "https://app.example"}}));
  CHECK(ok.code == 200);
  CHECK(header(ok, "Access-Control-Allow-Origin") == "https://app.example");
  CHECK(header(ok, "Access-Control-Expose-Headers") == "X-Total, X-Request-Id");
  CHECK(header(ok, "Vary") == "Origin");
  CHECK(header(ok, "Access-Control-Allow-Credentials") == "<none>");
  auto by_predicate =
      server.fetch_sync("/notes", api_request("GET", {{"Origin", "https://a.trusted.example"}}));
  CHECK(header(by_predicate, "Access-Control-Allow-Origin") == "https://a.trusted.example");

  g_handler_runs = 0;
  auto refused =
      server.fetch_sync("/notes", api_request("GET", {{"Origin", "https://evil.example"}}));
  CHECK(refused.code == 200);  // the server answers; the browser keeps it from the page
  CHECK(g_handler_runs == 1);
  CHECK(header(refused, "Access-Control-Allow-Origin") == "<none>");
  CHECK(header(refused, "Access-Control-Expose-Headers") == "<none>");
  CHECK(header(refused, "Vary") == "Origin");
  auto same_origin = server.fetch_sync("/notes", api_request("GET"));  // no Origin: not CORS
  CHECK(header(same_origin, "Access-Control-Allow-Origin") == "<none>");
  CHECK(header(same_origin, "Vary") == "Origin");  // a cache must not reuse it for an origin
  // Errors are readable by an allowed page too (here: no such route, 404).
  auto missing =
      server.fetch_sync("/nope", api_request("GET", {{"Origin", "https://app.example"}}));
  CHECK(missing.code == 404);
  CHECK(header(missing, "Access-Control-Allow-Origin") == "https://app.example");
}

TEST_CASE("CORS: a preflight is answered without the handler, refused ones get 403 and no ACAO",
          "[api]") {
  Application app({{"/notes", gale::web::handler<Notes>()}}, gale::testing::quiet_settings());
  app.use(gale::web::cors(app_origin()));
  TestServer server(app);
  g_handler_runs = 0;
  auto ok = server.fetch_sync(
      "/notes",
      api_request("OPTIONS", {{"Origin", "https://app.example"},
                              {"Access-Control-Request-Method", "POST"},
                              {"Access-Control-Request-Headers", "x-custom, content-type"}}));
  CHECK(ok.code == 204);
  CHECK(ok.body.empty());
  CHECK(g_handler_runs == 0);  // Notes has no options(): it would have answered 405
  CHECK(header(ok, "Access-Control-Allow-Origin") == "https://app.example");
  CHECK(header(ok, "Access-Control-Allow-Methods") == "GET, HEAD, POST, PUT, PATCH, DELETE");
  CHECK(header(ok, "Access-Control-Allow-Headers") == "x-custom, content-type");
  CHECK(header(ok, "Access-Control-Max-Age") == "300");
  CHECK(header(ok, "Vary").find("Origin") != std::string::npos);
  CHECK(header(ok, "Vary").find("Access-Control-Request-Headers") != std::string::npos);

  auto origin_refused = server.fetch_sync(
      "/notes", api_request("OPTIONS", {{"Origin", "https://evil.example"},
                                        {"Access-Control-Request-Method", "GET"}}));
  CHECK(origin_refused.code == 403);
  CHECK(header(origin_refused, "Access-Control-Allow-Origin") == "<none>");
  CHECK(origin_refused.json()["error"]["message"] ==
        "CORS preflight refused: origin 'https://evil.example' is not allowed");
  auto header_refused = server.fetch_sync(
      "/notes", api_request("OPTIONS", {{"Origin", "https://app.example"},
                                        {"Access-Control-Request-Method", "GET"},
                                        {"Access-Control-Request-Headers", "X-Secret"}}));
  CHECK(header_refused.code == 403);
  CHECK(header_refused.json()["error"]["message"] ==
        "CORS preflight refused: header 'X-Secret' is not allowed");
  auto method_refused = server.fetch_sync(
      "/notes", api_request("OPTIONS", {{"Origin", "https://app.example"},
                                        {"Access-Control-Request-Method", "TRACE"}}));
  CHECK(method_refused.code == 403);
  CHECK(g_handler_runs == 0);
  // OPTIONS without Access-Control-Request-Method is not a preflight: it reaches the handler.
  auto plain =
      server.fetch_sync("/notes", api_request("OPTIONS", {{"Origin", "https://app.example"}}));
  CHECK(plain.code == 405);
  CHECK(header(plain, "Access-Control-Allow-Origin") == "https://app.example");
}

TEST_CASE("CORS with credentials echoes the origin and never '*', any origin without them is '*'",
          "[api]") {
  CorsOptions any;
  any.allow_origins = {"*"};
  CorsOptions with_credentials = any;
  with_credentials.allow_credentials = true;
  Application open_app({{"/notes", gale::web::handler<Notes>()}}, gale::testing::quiet_settings());
  open_app.use(gale::web::cors(any));
  Application cred_app({{"/notes", gale::web::handler<Notes>()}}, gale::testing::quiet_settings());
  cred_app.use(gale::web::cors(with_credentials));
  TestServer open_server(open_app);
  TestServer cred_server(cred_app);
  auto request = api_request("GET", {{"Origin", "https://anyone.example"}});
  auto open = open_server.fetch_sync("/notes", request);
  CHECK(header(open, "Access-Control-Allow-Origin") == "*");
  CHECK(header(open, "Vary") == "<none>");  // the same answer for every origin
  auto cred = cred_server.fetch_sync("/notes", request);
  CHECK(header(cred, "Access-Control-Allow-Origin") == "https://anyone.example");
  CHECK(header(cred, "Access-Control-Allow-Credentials") == "true");
  CHECK(header(cred, "Vary") == "Origin");
  auto preflight = cred_server.fetch_sync(
      "/notes", api_request("OPTIONS", {{"Origin", "https://anyone.example"},
                                        {"Access-Control-Request-Method", "PUT"}}));
  CHECK(preflight.code == 204);
  CHECK(header(preflight, "Access-Control-Allow-Origin") == "https://anyone.example");
  CHECK(header(preflight, "Access-Control-Allow-Credentials") == "true");
}

TEST_CASE("CORS before bearer auth: the preflight passes without a token and the 401 is readable",
          "[api]") {
  struct User {
    std::string name;
  };
  auto auth = gale::web::bearer_auth<User>([](std::string_view token) {
    return gale::make_ready_future(token == "good" ? std::optional<User>(User{"ann"})
                                                   : std::optional<User>());
  });
  Application app({{"/notes", gale::web::handler<Notes>(), {auth}}},
                  gale::testing::quiet_settings());
  app.use(gale::web::cors(app_origin()));
  TestServer server(app);
  auto preflight = server.fetch_sync(
      "/notes", api_request("OPTIONS", {{"Origin", "https://app.example"},
                                        {"Access-Control-Request-Method", "GET"},
                                        {"Access-Control-Request-Headers", "authorization"}}));
  CHECK(preflight.code == 204);
  auto refused =
      server.fetch_sync("/notes", api_request("GET", {{"Origin", "https://app.example"}}));
  CHECK(refused.code == 401);
  CHECK(header(refused, "Access-Control-Allow-Origin") == "https://app.example");
  CHECK(header(refused, "WWW-Authenticate") == "Bearer realm=\"api\"");
}
