// Handlers through the whole stack: a real server on an ephemeral port, the gale HTTP client.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gale/loop/loop.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "raw_client.hpp"
#include "support/log_capture.hpp"
#include "test_app.hpp"

using gale::testing::LogCapture;
using gale::web::Application;
using gale::web::HTTPRequest;
using gale::web::HTTPResponse;
using gale::web::testing::TestServer;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

HTTPRequest request(std::string method, std::string body = {}) {
  HTTPRequest r;
  r.method = std::move(method);
  r.body = std::move(body);
  r.raise_error = false;
  return r;
}

// Fails with a message that quotes bytes a client sent, as a driver error may.
struct QuotingHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    throw gale::Error(gale::ErrorKind::not_found, "no note named \xff\xfe");
  }
};

json error_of(const HTTPResponse& r) {
  auto doc = json::parse(r.body);
  REQUIRE(doc.contains("error"));
  return doc["error"];
}

}  // namespace

TEST_CASE("Routes pass path arguments and query arguments to handlers", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto r = server.fetch_sync("/echo/h%C3%A9llo?q=1&q=two+words&x");
  REQUIRE(r.code == 200);
  CHECK(r.headers.get("Content-Type", "") == "application/json");
  auto doc = r.json();
  CHECK(doc["name"] == "h\xC3\xA9llo");
  CHECK(doc["q"] == "two words");  // the last value
  CHECK(doc["all"] == json({"1", "two words"}));
  CHECK(server.fetch_sync("/echo/plain").json()["q"] == "none");
  CHECK(server.fetch_sync("/items/42").json()["id"] == 42);
  CHECK(server.fetch_sync("/items/4x").code == 404);  // {id:int} does not match
  auto two = server.fetch_sync("/two/x/y").json();
  CHECK(two["first"] == "x");
  CHECK(two["a"] == "x");
  CHECK(two["b"] == "y");
  CHECK(two["count"] == 2);
  auto legacy = server.fetch_sync("/legacy/12/abc").json();
  CHECK(legacy["args"] == json({"12", "abc"}));
  CHECK(legacy["named_1"] == "12");
}

TEST_CASE("JSON bodies are parsed and malformed ones give 400", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto ok = server.fetch_sync("/json", request("POST", R"({"title": "x", "n": [1, 2]})"));
  REQUIRE(ok.code == 201);
  CHECK(ok.json()["got"]["n"][1] == 2);
  auto bad = server.fetch_sync("/json", request("POST", R"({"title": )"));
  REQUIRE(bad.code == 400);
  CHECK(error_of(bad)["message"].get<std::string>().find("malformed JSON") != std::string::npos);
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  auto too_deep = server.fetch_sync("/json", request("POST", deep));
  REQUIRE(too_deep.code == 400);
  CHECK(error_of(too_deep)["message"].get<std::string>().find("deeper") != std::string::npos);
  // The server keeps serving.
  CHECK(server.fetch_sync("/echo/after").code == 200);
}

TEST_CASE("Every gale::Error kind maps to its status in the JSON envelope", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  const std::pair<const char*, int> cases[] = {
      {"invalid_argument", 400}, {"not_found", 404}, {"duplicate", 409},
      {"conflict", 409},         {"timeout", 504},   {"unavailable", 503},
      {"unauthorized", 401},     {"forbidden", 403}, {"internal", 500}};
  for (auto [kind, status] : cases) {
    CAPTURE(kind);
    auto r = server.fetch_sync(std::string("/error/") + kind);
    CHECK(r.code == status);
    CHECK(r.headers.get("Content-Type", "") == "application/json");
    auto e = error_of(r);
    CHECK(e["status"] == status);
    CHECK(e["request_id"] == std::string(r.headers.get("X-Request-Id", "?")));
    // Without debug the client sees the kind's own words, never the Error's text.
    CHECK(e["message"] == gale::client_message_for(gale::testing::kind_named(kind)));
    CHECK(r.headers.contains("Retry-After") == (status == 503));
  }
  // The envelope's keys, in this order.
  auto r = server.fetch_sync("/error/not_found");
  CHECK(r.body.find(R"({"error":{"status":404,"message":"not found","request_id":")") == 0);
}

TEST_CASE("HTTPError sets the status and unknown exceptions give a generic logged 500", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  LogCapture logs;
  auto teapot = server.fetch_sync("/error/http");
  CHECK(teapot.code == 418);
  CHECK(error_of(teapot)["message"] == "I am a teapot");
  auto plain = server.fetch_sync("/error/http-plain");
  CHECK(plain.code == 402);
  CHECK(error_of(plain)["message"] == "Unknown");  // no registered phrase for 402
  auto unknown = server.fetch_sync("/error/unknown");
  REQUIRE(unknown.code == 500);
  auto e = error_of(unknown);
  CHECK(e["message"] == "Internal Server Error");
  CHECK(unknown.body.find("secret") == std::string::npos);
  std::string id = e["request_id"];
  std::string line = logs.find(id, gale::log::Level::error);
  CHECK(line.find("secret detail of the failure") != std::string::npos);
  auto thrown_int = server.fetch_sync("/error/int");
  CHECK(thrown_int.code == 500);
}

TEST_CASE("With debug, a 500 carries the exception's text", "[web]") {
  auto settings = gale::testing::quiet_settings();
  settings.debug = true;
  Application app(gale::testing::test_routes(), settings);
  TestServer server(app);
  LogCapture logs;  // keeps the expected error out of the test output
  auto r = server.fetch_sync("/error/unknown");
  CHECK(r.code == 500);
  CHECK(error_of(r)["message"] == "secret detail of the failure");
}

TEST_CASE("404 and 405 are JSON, 405 with Allow", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto missing = server.fetch_sync("/no/such/path");
  CHECK(missing.code == 404);
  CHECK(error_of(missing)["status"] == 404);
  auto wrong = server.fetch_sync("/echo/x", request("DELETE"));
  CHECK(wrong.code == 405);
  CHECK(wrong.headers.get("Allow", "") == "GET, HEAD");
  CHECK(error_of(wrong)["status"] == 405);
  auto odd = server.fetch_sync("/echo/x", request("PROPFIND"));
  CHECK(odd.code == 405);
  auto json_get = server.fetch_sync("/json");
  CHECK(json_get.code == 405);
  CHECK(json_get.headers.get("Allow", "") == "POST");
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    auto r = server.fetch_sync("/all", request(m, "{}"));
    CHECK(r.code == 200);
    CHECK(r.json()["method"] == m);
  }
}

namespace {

struct TextErrors : Application {
  using Application::Application;
  void write_error(gale::web::RequestHandler& h, int status,
                   const gale::web::ErrorInfo& info) const override {
    h.set_header("Content-Type", "text/plain");
    h.write("app error " + std::to_string(status) + ": " + info.message);
  }
};

}  // namespace

TEST_CASE("write_error can be overridden by the Application and by a handler", "[web]") {
  TextErrors app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto r = server.fetch_sync("/error/not_found");
  CHECK(r.code == 404);
  CHECK(r.body == "app error 404: not found");
  CHECK(server.fetch_sync("/nowhere").body == "app error 404: Not Found");
  auto own = server.fetch_sync("/own-error");
  CHECK(own.code == 409);
  CHECK(own.body == "handler says: version mismatch");
  CHECK(own.headers.get("X-Handler-Error", "") == "409");
}

TEST_CASE("HEAD answers GET's headers without a body", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto get = server.fetch_sync("/items/7");
  auto head = server.fetch_sync("/items/7", request("HEAD"));
  CHECK(head.code == 200);
  CHECK(head.body.empty());
  CHECK(head.headers.get("Content-Length", "") == get.headers.get("Content-Length", "-"));
  // The connection is still usable after a HEAD response.
  auto again = server.fetch_sync("/echo/y");
  CHECK(again.code == 200);
  CHECK(again.reused_connection);
}

TEST_CASE("prepare() can refuse a request before the method runs", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto refused = server.fetch_sync("/guarded");
  CHECK(refused.code == 401);
  CHECK(error_of(refused)["message"] == "a token is required");
  auto req = request("GET");
  req.headers.add("X-Token", "let-me-in");
  CHECK(server.fetch_sync("/guarded", req).code == 200);
}

TEST_CASE("redirect, on_finish, and request ids", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto r = server.fetch_sync("/redirect");
  CHECK(r.code == 302);
  CHECK(r.headers.get("Location", "") == "/echo/redirected");
  CHECK(server.fetch_sync("/redirect?permanent=1").code == 301);
  int before = gale::testing::g_finished;
  CHECK(server.fetch_sync("/finish").body == "ok");
  CHECK(gale::testing::g_finished == before + 1);
  auto with_id = request("GET");
  with_id.headers.add("X-Request-Id", "abc-123.x");
  auto echoed = server.fetch_sync("/info", with_id);
  CHECK(echoed.headers.get("X-Request-Id", "") == "abc-123.x");
  CHECK(echoed.json()["request_id"] == "abc-123.x");
  auto insane = request("GET");
  insane.headers.add("X-Request-Id", "<script>");
  auto generated = server.fetch_sync("/info", insane);
  CHECK(generated.headers.get("X-Request-Id", "") != "<script>");
  CHECK(!generated.headers.get("X-Request-Id", "").empty());
  CHECK(server.fetch_sync("/info").headers.get("X-Request-Id", "a") !=
        server.fetch_sync("/info").headers.get("X-Request-Id", "b"));
}

TEST_CASE("xheaders are honoured only when enabled", "[web]") {
  auto proxied = request("GET");
  proxied.headers.add("X-Forwarded-For", "203.0.113.9, 198.51.100.7");
  proxied.headers.add("X-Forwarded-Proto", "https");
  {
    Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
    TestServer server(app);
    auto doc = server.fetch_sync("/info", proxied).json();
    CHECK(doc["remote_ip"] == "127.0.0.1");
    CHECK(doc["protocol"] == "http");
  }
  auto settings = gale::testing::quiet_settings();
  settings.xheaders = true;
  Application app(gale::testing::test_routes(), settings);
  TestServer server(app);
  auto doc = server.fetch_sync("/info", proxied).json();
  CHECK(doc["remote_ip"] == "198.51.100.7");
  CHECK(doc["protocol"] == "https");
  auto real = request("GET");
  real.headers.add("X-Real-IP", "192.0.2.1");
  CHECK(server.fetch_sync("/info", real).json()["remote_ip"] == "192.0.2.1");
  auto bogus = request("GET");
  bogus.headers.add("X-Real-IP", "not an ip");
  bogus.headers.add("X-Forwarded-Proto", "gopher");
  auto kept = server.fetch_sync("/info", bogus).json();
  CHECK(kept["remote_ip"] == "127.0.0.1");
  CHECK(kept["protocol"] == "http");
}

TEST_CASE("gzip is off by default and used for large bodies when accepted", "[web]") {
  auto gz = request("GET");
  gz.headers.add("Accept-Encoding", "gzip, deflate");
  {
    Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
    TestServer server(app);
    auto r = server.fetch_sync("/big", gz);
    CHECK(!r.headers.contains("Content-Encoding"));
    CHECK(r.body.size() == 10000);
  }
  auto settings = gale::testing::quiet_settings();
  settings.gzip = true;
  Application app(gale::testing::test_routes(), settings);
  TestServer server(app);
  auto r = server.fetch_sync("/big", gz);
  CHECK(r.headers.get("Content-Encoding", "") == "gzip");
  CHECK(r.headers.get("Vary", "") == "Accept-Encoding");
  REQUIRE(r.body.size() < 1000);
  CHECK(static_cast<unsigned char>(r.body[0]) == 0x1f);  // the gzip magic
  CHECK(static_cast<unsigned char>(r.body[1]) == 0x8b);
  CHECK(!server.fetch_sync("/big").headers.contains("Content-Encoding"));  // not accepted
  CHECK(!server.fetch_sync("/echo/small", gz).headers.contains("Content-Encoding"));  // small
}

TEST_CASE("The access log has one line per request with status, method, path, ip, ms, id",
          "[web]") {
  auto settings = gale::testing::quiet_settings();
  settings.access_log = true;
  Application app(gale::testing::test_routes(), settings);
  TestServer server(app);
  LogCapture logs;
  auto r = server.fetch_sync("/echo/logged?q=1");
  std::string id(r.headers.get("X-Request-Id", "?"));
  std::string line = logs.find("gale.access: 200 GET /echo/logged?q=1 (127.0.0.1) ");
  REQUIRE(!line.empty());
  CHECK(line.find("ms " + id) != std::string::npos);
  CHECK(logs.count(id) == 1);
  (void)server.fetch_sync("/missing");
  CHECK(logs.contains("gale.access: 404 GET /missing", gale::log::Level::warning));
}

TEST_CASE("Streaming with flush() and an error after the headers closes the connection", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto r = server.fetch_sync("/stream/ok");
  CHECK(r.code == 200);
  CHECK(r.body == "part one;part two;end");
  CHECK(r.headers.get("Transfer-Encoding", "") == "chunked");
  LogCapture logs;
  auto req = request("GET");
  auto failed = server.server().connections();
  (void)failed;
  CHECK_THROWS_AS(server.fetch_sync("/stream/fail", req), gale::Error);  // cut response
  CHECK(logs.contains("failed after the headers went out", gale::log::Level::error));
  CHECK(server.fetch_sync("/echo/still-serving").code == 200);
}

// Found by fuzz/http_request_fuzzer.cpp: an error message with bytes that are not UTF-8 made the
// envelope's dump() throw inside write_error; the request got no response at all.
TEST_CASE("An error message that is not UTF-8 still gives the JSON envelope", "[web]") {
  auto routes = gale::testing::test_routes();
  routes.push_back({"/quoting", gale::web::handler<QuotingHandler>()});
  auto settings = gale::testing::quiet_settings();
  settings.debug = true;  // the Error's own text reaches the client
  Application app(std::move(routes), settings);
  TestServer server(app);
  auto r = server.fetch_sync("/quoting");
  REQUIRE(r.code == 404);
  auto message = error_of(r)["message"].get<std::string>();
  CHECK(message == "no note named \xEF\xBF\xBD\xEF\xBF\xBD");  // U+FFFD for each byte
  // The server goes on serving.
  CHECK(server.fetch_sync("/items/1").code == 200);
}

// Found by fuzz/http_request_fuzzer.cpp: percent-decoded arguments that are not UTF-8 reached
// handlers, whose write_json() then failed with a 500. They are the client's error: 400.
TEST_CASE("Path and query arguments that are not UTF-8 once decoded give 400", "[web]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  TestServer server(app);
  auto path = server.fetch_sync("/echo/caf%E9");  // Latin-1, not UTF-8
  CHECK(path.code == 400);
  CHECK(error_of(path)["message"] == "the path is not valid UTF-8 once percent-decoded");
  CHECK(server.fetch_sync("/echo/%ED%A0%80").code == 400);  // a surrogate
  CHECK(server.fetch_sync("/echo/%C0%AF").code == 400);     // an overlong '/'
  auto query = server.fetch_sync("/echo/x?q=%FF%FE");
  CHECK(query.code == 400);
  CHECK(error_of(query)["message"] == "argument 'q' is not valid UTF-8");
  // Valid UTF-8 up to four bytes goes through.
  auto ok = server.fetch_sync("/echo/%F0%9F%98%80?q=%E2%82%AC");
  REQUIRE(ok.code == 200);
  CHECK(ok.json()["name"] == "\xF0\x9F\x98\x80");
  CHECK(ok.json()["q"] == "\xE2\x82\xAC");
}

namespace {
// Waits `steps` x 5 ms, stopping early once the client is gone, and counts what it heard.
struct Watcher : gale::web::RequestHandler {
  static inline int closes = 0;
  static inline int finished = 0;
  static inline bool saw_gone = false;
  gale::Future<void> get(std::string_view) override {
    int steps = std::stoi(get_argument("steps"));
    for (int i = 0; i < steps && !client_gone(); ++i) co_await gale::sleep(5ms);
    saw_gone = client_gone();
    write("done");
    ++finished;
  }
  void on_connection_close() override { ++closes; }
};
}  // namespace

TEST_CASE("A client that goes away while its handler waits: on_connection_close, client_gone",
          "[web]") {
  gale::IOLoop loop;
  Application app({{"/wait", gale::web::handler<Watcher>()}}, gale::testing::quiet_settings());
  TestServer server(app);
  Watcher::closes = Watcher::finished = 0;
  {
    gale::testing::RawClient client(server.port());
    client.send("GET /wait?steps=2000 HTTP/1.1\r\nHost: t\r\n\r\n");
    loop.run_sync([] { return gale::sleep(50ms); });  // the handler is waiting
    CHECK(Watcher::finished == 0);
  }  // the client closes its socket
  loop.run_sync(
      []() -> gale::Future<void> {
        while (Watcher::finished == 0) co_await gale::sleep(5ms);
      },
      5s);  // well before the 10 s that 2,000 steps take
  CHECK(Watcher::closes == 1);
  CHECK(Watcher::saw_gone);
  // A client that stays hears nothing of it.
  auto r = server.fetch_sync("/wait?steps=2");
  CHECK(r.code == 200);
  CHECK(Watcher::finished == 2);
  CHECK(Watcher::closes == 1);
  CHECK(!Watcher::saw_gone);
}
