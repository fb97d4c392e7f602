// What the OpenAPI document (openapi.hpp) says of a route beyond what the router knows: per method,
// a summary, the declared type of the request body, the responses and their declared types, the
// query parameters and the error statuses (each answers the shared error envelope). A handler class
// gives it with a static api_doc(); handler<H>() picks it up:
//
//   struct NotesHandler : gale::web::RequestHandler {
//     static gale::web::RouteDoc api_doc() {
//       using gale::web::OperationDoc;
//       return gale::web::RouteDoc()
//           .get(OperationDoc("List notes").query("limit", {{"type", "integer"}}, "page size")
//                    .returns<NotePage>(200, "a page of notes"))
//           .post(OperationDoc("Create a note").body<NoteInput>()
//                     .returns<Note>(201, "the note created").errors({400, 409}));
//     }
//     ...
//   };
//
// A declared type with `static constexpr std::string_view json_name = "Note";` is one schema under
// components/schemas, referred to by name; others are written where they are used.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/web/json_type.hpp"

namespace gale::web {

// A declared type's schema and its component name ("" to write it inline).
struct SchemaDoc {
  nlohmann::json schema;
  std::string name;
};

template <class T>
SchemaDoc schema_doc() {
  std::string name;
  if constexpr (requires { T::json_name; }) name = std::string(T::json_name);
  return SchemaDoc{schema_of<T>(), std::move(name)};
}

struct ResponseDoc {
  int status = 200;
  std::string description;
  std::optional<SchemaDoc> body;  // none: no body (204, 304)
};

struct ParameterDoc {
  std::string name;
  std::string in;  // "query" or "header"
  nlohmann::json schema;
  std::string description;
  bool required = false;
};

class OperationDoc {
 public:
  OperationDoc() = default;
  explicit OperationDoc(std::string summary_text) : summary(std::move(summary_text)) {}

  template <class T>
  OperationDoc& body() {
    request = schema_doc<T>();
    return *this;
  }
  template <class T>
  OperationDoc& returns(int status, std::string description) {
    responses.push_back(ResponseDoc{status, std::move(description), schema_doc<T>()});
    return *this;
  }
  // A response without a body.
  OperationDoc& returns(int status, std::string description) {
    responses.push_back(ResponseDoc{status, std::move(description), std::nullopt});
    return *this;
  }
  OperationDoc& query(std::string name, nlohmann::json schema, std::string description,
                      bool required = false) {
    parameters.push_back(ParameterDoc{std::move(name), "query", std::move(schema),
                                      std::move(description), required});
    return *this;
  }
  OperationDoc& header(std::string name, std::string description) {
    parameters.push_back(ParameterDoc{
        std::move(name), "header", {{"type", "string"}}, std::move(description), false});
    return *this;
  }
  // Statuses this operation may answer with the error envelope (any other error status is
  // covered by the "default" response, the envelope too).
  OperationDoc& errors(std::vector<int> statuses) {
    error_statuses = std::move(statuses);
    return *this;
  }

  std::string summary;
  std::optional<SchemaDoc> request;
  std::vector<ResponseDoc> responses;
  std::vector<ParameterDoc> parameters;
  std::vector<int> error_statuses;
};

class RouteDoc {
 public:
  RouteDoc& get(OperationDoc op) { return set("get", std::move(op)); }
  RouteDoc& post(OperationDoc op) { return set("post", std::move(op)); }
  RouteDoc& put(OperationDoc op) { return set("put", std::move(op)); }
  RouteDoc& patch(OperationDoc op) { return set("patch", std::move(op)); }
  RouteDoc& delete_(OperationDoc op) { return set("delete", std::move(op)); }

  std::map<std::string, OperationDoc> operations;  // by method, lower case

 private:
  RouteDoc& set(std::string method, OperationDoc op) {
    operations[std::move(method)] = std::move(op);
    return *this;
  }
};

}  // namespace gale::web
