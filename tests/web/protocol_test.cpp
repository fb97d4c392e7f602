// HTTP/1.1 on the wire: exact bytes from a blocking socket to a server on its own thread.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gale/web/testing.hpp"
#include "raw_client.hpp"
#include "test_app.hpp"

using gale::testing::RawClient;
using gale::web::Application;
using gale::web::testing::ThreadedServer;
using json = nlohmann::json;

namespace {

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("Keep-alive: many requests on one connection, Date and Server headers", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient c(server.port());
  for (int i = 0; i < 20; ++i) {
    c.send(get("/echo/k" + std::to_string(i)));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->keep_alive);
    CHECK(json::parse(r->body)["name"] == "k" + std::to_string(i));
    CHECK(r->header("Server") == "gale");
    CHECK(r->header("Date").size() == 29);  // "Sun, 06 Nov 1994 08:49:37 GMT"
  }
  c.send(get("/echo/last", "Connection: close\r\n"));
  auto last = c.read_response();
  REQUIRE(last);
  CHECK(last->header("Connection") == "close");
  CHECK(c.closed_by_peer());
}

TEST_CASE("HTTP/1.0 closes by default and keeps alive on request", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  {
    RawClient c(server.port());
    c.send("GET /echo/old HTTP/1.0\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(c.closed_by_peer());
  }
  RawClient c(server.port());
  c.send("GET /echo/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->header("Connection") == "keep-alive");
  c.send("GET /echo/b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto r2 = c.read_response();
  REQUIRE(r2);
  CHECK(json::parse(r2->body)["name"] == "b");
}

TEST_CASE("Pipelined requests are answered in order, fast and slow mixed", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient c(server.port());
  std::string batch;
  // Slow ones (the handler suspends) between fast ones (answered at once).
  batch += get("/slow?ms=60");
  batch += get("/echo/p1");
  batch += get("/slow?ms=5");
  batch += get("/echo/p2");
  batch += "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
  batch += get("/items/7");
  for (int i = 0; i < 16; ++i) batch += get("/echo/q" + std::to_string(i));
  c.send(batch);
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(json::parse(r->body)["slept_ms"] == 60);
  CHECK(json::parse(c.read_response()->body)["name"] == "p1");
  CHECK(json::parse(c.read_response()->body)["slept_ms"] == 5);
  CHECK(json::parse(c.read_response()->body)["name"] == "p2");
  CHECK(json::parse(c.read_response()->body)["body"] == "hello");
  CHECK(json::parse(c.read_response()->body)["id"] == 7);
  for (int i = 0; i < 16; ++i) {
    auto q = c.read_response();
    REQUIRE(q);
    CHECK(json::parse(q->body)["name"] == "q" + std::to_string(i));
  }
}

TEST_CASE("Pipelined requests split at every byte boundary still parse", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient c(server.port());
  std::string two = get("/echo/one") + get("/echo/two");
  for (char ch : two) {
    c.send(std::string(1, ch));
  }
  CHECK(json::parse(c.read_response()->body)["name"] == "one");
  CHECK(json::parse(c.read_response()->body)["name"] == "two");
}

TEST_CASE("Chunked request bodies are decoded", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient c(server.port());
  c.send(
      "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n");
  c.send("7\r\n, world\r\n0\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  auto doc = json::parse(r->body);
  CHECK(doc["size"] == 12);
  CHECK(doc["body"] == "hello, world");
  // And JSON through a chunked body.
  c.send(
      "POST /json HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\n{\"a\"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n");
  auto j = c.read_response();
  REQUIRE(j);
  CHECK(j->status == 201);
  CHECK(json::parse(j->body)["got"]["a"] == 1);
}

TEST_CASE("Expect: 100-continue gets 100 Continue before the body is sent", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient c(server.port());
  c.send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto cont = c.read_response();
  REQUIRE(cont);
  CHECK(cont->status == 100);
  c.send("data");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["body"] == "data");
}

TEST_CASE("Expect: 100-continue with a body over the limit gets 413 at once", "[protocol]") {
  auto settings = gale::testing::quiet_settings();
  settings.max_body_size = 1000;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  RawClient c(server.port());
  c.send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(json::parse(r->body)["error"]["status"] == 413);
  CHECK(c.closed_by_peer());
}

TEST_CASE("HEAD on the wire has Content-Length and no body", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient c(server.port());
  c.expect_head(true);
  c.send("HEAD /echo/h HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.empty());
  CHECK(std::stoi(r->header("Content-Length")) > 0);
  c.send(get("/echo/after-head"));
  auto next = c.read_response();
  REQUIRE(next);
  CHECK(json::parse(next->body)["name"] == "after-head");
}

TEST_CASE("Large bodies keep their bytes and their place among pipelined responses", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient c(server.port());
  c.send(get("/echo/before") + get("/large") + get("/echo/between") + get("/large") +
         "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  CHECK(json::parse(c.read_response()->body)["name"] == "before");
  auto first = c.read_response();
  REQUIRE(first);
  CHECK(first->body == gale::testing::large_body());
  CHECK(json::parse(c.read_response()->body)["name"] == "between");
  auto second = c.read_response();
  REQUIRE(second);
  CHECK(second->body == gale::testing::large_body());
  auto cont = c.read_response();  // 100 Continue comes after every earlier response
  REQUIRE(cont);
  CHECK(cont->status == 100);
  c.send("ok");
  auto posted = c.read_response();
  REQUIRE(posted);
  CHECK(json::parse(posted->body)["body"] == "ok");
}

namespace {

// Everything a handler can see of its request.
struct RequestDumpHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override { return post({}); }
  gale::Future<void> post(std::string_view) override {
    const auto& r = request();
    json headers = json::array();
    for (const auto& [name, value] : r.headers.fields()) headers.push_back({name, value});
    write_json({{"method", r.method},
                {"uri", r.uri},
                {"version", r.version},
                {"headers", headers},
                {"body", r.body},
                {"remote_ip", r.remote_ip},
                {"protocol", r.protocol},
                {"query", r.query_arguments()},
                {"form", r.body_arguments()},
                {"keep_alive", r.keep_alive},
                {"started", r.start_time.time_since_epoch().count() > 0}});
    return gale::make_ready_future();
  }
};

}  // namespace

TEST_CASE("A keep-alive request sees nothing of the request before it", "[protocol]") {
  gale::web::Settings settings = gale::testing::quiet_settings();
  settings.xheaders = true;
  Application app({{"/dump", gale::web::handler<RequestDumpHandler>()}}, settings);
  ThreadedServer server(app);
  const std::string plain = get("/dump");
  RawClient fresh(server.port());
  fresh.send(plain);
  auto expected = fresh.read_response();
  REQUIRE(expected);

  RawClient c(server.port());
  std::string body = "a=1&b=" + std::string(5000, 'x');  // a body larger than what is kept
  c.send(
      "POST /dump?q=1&r=2 HTTP/1.1\r\nHost: test\r\nX-Real-IP: 10.1.2.3\r\n"
      "X-Forwarded-Proto: https\r\nX-Request-Id: first-one\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  auto first = c.read_response();
  REQUIRE(first);
  REQUIRE(first->status == 200);
  CHECK(json::parse(first->body)["protocol"] == "https");
  for (int i = 0; i < 3; ++i) {
    c.send(plain);
    auto next = c.read_response();
    REQUIRE(next);
    CHECK(json::parse(next->body) == json::parse(expected->body));
    CHECK(next->header("X-Request-Id") != "first-one");
  }
}

TEST_CASE("HTTPServerRequest::reset gives a fresh request", "[protocol]") {
  gale::web::HTTPServerRequest r;
  r.method = "POST";
  r.uri = "/a?b=c";
  r.version = "HTTP/1.0";
  r.headers.add("Content-Type", "application/x-www-form-urlencoded");
  r.body = "x=1";
  r.remote_ip = "10.0.0.1";
  r.protocol = "https";
  r.request_id = "abc";
  r.start_time = std::chrono::steady_clock::now();
  r.keep_alive = true;
  REQUIRE(r.query_arguments().size() == 1);
  REQUIRE(r.body_arguments().size() == 1);
  r.reset();
  gale::web::HTTPServerRequest fresh;
  CHECK(r.method == fresh.method);
  CHECK(r.uri == fresh.uri);
  CHECK(r.version == fresh.version);
  CHECK(r.headers.empty());
  CHECK(r.body.empty());
  CHECK(r.remote_ip == fresh.remote_ip);
  CHECK(r.protocol == "http");
  CHECK(r.request_id.empty());
  CHECK(r.start_time == fresh.start_time);
  CHECK_FALSE(r.keep_alive);
  CHECK(r.query_arguments().empty());  // parsed anew from the (empty) uri
  CHECK(r.body_arguments().empty());
}

TEST_CASE("A client that half-closes after its requests still gets every response", "[protocol]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  for (bool pipelined : {false, true}) {
    RawClient c(server.port());
    c.send(get("/echo/one") + (pipelined ? get("/echo/two") : ""));
    c.shutdown_write();  // the end of the input arrives with (or right after) the requests
    auto one = c.read_response();
    REQUIRE(one);
    CHECK(json::parse(one->body)["name"] == "one");
    if (pipelined) {
      auto two = c.read_response();
      REQUIRE(two);
      CHECK(json::parse(two->body)["name"] == "two");
    }
    CHECK(c.closed_by_peer());
  }
}
