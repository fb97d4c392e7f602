// json_body<T>() and write_json(T) in a handler, over HTTP: the validation errors in the envelope.
#include <catch2/catch.hpp>

#include <string>

#include "api/declared_types.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"

using api_test::Item;
using gale::web::Application;
using gale::web::HTTPRequest;
using gale::web::testing::TestServer;
using nlohmann::json;

namespace {

struct ItemsHandler : gale::web::RequestHandler {
  gale::Future<void> post(std::string_view) override {
    Item item = json_body<Item>();
    item.title += "!";
    set_status(201);
    write_json(item);
    co_return;
  }
};

gale::web::Settings quiet() {
  gale::web::Settings s;
  s.access_log = false;
  s.handle_signals = false;
  return s;
}

HTTPRequest post(std::string body) {
  HTTPRequest r;
  r.method = "POST";
  r.body = std::move(body);
  r.raise_error = false;
  return r;
}

}  // namespace

TEST_CASE("json_body<T> answers 400 with every failing field in the envelope", "[types]") {
  Application app({{"/items", gale::web::handler<ItemsHandler>()}}, quiet());
  TestServer server(app);
  auto r = server.fetch_sync("/items", post(R"({"title": "", "priority": 7, "x": 1})"));
  REQUIRE(r.code == 400);
  CHECK(r.headers.get("Content-Type", "") == "application/json");
  json error = r.json()["error"];
  CHECK(error["status"] == 400);
  CHECK(error["message"] == "invalid body: 'priority' must be at most 5 (and 3 more errors)");
  CHECK(error["request_id"].is_string());
  CHECK(error["errors"] ==
        json::array({{{"path", "/priority"}, {"message", "must be at most 5"}},
                     {{"path", "/title"}, {"message", "must have 1 to 10 characters"}},
                     {{"path", "/title"}, {"message", "must not be blank"}},
                     {{"path", "/x"},
                      {"message",
                       "is not a field (fields: title, done, priority, tags, "
                       "weight, kind)"}}}));
  // Errors that are not about fields keep the envelope without a list.
  auto malformed = server.fetch_sync("/items", post(R"({"title": )"));
  CHECK(malformed.code == 400);
  CHECK_FALSE(malformed.json()["error"].contains("errors"));
}

TEST_CASE("write_json(T) answers the declared type's JSON", "[types]") {
  Application app({{"/items", gale::web::handler<ItemsHandler>()}}, quiet());
  TestServer server(app);
  auto r = server.fetch_sync("/items", post(R"({"title": "go", "tags": ["a"]})"));
  REQUIRE(r.code == 201);
  CHECK(r.headers.get("Content-Type", "") == "application/json");
  CHECK(
      r.json() ==
      json{{"title", "go!"}, {"done", false}, {"tags", {"a"}}, {"weight", 1.5}, {"kind", "task"}});
}
