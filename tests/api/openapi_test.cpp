// The OpenAPI document an Application makes of its routes, and its serving at openapi_path.
#include <catch2/catch.hpp>

#include <string>

#include "api/declared_types.hpp"
#include "gale/web/openapi.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"

using api_test::Item;
using api_test::Patch;
using gale::web::Application;
using gale::web::OperationDoc;
using gale::web::RouteDoc;
using nlohmann::json;

namespace {

struct NamedItem : Item {
  static constexpr std::string_view json_name = "Item";
};

struct ItemsHandler : gale::web::RequestHandler {
  static RouteDoc api_doc() {
    return RouteDoc()
        .get(OperationDoc("List items")
                 .query("limit", {{"type", "integer"}}, "how many")
                 .returns<std::vector<Item>>(200, "the items"))
        .post(OperationDoc("Create an item")
                  .body<NamedItem>()
                  .returns<NamedItem>(201, "created")
                  .errors({400, 409}));
  }
  gale::Future<void> get(std::string_view) override { co_return; }
  gale::Future<void> post(std::string_view) override { co_return; }
};

struct ItemHandler : gale::web::RequestHandler {
  static RouteDoc api_doc() {
    return RouteDoc()
        .patch(OperationDoc("Change an item").body<Patch>().returns(204, "changed"))
        .delete_(
            OperationDoc("Delete an item").header("If-Match", "a version").returns(204, "gone"));
  }
  gale::Future<void> patch(std::string_view) override { co_return; }
  gale::Future<void> delete_(std::string_view) override { co_return; }
};

struct Undocumented : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override { co_return; }
};

gale::web::Settings settings(std::string openapi_path) {
  gale::web::Settings s;
  s.access_log = false;
  s.handle_signals = false;
  s.openapi_path = std::move(openapi_path);
  s.api_title = "items";
  s.api_version = "2.0.0";
  return s;
}

std::vector<gale::web::Route> routes() {
  return {{"/items", gale::web::handler<ItemsHandler>()},
          {"/items/{id:int}/{rest:path}", gale::web::handler<ItemHandler>()},
          {"/hidden", gale::web::handler<Undocumented>()},
          {"^/legacy/([0-9]+)$", gale::web::handler<ItemsHandler>()}};
}

}  // namespace

TEST_CASE("The OpenAPI document shows documented routes, typed path parameters and types",
          "[openapi]") {
  Application app(routes(), settings(""));
  json doc = gale::web::openapi_document(app);
  CHECK(doc["openapi"] == "3.1.0");
  CHECK(doc["info"] == json{{"title", "items"}, {"version", "2.0.0"}});
  // Documented template routes only: not /hidden (no api_doc), not the regex route.
  CHECK(doc["paths"].size() == 2);
  json item = doc["paths"]["/items/{id}/{rest}"];
  REQUIRE(item.is_object());
  CHECK(
      item["patch"]["parameters"][0] ==
      json{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}});
  CHECK(item["patch"]["parameters"][1]["schema"] == json{{"type", "string"}});
  CHECK(item["patch"]["requestBody"]["content"]["application/json"]["schema"] ==
        gale::web::schema_of<Patch>());  // an unnamed type: written where it is used
  CHECK(item["delete"]["parameters"][2] == json{{"name", "If-Match"},
                                                {"in", "header"},
                                                {"required", false},
                                                {"schema", {{"type", "string"}}},
                                                {"description", "a version"}});
  CHECK(item["delete"]["responses"]["204"] == json{{"description", "gone"}});

  json items = doc["paths"]["/items"];
  CHECK(items["get"]["summary"] == "List items");
  // Each operation has an id of its own, from its method and path (code generators name functions
  // after them).
  CHECK(items["get"]["operationId"] == "get_items");
  CHECK(items["post"]["operationId"] == "post_items");
  CHECK(item["patch"]["operationId"] == "patch_items_id_rest");
  CHECK(item["delete"]["operationId"] == "delete_items_id_rest");
  CHECK(items["get"]["parameters"][0]["in"] == "query");
  CHECK(items["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"] ==
        gale::web::schema_of<Item>());
  // A named type: one component, referred to.
  json ref = {{"$ref", "#/components/schemas/Item"}};
  CHECK(items["post"]["requestBody"]["content"]["application/json"]["schema"] == ref);
  CHECK(items["post"]["responses"]["201"]["content"]["application/json"]["schema"] == ref);
  CHECK(doc["components"]["schemas"]["Item"] == gale::web::schema_of<Item>());
  // Errors: the one envelope, shared.
  json error_ref = {{"$ref", "#/components/responses/Error"}};
  CHECK(items["post"]["responses"]["400"] == error_ref);
  CHECK(items["post"]["responses"]["409"] == error_ref);
  CHECK(items["post"]["responses"]["default"] == error_ref);
  json envelope = doc["components"]["schemas"]["Error"];
  CHECK(envelope["required"] == json{"error"});
  CHECK(envelope["properties"]["error"]["required"] == json{"status", "message", "request_id"});
  CHECK(envelope["properties"]["error"]["properties"]["errors"]["items"]["required"] ==
        json{"path", "message"});
}

TEST_CASE("openapi_path serves the document, and without it there is no such route", "[openapi]") {
  Application app(routes(), settings("/openapi.json"));
  gale::web::testing::TestServer server(app);
  auto r = server.fetch_sync("/openapi.json");
  REQUIRE(r.code == 200);
  CHECK(r.headers.get("Content-Type", "") == "application/json");
  json doc = r.json();
  CHECK(doc == gale::web::openapi_document(app));
  CHECK(doc["paths"]["/openapi.json"]["get"]["summary"] == "The OpenAPI document of this API");

  Application without(routes(), settings(""));
  gale::web::testing::TestServer server2(without);
  gale::web::HTTPRequest get;
  get.raise_error = false;
  CHECK(server2.fetch_sync("/openapi.json", get).code == 404);
}
