// The OpenAPI 3.1 document of an Application, made from its routes: each template route whose
// handler has an api_doc() (api_doc.hpp) becomes a path, its {name:int} arguments integer path
// parameters, the declared types of bodies and responses JSON Schemas (2020-12, OpenAPI 3.1's
// dialect), named ones under components/schemas, and every error a reference to the one error
// envelope (components/schemas/Error, components/responses/Error). Routes without api_doc() and
// regex routes are left out.
//
//   settings.openapi_path = "/openapi.json";      // served there (a route added for you)
//   gale::web::write_openapi(app, "openapi.json"); // or written to a file (--openapi-out)
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "gale/web/application.hpp"

namespace gale::web {

nlohmann::json openapi_document(const Application& app);

// Writes the document to `file`; throws gale::Error(internal) when it cannot.
void write_openapi(const Application& app, const std::string& file);

// The handler of Settings::openapi_path: GET answers the document.
HandlerSpec openapi_handler();

}  // namespace gale::web
