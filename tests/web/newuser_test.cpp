// What a new user met in their first hour (issue 17), through the whole web stack: the messages
// clients see with debug off and on, bodies that are not JSON, path integers out of range,
// handlers that never wait, and the test server used as a user calls it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gale/loop/loop.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "support/log_capture.hpp"
#include "test_app.hpp"

using gale::testing::LogCapture;
using gale::web::Application;
using gale::web::HTTPRequest;
using gale::web::HTTPResponse;
using gale::web::testing::TestServer;
using json = nlohmann::json;

namespace {

json error_of(const HTTPResponse& r) {
  auto doc = json::parse(r.body);
  REQUIRE(doc.contains("error"));
  return doc["error"];
}

gale::web::Settings with_debug(bool debug) {
  auto s = gale::testing::quiet_settings();
  s.debug = debug;
  return s;
}

}  // namespace

TEST_CASE("Each error kind's client message with debug off, its full text with debug on", "[web]") {
  for (bool debug : {false, true}) {
    CAPTURE(debug);
    Application app(gale::testing::test_routes(), with_debug(debug));
    TestServer server(app);
    LogCapture logs;
    for (auto [name, kind] : gale::testing::kErrorKinds) {
      CAPTURE(name);
      auto r = server.fetch_sync("/error/" + std::string(name));
      auto e = error_of(r);
      std::string full = "the " + std::string(name) + " error";
      CHECK(e["message"] == (debug ? full : std::string(gale::client_message_for(kind))));
      // The full text is in the log, with the request id, whatever the setting.
      CHECK(!logs.find(e["request_id"].get<std::string>() + "): " + std::string(name) + ": " + full)
                 .empty());
    }
  }
}

TEST_CASE("A duplicate key shows no constraint or value unless the application opts in", "[web]") {
  auto settings = gale::testing::quiet_settings();
  settings.constraint_messages = {{"users_email_key", "email already registered"}};
  Application app(gale::testing::test_routes(), settings);
  TestServer server(app);
  LogCapture logs;
  auto hidden = server.fetch_sync("/error/constraint?name=users_pkey");
  CHECK(hidden.code == 409);
  CHECK(error_of(hidden)["message"] == "duplicate key");
  CHECK(hidden.body.find("users_pkey") == std::string::npos);
  CHECK(hidden.body.find("ann@example.com") == std::string::npos);
  CHECK(logs.contains("ann@example.com"));  // the detail is kept for the operator
  auto mapped = server.fetch_sync("/error/constraint?name=users_email_key");
  CHECK(mapped.code == 409);
  CHECK(error_of(mapped)["message"] == "email already registered");
  CHECK(mapped.body.find("ann@example.com") == std::string::npos);
  // An Error made with a client message shows that message, debug or not.
  auto own = server.fetch_sync("/error/client");
  CHECK(error_of(own)["message"] == "slug already taken");
  CHECK(own.body.find("row 17") == std::string::npos);
}

TEST_CASE("HTTPError's log message reaches the log, and the client only with debug", "[web]") {
  for (bool debug : {false, true}) {
    Application app(gale::testing::test_routes(), with_debug(debug));
    TestServer server(app);
    LogCapture logs;
    auto r = server.fetch_sync("/error/http-detail");
    CHECK(r.code == 400);
    std::string message = error_of(r)["message"];
    CHECK(message == (debug ? "bad input: parser said: secret internals" : "bad input"));
    CHECK(logs.contains("parser said: secret internals"));
  }
}

TEST_CASE("A malformed JSON body answers where it breaks, not the parser's text", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  LogCapture logs;
  HTTPRequest bad;
  bad.method = "POST";
  bad.body = R"({"title": nope})";
  bad.headers.add("Content-Type", "application/json");
  auto r = server.fetch_sync("/json", bad);
  REQUIRE(r.code == 400);
  std::string message = error_of(r)["message"];
  CHECK(message == "malformed JSON body (at byte 12)");
  CHECK(r.body.find("json.exception") == std::string::npos);
  CHECK(r.body.find("nope") == std::string::npos);
  CHECK(logs.contains("json.exception.parse_error"));
}

TEST_CASE("json_body() refuses a Content-Type that is not JSON with 415", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto post = [&](const char* type) {
    HTTPRequest r;
    r.method = "POST";
    r.body = R"({"title": "x"})";
    if (type != nullptr) r.headers.add("Content-Type", type);
    return server.fetch_sync("/json", r).code;
  };
  CHECK(post("application/json") == 201);
  CHECK(post("Application/JSON; charset=utf-8") == 201);
  CHECK(post("application/merge-patch+json") == 201);
  CHECK(post(nullptr) == 201);                              // no Content-Type: read as JSON
  CHECK(post("application/x-www-form-urlencoded") == 415);  // curl -d without -H
  CHECK(post("text/plain") == 415);
  CHECK(post("application/jsonx") == 415);
}

TEST_CASE("An {id:int} beyond 64 bits is 400 out of range, not 404", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto big = server.fetch_sync("/items/123456789012345678901234567890");
  CHECK(big.code == 400);
  CHECK(error_of(big)["message"] == "path argument 'id' is out of range (a 64-bit integer)");
  CHECK(server.fetch_sync("/items/9223372036854775807").json()["id"] == INT64_MAX);
  CHECK(server.fetch_sync("/items/-9223372036854775808").json()["id"] == INT64_MIN);
  CHECK(server.fetch_sync("/items/9223372036854775808").code == 400);
  CHECK(server.fetch_sync("/items/12a").code == 404);  // not an integer at all
}

namespace {
// A user's write_error that puts the message in JSON with the default (throwing) error handler.
struct StrictJsonErrors : Application {
  using Application::Application;
  void write_error(gale::web::RequestHandler& h, int status,
                   const gale::web::ErrorInfo& info) const override {
    h.set_header("Content-Type", "application/json");
    h.write(json{{"code", status}, {"detail", info.message}}.dump());  // throws on bad UTF-8
  }
};
}  // namespace

TEST_CASE("A client's invalid bytes echoed in a message cannot make write_error throw", "[web]") {
  StrictJsonErrors app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  LogCapture logs;
  auto r = server.fetch_sync("/error/bad-utf8");
  CHECK(r.code == 400);
  auto doc = json::parse(r.body);
  CHECK(doc["detail"] == "no item '\xEF\xBF\xBD\xEF\xBF\xBD'");  // U+FFFD twice
  CHECK(!logs.contains("write_error failed"));
}

namespace {
// A user's handler that echoes its path argument in the message, as "no such note" pages do.
struct Missing : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view name) override {
    throw gale::web::HTTPError(404, "no item '" + std::string(name) + "' here");
    co_return;
  }
};
}  // namespace

TEST_CASE("An HTTPError message with a NUL reaches the client whole", "[web]") {
  Application app({{"/missing/{name}", gale::web::handler<Missing>()}},
                  gale::testing::quiet_settings());
  TestServer server(app);
  auto r = server.fetch_sync("/missing/a%00b");
  CHECK(r.code == 404);
  CHECK(error_of(r)["message"] == std::string("no item 'a\0b' here", 18));
}

TEST_CASE("A handler that never waits returns an empty Future", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto r = server.fetch_sync("/sync");
  CHECK(r.code == 200);
  CHECK(r.json()["sync"] == true);
  auto refused = server.fetch_sync("/sync", "POST", {{"a", 1}});
  CHECK(refused.code == 422);
  CHECK(server.fetch_sync("/sync", "POST", json()).code == 422);  // "null" is a body too
}

TEST_CASE("The test server never throws on 4xx, whoever built the request", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  HTTPRequest mine;  // raise_error left unset
  mine.method = "DELETE";
  CHECK(server.fetch_sync("/echo/x", mine).code == 405);
  CHECK(server.fetch_sync("/no/such/route").code == 404);
  // A JSON POST in one call.
  auto created = server.fetch_sync("/json", "POST", {{"title", "x"}});
  CHECK(created.code == 201);
  CHECK(created.json()["got"]["title"] == "x");
  // Asked for, raise_error still throws.
  HTTPRequest strict;
  strict.raise_error = true;
  CHECK_THROWS_AS(server.fetch_sync("/no/such/route", strict), gale::web::HTTPClientError);
  // HTTPClient::fetch keeps Tornado's default.
  auto& loop = gale::IOLoop::current();
  CHECK_THROWS_AS(loop.run_sync([&] { return gale::web::fetch(server.url("/no/such/route")); }),
                  gale::web::HTTPClientError);
}
