#include "gale/web/openapi.hpp"

#include <fstream>
#include <set>
#include <string_view>

#include "gale/loop/error.hpp"

namespace gale::web {
namespace {

using nlohmann::json;

json error_schema() {
  json field_error = {{"type", "object"},
                      {"required", {"path", "message"}},
                      {"properties",
                       {{"path", {{"type", "string"}, {"description", "a JSON Pointer"}}},
                        {"message", {{"type", "string"}}}}}};
  json error = {{"type", "object"},
                {"required", {"status", "message", "request_id"}},
                {"properties",
                 {{"status", {{"type", "integer"}}},
                  {"message", {{"type", "string"}}},
                  {"request_id", {{"type", "string"}}},
                  {"errors", {{"type", "array"}, {"items", field_error}}}}}};
  return {{"type", "object"}, {"required", {"error"}}, {"properties", {{"error", error}}}};
}

json error_response_ref() {
  return {{"$ref", "#/components/responses/Error"}};
}

// The schema where it is used: a reference when the type has a name (kept in `components`).
json schema_use(const SchemaDoc& doc, json& components) {
  if (doc.name.empty()) return doc.schema;
  components["schemas"][doc.name] = doc.schema;
  return {{"$ref", "#/components/schemas/" + doc.name}};
}

json json_content(const SchemaDoc& doc, json& components) {
  return {{"application/json", {{"schema", schema_use(doc, components)}}}};
}

// "/notes/{id:int}" -> "/notes/{id}" and its path parameters.
std::string openapi_path(std::string_view pattern, json& parameters) {
  std::string out;
  while (!pattern.empty()) {
    auto open = pattern.find('{');
    auto close = pattern.find('}', open);
    if (open == std::string_view::npos || close == std::string_view::npos) break;
    out.append(pattern.substr(0, open));
    std::string_view inside = pattern.substr(open + 1, close - open - 1);
    std::string_view name = inside.substr(0, inside.find(':'));
    bool integer = inside.ends_with(":int");
    out.append("{").append(name).append("}");
    parameters.push_back({{"name", name},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", integer ? "integer" : "string"}}}});
    pattern.remove_prefix(close + 1);
  }
  out.append(pattern);
  return out;
}

// An operationId from the method and the path ("get", "/notes/{id}" -> "get_notes_id"), made unique
// within the document by a suffix ("_2") when two paths differ only in punctuation.
std::string operation_id(std::string_view method, std::string_view path,
                         std::set<std::string>& taken) {
  std::string id(method);
  bool word_ended = true;
  for (char c : path) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (word && word_ended) id += '_';
    if (word) id += c;
    word_ended = !word;
  }
  std::string unique = id;
  for (int n = 2; !taken.insert(unique).second; ++n) unique = id + "_" + std::to_string(n);
  return unique;
}

json operation(const OperationDoc& op, const json& path_parameters, json& components) {
  json o = json::object();
  if (!op.summary.empty()) o["summary"] = op.summary;
  json parameters = path_parameters;
  for (const auto& p : op.parameters) {
    json param = {{"name", p.name}, {"in", p.in}, {"required", p.required}, {"schema", p.schema}};
    if (!p.description.empty()) param["description"] = p.description;
    parameters.push_back(std::move(param));
  }
  if (!parameters.empty()) o["parameters"] = std::move(parameters);
  if (op.request) {
    o["requestBody"] = {{"required", true}, {"content", json_content(*op.request, components)}};
  }
  json responses = json::object();
  for (const auto& r : op.responses) {
    json response = {{"description", r.description}};
    if (r.body) response["content"] = json_content(*r.body, components);
    responses[std::to_string(r.status)] = std::move(response);
  }
  for (int status : op.error_statuses) responses[std::to_string(status)] = error_response_ref();
  responses["default"] = error_response_ref();
  o["responses"] = std::move(responses);
  return o;
}

}  // namespace

json openapi_document(const Application& app) {
  json components = {
      {"schemas", {{"Error", error_schema()}}},
      {"responses",
       {{"Error",
         {{"description",
           "an error: {\"error\": {\"status\", \"message\", \"request_id\"}}, with "
           "\"errors\" listing the failing fields of a body"},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}};
  json paths = json::object();
  std::set<std::string> operation_ids;
  for (const auto& route : app.routes()) {
    if (!route.target->doc || route.pattern.starts_with("^")) continue;
    json path_parameters = json::array();
    std::string path = openapi_path(route.pattern, path_parameters);
    json item = json::object();
    for (const auto& [method, op] : route.target->doc().operations) {
      item[method] = operation(op, path_parameters, components);
      item[method]["operationId"] = operation_id(method, path, operation_ids);
    }
    paths[path] = std::move(item);
  }
  const Settings& s = app.settings();
  return {{"openapi", "3.1.0"},
          {"info", {{"title", s.api_title}, {"version", s.api_version}}},
          {"paths", std::move(paths)},
          {"components", std::move(components)}};
}

void write_openapi(const Application& app, const std::string& file) {
  std::ofstream out(file, std::ios::trunc);
  out << openapi_document(app).dump(2) << "\n";
  out.close();
  if (!out) {
    throw Error(ErrorKind::internal, "cannot write the OpenAPI document to '" + file + "'");
  }
}

namespace {

class OpenAPIHandler : public RequestHandler {
 public:
  static RouteDoc api_doc() {
    return RouteDoc().get(OperationDoc("The OpenAPI document of this API")
                              .returns(200, "the OpenAPI 3.1 document (application/json)"));
  }
  Future<void> get(std::string_view) override {
    write_json(openapi_document(application()));
    return {};
  }
};

}  // namespace

HandlerSpec openapi_handler() {
  return handler<OpenAPIHandler>();
}

}  // namespace gale::web
