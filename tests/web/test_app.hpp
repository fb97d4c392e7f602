// The handlers the web tests route to.
#pragma once

#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"

namespace gale::testing {

using namespace std::chrono_literals;
using gale::Future;
using gale::web::HTTPError;
using gale::web::RequestHandler;

struct EchoHandler : RequestHandler {
  Future<void> get(std::string_view name) override {
    write_json({{"name", name},
                {"q", get_argument("q", "none")},
                {"all", get_arguments("q")},
                {"method", request().method}});
    co_return;
  }
};

struct ItemHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    write_json({{"id", path_int("id")}});
    co_return;
  }
};

struct TwoHandler : RequestHandler {
  Future<void> get(std::string_view first) override {
    write_json({{"first", first},
                {"a", path_argument("a")},
                {"b", path_argument("b")},
                {"count", path_args().size()}});
    co_return;
  }
};

struct LegacyHandler : RequestHandler {
  Future<void> get(std::string_view first) override {
    write_json({{"first", first}, {"args", path_args().values}, {"named_1", path_argument("1")}});
    co_return;
  }
};

struct JsonHandler : RequestHandler {
  Future<void> post(std::string_view) override {
    auto doc = json_body();
    set_status(201);
    write_json({{"got", doc}});
    co_return;
  }
};

struct BodyHandler : RequestHandler {
  Future<void> post(std::string_view) override {
    write_json({{"size", body().size()}, {"body", body().substr(0, 64)}});
    co_return;
  }
  Future<void> put(std::string_view arg) override { return post(arg); }
};

inline constexpr std::pair<std::string_view, ErrorKind> kErrorKinds[] = {
    {"invalid_argument", ErrorKind::invalid_argument},
    {"not_found", ErrorKind::not_found},
    {"duplicate", ErrorKind::duplicate},
    {"conflict", ErrorKind::conflict},
    {"timeout", ErrorKind::timeout},
    {"unavailable", ErrorKind::unavailable},
    {"unauthorized", ErrorKind::unauthorized},
    {"forbidden", ErrorKind::forbidden},
    {"internal", ErrorKind::internal}};

inline ErrorKind kind_named(std::string_view name) {
  for (auto [n, k] : kErrorKinds) {
    if (n == name) return k;
  }
  throw std::invalid_argument("no error kind " + std::string(name));
}

// A driver's error that names the unique index it hit, as PgError and MongoError do.
struct ConstraintError : Error {
  explicit ConstraintError(std::string name)
      : Error(ErrorKind::duplicate, "duplicate key value violates unique constraint \"" + name +
                                        "\": Key (email)=(ann@example.com) already exists.") {
    set_constraint(std::move(name));
  }
};

// /error/{kind}: every way a handler can fail.
struct ErrorHandler : RequestHandler {
  Future<void> get(std::string_view kind) override {
    co_await gale::sleep(1ms);  // fail after a suspension, as real handlers do
    for (auto [name, k] : kErrorKinds) {
      if (kind == name) throw Error(k, std::string("the ") + std::string(name) + " error");
    }
    if (kind == "client") {
      throw Error(ErrorKind::duplicate, "slug 'x' exists in notes (row 17)", "slug already taken");
    }
    if (kind == "constraint") throw ConstraintError(get_argument("name", "users_email_key"));
    if (kind == "http") throw HTTPError(418, "I am a teapot");
    if (kind == "http-plain") throw HTTPError(402);
    if (kind == "http-detail") {
      throw HTTPError(400, "bad input").with_log_message("parser said: secret internals");
    }
    if (kind == "bad-utf8") throw HTTPError(400, "no item '\xff\xfe'");
    if (kind == "unknown") throw std::runtime_error("secret detail of the failure");
    if (kind == "int") throw 42;
    write("no error");
  }
};

// A handler that never waits: a plain function returning an empty Future.
struct SyncHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    write_json({{"sync", true}});
    return {};
  }
  Future<void> post(std::string_view) override {
    if (!request().body.empty()) throw HTTPError(422, "sync refuses a body");
    return {};
  }
};

struct SlowHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    auto ms = std::stoi(get_argument("ms", "100"));
    co_await gale::sleep(std::chrono::milliseconds(ms));
    write_json({{"slept_ms", ms}, {"pid", static_cast<int>(getpid())}});
  }
};

struct StreamHandler : RequestHandler {
  Future<void> get(std::string_view mode) override {
    write("part one;");
    co_await flush();
    write("part two;");
    co_await flush();
    if (mode == "fail") throw std::runtime_error("failed after the headers went out");
    write("end");
  }
};

struct GuardedHandler : RequestHandler {
  Future<void> prepare() override {
    co_await gale::sleep(1ms);
    if (header("X-Token") != "let-me-in") throw HTTPError(401, "a token is required");
  }
  Future<void> get(std::string_view) override {
    write_json({{"ok", true}});
    co_return;
  }
};

struct RedirectHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    redirect("/echo/redirected", get_argument("permanent", "0") == "1");
    co_return;
  }
};

struct InfoHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    write_json({{"remote_ip", request().remote_ip},
                {"protocol", request().protocol},
                {"request_id", request().request_id},
                {"host", request().host()}});
    co_return;
  }
};

struct BigHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    std::string text;
    for (int i = 0; i < 500; ++i) text += "gale gale gale gale ";
    write(text);
    co_return;
  }
};

// 200,000 bytes of a known pattern (a large body: written with a gather write).
inline std::string large_body() {
  std::string s;
  s.reserve(200000);
  for (int i = 0; s.size() < 200000; ++i) s += std::to_string(i % 10);
  return s;
}
struct LargeHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    write(large_body());
    co_return;
  }
};

// 32 MiB: more than the kernel buffers for a client that does not read.
struct HugeHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    write(std::string(32 * 1024 * 1024, 'x'));
    co_return;
  }
};

// Its own write_error: plain text, and the status doubled in a header.
struct OwnErrorHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    throw Error(ErrorKind::conflict, "row version 3 != 4 in notes", "version mismatch");
  }
  void write_error(int status, const gale::web::ErrorInfo& info) override {
    set_header("Content-Type", "text/plain");
    set_header("X-Handler-Error", std::to_string(status));
    write("handler says: " + info.message);
  }
};

// Counts on_finish calls.
inline int g_finished = 0;
struct FinishHandler : RequestHandler {
  Future<void> get(std::string_view) override {
    write("ok");
    co_return;
  }
  void on_finish() override { ++g_finished; }
};

struct AllMethodsHandler : RequestHandler {
  Future<void> get(std::string_view) override { return answer(); }
  Future<void> post(std::string_view) override { return answer(); }
  Future<void> put(std::string_view) override { return answer(); }
  Future<void> patch(std::string_view) override { return answer(); }
  Future<void> delete_(std::string_view) override { return answer(); }
  Future<void> options(std::string_view) override { return answer(); }
  Future<void> answer() {
    write_json({{"method", request().method}});
    co_return;
  }
};

inline std::vector<gale::web::Route> test_routes() {
  using gale::web::handler;
  return {
      {"/echo/{name}", handler<EchoHandler>()},
      {"/items/{id:int}", handler<ItemHandler>()},
      {"/two/{a}/{b}", handler<TwoHandler>()},
      {"/json", handler<JsonHandler>()},
      {"/body", handler<BodyHandler>()},
      {"/error/{kind}", handler<ErrorHandler>()},
      {"/slow", handler<SlowHandler>()},
      {"/stream/{mode}", handler<StreamHandler>()},
      {"/guarded", handler<GuardedHandler>()},
      {"/redirect", handler<RedirectHandler>()},
      {"/info", handler<InfoHandler>()},
      {"/big", handler<BigHandler>()},
      {"/huge", handler<HugeHandler>()},
      {"/large", handler<LargeHandler>()},
      {"/own-error", handler<OwnErrorHandler>()},
      {"/finish", handler<FinishHandler>()},
      {"/all", handler<AllMethodsHandler>()},
      {"/sync", handler<SyncHandler>()},
      {"^/legacy/([0-9]+)/(\\w+)$", handler<LegacyHandler>()},
  };
}

inline gale::web::Settings quiet_settings() {
  gale::web::Settings s;
  s.access_log = false;
  s.handle_signals = false;
  return s;
}

}  // namespace gale::testing
