// Limits and timeouts: each bad client gets its status, and the server keeps serving the others.
#include <catch2/catch.hpp>

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

namespace {

void check_still_serving(std::uint16_t port) {
  RawClient ok(port);
  ok.send("GET /echo/fine HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = ok.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

void check_error(RawClient& c, int status) {
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == status);
  auto doc = json::parse(r->body);
  CHECK(doc["error"]["status"] == status);
  CHECK(!doc["error"]["request_id"].get<std::string>().empty());
  CHECK(r->header("Connection") == "close");
  CHECK(c.closed_by_peer());
}

}  // namespace

TEST_CASE("Oversized headers get 431 and the connection closes", "[limits]") {
  auto settings = gale::testing::quiet_settings();
  settings.max_header_size = 4096;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  RawClient c(server.port());
  c.send("GET /echo/x HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(5000, 'a') + "\r\n\r\n");
  check_error(c, 431);
  RawClient url(server.port());
  url.send("GET /echo/" + std::string(5000, 'u') + " HTTP/1.1\r\nHost: t\r\n\r\n");
  check_error(url, 431);
  RawClient many(server.port());
  std::string lots = "GET /echo/x HTTP/1.1\r\n";
  for (int i = 0; i < 400; ++i) lots += "X-H" + std::to_string(i) + ": v\r\n";
  many.send(lots + "\r\n");
  check_error(many, 431);
  check_still_serving(server.port());
}

TEST_CASE("The default max_header_size is 64 KiB", "[limits]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient fits(server.port());
  fits.send("GET /echo/x HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(60000, 'a') + "\r\n\r\n");
  auto r = fits.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  RawClient over(server.port());
  over.send("GET /echo/x HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n");
  check_error(over, 431);
}

TEST_CASE("Oversized bodies get 413, by Content-Length or while chunks arrive", "[limits]") {
  auto settings = gale::testing::quiet_settings();
  settings.max_body_size = 1024;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  RawClient declared(server.port());
  declared.send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 2048\r\n\r\n");
  check_error(declared, 413);
  RawClient chunked(server.port());
  chunked.send("POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string chunk = "200\r\n" + std::string(512, 'x') + "\r\n";
  chunked.send(chunk + chunk);
  chunked.try_send(chunk);  // over the limit here; the server may be gone already
  check_error(chunked, 413);
  RawClient fits(server.port());
  fits.send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n" +
            std::string(1024, 'y'));
  auto r = fits.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  check_still_serving(server.port());
}

TEST_CASE("Malformed requests get 400", "[limits]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  for (const char* bad : {"GARBAGE\r\n\r\n", "GET /x HTTP/9.9.9\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
                          "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
                          "POST /body HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                          "POST /body HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    CAPTURE(bad);
    RawClient c(server.port());
    c.send(bad);
    check_error(c, 400);
  }
  check_still_serving(server.port());
}

TEST_CASE("A client sending one byte at a time gets 408 and does not starve others", "[limits]") {
  auto settings = gale::testing::quiet_settings();
  settings.header_timeout = 600ms;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  RawClient slow(server.port());
  std::string request =
      "GET /echo/slow HTTP/1.1\r\nHost: t\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  std::size_t sent = 0;
  // One byte every 100 ms (a slowloris at 10x speed): the headers never complete in time. Others
  // are served meanwhile, each at once.
  while (sent < request.size() && std::chrono::steady_clock::now() - start < 2s) {
    if (!slow.try_send(std::string(1, request[sent]))) break;
    ++sent;
    RawClient other(server.port());
    other.send("GET /echo/other HTTP/1.1\r\nHost: t\r\n\r\n");
    auto t0 = std::chrono::steady_clock::now();
    auto r = other.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
    std::this_thread::sleep_for(100ms);
    pollfd p{slow.fd(), POLLIN, 0};
    if (poll(&p, 1, 0) > 0) break;  // the server answered the slow client
  }
  CHECK(sent < request.size());
  auto r = slow.read_response();
  REQUIRE(r);
  CHECK(r->status == 408);
  CHECK(json::parse(r->body)["error"]["message"] == "timed out waiting for the request headers");
  CHECK(slow.closed_by_peer());
}

TEST_CASE("A body that stalls gets 408 after body_timeout", "[limits]") {
  auto settings = gale::testing::quiet_settings();
  settings.body_timeout = 300ms;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  RawClient c(server.port());
  c.send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part");
  auto t0 = std::chrono::steady_clock::now();
  check_error(c, 408);
  CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);
}

TEST_CASE("Idle keep-alive connections close after idle_connection_timeout", "[limits]") {
  auto settings = gale::testing::quiet_settings();
  settings.idle_connection_timeout = 300ms;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  RawClient c(server.port());
  c.send("GET /echo/once HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(c.read_response());
  auto t0 = std::chrono::steady_clock::now();
  CHECK(c.closed_by_peer());
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= 250ms);
  CHECK(waited < 2s);
  // A connection that never sends anything closes too.
  RawClient silent(server.port());
  CHECK(silent.closed_by_peer());
}

TEST_CASE("max_connections closes connections over the cap", "[limits]") {
  auto settings = gale::testing::quiet_settings();
  settings.max_connections = 3;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawClient>(server.port()));
    held.back()->send("GET /echo/held HTTP/1.1\r\nHost: t\r\n\r\n");
    REQUIRE(held.back()->read_response());
  }
  RawClient extra(server.port());
  CHECK(extra.closed_by_peer());
  held.pop_back();  // one closes: room for another
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    RawClient again(server.port());
    if (!again.try_send("GET /echo/again HTTP/1.1\r\nHost: t\r\n\r\n")) continue;
    auto r = again.read_response();
    served = r && r->status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  CHECK(served);
}

TEST_CASE("A client that stops reading a response is closed after idle_connection_timeout",
          "[limits]") {
  auto settings = gale::testing::quiet_settings();
  settings.idle_connection_timeout = 300ms;
  Application app(gale::testing::test_routes(), settings);
  ThreadedServer server(app);
  RawClient c(server.port());
  int small = 4096;
  setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  c.send("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n");  // and never read
  std::size_t open = 1;
  auto until = std::chrono::steady_clock::now() + 5s;
  while (open != 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
    server.call([&](gale::web::HTTPServer& s) { open = s.connections(); });
  }
  CHECK(open == 0);
  check_still_serving(server.port());
}

TEST_CASE("Random bytes and mutated requests never crash the server", "[limits]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  std::uint64_t seed = 0x9e3779b97f4a7c15ULL;  // fixed: the same inputs on every run
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  const std::string valid =
      "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  int answered = 0;
  for (int i = 0; i < 300; ++i) {
    std::string input = valid;
    if (i % 3 == 0) {
      input.assign(static_cast<std::size_t>(next() % 200), '\0');
      for (char& ch : input) ch = static_cast<char>(next());
    } else {
      for (int flips = 0; flips < 1 + i % 4; ++flips) {
        input[next() % input.size()] = static_cast<char>(next());
      }
    }
    RawClient c(server.port(), 2s);
    if (!c.try_send(input + "\r\n\r\n")) continue;
    shutdown(c.fd(), SHUT_WR);  // no more input: the server answers or closes
    if (auto r = c.read_response()) {
      ++answered;
      CHECK(r->status > 0);
    }
  }
  CHECK(answered > 0);
  check_still_serving(server.port());
}

// Bad input over the wire (docs/reliability.md): bytes that are not UTF-8 where text is expected,
// numbers no double holds. Each gets a 4xx with the JSON envelope, and the server goes on.
TEST_CASE("Invalid UTF-8 and huge numbers get 400 over the wire, and the server goes on",
          "[limits]") {
  Application app(gale::testing::test_routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  auto post = [&](const std::string& body) {
    RawClient c(server.port());
    c.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body);
    auto r = c.read_response();
    REQUIRE(r);
    return *r;
  };
  for (std::string bad : {std::string("{\"t\": \"caf\xe9\"}"), std::string("{\"\xff\": 1}"),
                          std::string("[\"\xed\xa0\x80\"]"), std::string("[1e400]"),
                          std::string("{\"n\": -1e99999}")}) {
    CAPTURE(bad);
    auto r = post(bad);
    CHECK(r.status == 400);
    auto doc = json::parse(r.body);  // the envelope is valid JSON, whatever the body held
    CHECK(doc["error"]["status"] == 400);
    CHECK(doc["error"]["message"].get<std::string>().find("malformed JSON body") == 0);
  }
  // Big integers that fit a double are numbers, as other JSON parsers read them.
  auto big = post("{\"n\": 123456789012345678901234567890}");
  CHECK(big.status == 201);
  // Query and path arguments (checked when read, and before routing).
  for (const char* target : {"/echo/x?q=%C3%28", "/echo/%E9t%E9"}) {
    CAPTURE(target);
    RawClient c(server.port());
    c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(json::parse(r->body)["error"]["status"] == 400);
  }
  // A raw byte above 0x7f in the request target itself (not percent-encoded).
  {
    RawClient c(server.port());
    c.send("GET /echo/\xff\xfe HTTP/1.1\r\nHost: t\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(json::parse(r->body)["error"]["status"] == 400);
  }
  // Header values are bytes (HTTP allows obs-text): the server takes them and answers.
  {
    RawClient c(server.port());
    c.send(
        "GET /echo/h HTTP/1.1\r\nHost: t\r\nX-Name: caf\xe9 \xff\r\nUser-Agent: \xc3\x28\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  check_still_serving(server.port());
}
