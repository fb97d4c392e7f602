// CORS for the notes API: which pages of other origins may call it (crud --cors-origins).
#pragma once

#include <string>
#include <vector>

#include "gale/web/application.hpp"
#include "gale/web/cors.hpp"

namespace crud {

// The notes API's CORS for `origins` ("https://notes.example", or "*"): its methods, the request
// headers it reads (Content-Type, If-Match, If-None-Match, Last-Event-ID) and the response headers
// a page needs (ETag, Location, Retry-After, X-Request-Id).
gale::web::CorsOptions cors_options(std::vector<std::string> origins);

// app.use(cors) first, before every other middleware, when origins is not empty.
void add_cors(gale::web::Application& app, std::vector<std::string> origins);

}  // namespace crud
