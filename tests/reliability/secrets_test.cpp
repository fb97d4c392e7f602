// Secrets: a password in a connection string never shows in an error message, a log line (at any
// level), pool statistics, /metrics or a debug error page, for both drivers and every way a
// connection can fail: a host that refuses, a host that does not exist, a wrong password, a
// malformed string. Each test gives its clients a password of its own and looks for it everywhere.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "gale/pg/pg.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "mongo/ferret_instance.hpp"
#include "support/env.hpp"
#include "support/log_capture.hpp"

using namespace std::chrono_literals;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::testing::LogCapture;
using gale::web::Application;
using gale::web::testing::TestServer;

namespace {

std::string unique_password(const char* stem) {
  std::random_device rd;
  return std::string(stem) + "-" + std::to_string(rd() % 1000000) + "-Pw";
}

// Every log line at debug level and above while alive.
struct AllLogs {
  AllLogs() : saved(gale::log::level()) { gale::log::set_level(gale::log::Level::debug); }
  ~AllLogs() { gale::log::set_level(saved); }
  gale::log::Level saved;
  LogCapture capture;
};

// "scheme://user:password@rest" with the password replaced.
std::string with_password(const std::string& uri, const std::string& password) {
  auto scheme = uri.find("://") + 3;
  auto at = uri.find('@', scheme);
  REQUIRE(at != std::string::npos);
  auto colon = uri.find(':', scheme);
  std::string user = uri.substr(scheme, (colon < at ? colon : at) - scheme);
  return uri.substr(0, scheme) + user + ":" + password + uri.substr(at);
}

// The error a failing call gives, checked not to show `secret`.
template <class F>
gale::ErrorKind failure_kind(IOLoop& loop, const std::string& secret, F fn) {
  try {
    loop.run_sync(fn, 30s);
  } catch (const gale::Error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(secret) == std::string::npos);
    return e.kind();
  }
  FAIL("no error");
  return ErrorKind::internal;
}

template <class F>
void refused_at_construction(const std::string& secret, F make) {
  try {
    make();
    FAIL("accepted");
  } catch (const gale::Error& e) {
    INFO(e.what());
    CHECK(e.kind() == ErrorKind::invalid_argument);
    CHECK(std::string(e.what()).find(secret) == std::string::npos);
  }
}

struct PgHandler : gale::web::RequestHandler {
  explicit PgHandler(gale::pg::Client* c) : client(c) {}
  Future<void> get(std::string_view) override {
    auto r = co_await client->query("SELECT 1 AS one");
    write_json(r.to_json());
  }
  gale::pg::Client* client;
};

struct MongoHandler : gale::web::RequestHandler {
  explicit MongoHandler(gale::mongo::Client* c) : client(c) {}
  Future<void> get(std::string_view) override {
    auto doc = co_await (*client)["gale"]["secrets"].find_one();
    write_json(doc ? *doc : nlohmann::json());
  }
  gale::mongo::Client* client;
};

// What a debug-mode app with /metrics shows about clients that fail: error pages and metrics.
template <class Handler, class ClientT>
std::string web_view(std::vector<ClientT*> clients) {
  auto settings = gale::web::Settings();
  settings.debug = true;  // error pages carry the exception's text
  settings.metrics = true;
  settings.access_log = true;
  settings.handle_signals = false;
  std::vector<gale::web::Route> routes;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    routes.push_back({"/c" + std::to_string(i), gale::web::handler<Handler>(clients[i])});
  }
  Application app(std::move(routes), settings);
  for (auto* c : clients) app.metrics().add_pool([c] { return c->pool_stats(); });
  TestServer server(app);
  std::string seen;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    auto r = server.fetch_sync("/c" + std::to_string(i), TestServer::with_raise_error(false), 30s);
    CHECK(r.code >= 400);
    seen += r.body + "\n";
  }
  auto metrics = server.fetch_sync("/metrics");
  CHECK(metrics.code == 200);
  CHECK(metrics.body.find("gale_pool_size") != std::string::npos);
  return seen + metrics.body;
}

}  // namespace

TEST_CASE("PostgreSQL: the password shows in no error, log, pool stats, /metrics or error page",
          "[secrets]") {
  IOLoop loop;
  AllLogs logs;
  const std::string pw = unique_password("pg");
  const std::string real = gale::testing::pg_uri();
  const int closed = gale::testing::free_port();
  const std::string opts = "?pool_acquire_timeout_ms=3000&connect_timeout=2";
  gale::pg::Client refused("postgresql://gale:" + pw + "@127.0.0.1:" + std::to_string(closed) +
                           "/gale" + opts);
  gale::pg::Client unknown("postgresql://gale:" + pw + "@no-such-host.invalid:5432/gale" + opts);
  auto wrong_uri = with_password(real, pw);
  gale::pg::Client wrong(wrong_uri + (wrong_uri.find('?') == std::string::npos ? "?" : "&") +
                         "pool_acquire_timeout_ms=3000");
  gale::pg::Client kv("host=127.0.0.1 port=" + std::to_string(closed) + " user=gale password='" +
                      pw + "' pool_acquire_timeout_ms=3000 connect_timeout=2");
  auto query = [](gale::pg::Client& c) {
    return [&c]() -> Future<void> { co_await c.query("SELECT 1"); };
  };
  CHECK(failure_kind(loop, pw, query(refused)) == ErrorKind::unavailable);
  CHECK(failure_kind(loop, pw, query(unknown)) == ErrorKind::unavailable);
  CHECK(failure_kind(loop, pw, query(wrong)) == ErrorKind::unauthorized);
  CHECK(failure_kind(loop, pw, query(kv)) == ErrorKind::unavailable);
  refused_at_construction(
      pw, [&] { gale::pg::Client("postgresql://gale:" + pw + "@h/db?pool_max_size=x"); });
  refused_at_construction(pw, [&] { gale::pg::Client("postgress://gale:" + pw + "@h/db"); });
  refused_at_construction(pw, [&] { gale::pg::Client("host=h password=" + pw + " nosuch=1"); });
  for (auto* c : {&refused, &unknown, &wrong, &kv}) {
    CHECK(c->address().find(pw) == std::string::npos);
    CHECK(c->pool_stats().name.find(pw) == std::string::npos);
  }
  auto shown = web_view<PgHandler>(std::vector<gale::pg::Client*>{&refused, &unknown, &wrong, &kv});
  CHECK(shown.find(pw) == std::string::npos);
  CHECK(logs.capture.count("") > 0);  // something was logged, and none of it shows the password
  CHECK(logs.capture.find(pw).empty());
}

TEST_CASE("MongoDB: the password shows in no error, log, pool stats, /metrics or error page",
          "[secrets]") {
  IOLoop loop;
  AllLogs logs;
  const std::string pw = unique_password("mongo");
  const std::string key_pw = unique_password("tlskey");
  const int closed = gale::testing::free_port();
  gale::testing::FerretInstance auth({"--test-enable-new-auth", "--setup-username=gale",
                                      "--setup-password=right-pw", "--setup-database=gale"});
  gale::mongo::Client refused("mongodb://gale:" + pw + "@127.0.0.1:" + std::to_string(closed) +
                              "/?serverSelectionTimeoutMS=1500&connectTimeoutMS=1000");
  gale::mongo::Client unknown("mongodb://gale:" + pw +
                              "@no-such-host.invalid:27017/?serverSelectionTimeoutMS=1500");
  gale::mongo::Client wrong(
      auth.uri("gale:" + pw + "@", "authSource=gale&serverSelectionTimeoutMS=5000"));
  gale::mongo::Client key("mongodb://gale:" + pw + "@127.0.0.1:" + std::to_string(closed) +
                          "/?tls=true&tlsCertificateKeyFilePassword=" + key_pw +
                          "&serverSelectionTimeoutMS=1500&bogusOption=1");
  auto find = [](gale::mongo::Client& c) {
    return [&c]() -> Future<void> { (void)co_await c["gale"]["secrets"].find_one(); };
  };
  auto refused_kind = failure_kind(loop, pw, find(refused));
  CHECK((refused_kind == ErrorKind::unavailable || refused_kind == ErrorKind::timeout));
  auto unknown_kind = failure_kind(loop, pw, find(unknown));
  CHECK((unknown_kind == ErrorKind::unavailable || unknown_kind == ErrorKind::timeout));
  CHECK(failure_kind(loop, pw, find(wrong)) == ErrorKind::unauthorized);
  (void)failure_kind(loop, key_pw, find(key));
  refused_at_construction(pw, [&] { gale::mongo::Client("mongodb://gale:" + pw + "@h:99999/"); });
  refused_at_construction(pw, [&] { gale::mongo::Client("mongodb://gale:" + pw + "@/"); });
  refused_at_construction(key_pw, [&] {
    gale::mongo::Client("mongodb://h:99999/?tlsCertificateKeyFilePassword=" + key_pw);
  });
  for (auto* c : {&refused, &unknown, &wrong, &key}) {
    CHECK(c->settings().redacted_uri.find(pw) == std::string::npos);
    CHECK(c->settings().redacted_uri.find(key_pw) == std::string::npos);
    CHECK(c->pool_stats().name.find(pw) == std::string::npos);
    for (const auto& s : c->pool_stats_per_server()) CHECK(s.name.find(pw) == std::string::npos);
  }
  auto shown =
      web_view<MongoHandler>(std::vector<gale::mongo::Client*>{&refused, &unknown, &wrong, &key});
  CHECK(shown.find(pw) == std::string::npos);
  CHECK(shown.find(key_pw) == std::string::npos);
  CHECK(logs.capture.count("") > 0);
  CHECK(logs.capture.find(pw).empty());
  CHECK(logs.capture.find(key_pw).empty());
}
