#include "crud/cors.hpp"

#include <utility>

namespace crud {

gale::web::CorsOptions cors_options(std::vector<std::string> origins) {
  gale::web::CorsOptions o;
  o.allow_origins = std::move(origins);
  o.allow_methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
  o.allow_headers = {"Content-Type", "If-Match", "If-None-Match", "Last-Event-ID"};
  o.expose_headers = {"ETag", "Location", "Retry-After", "X-Request-Id"};
  return o;
}

void add_cors(gale::web::Application& app, std::vector<std::string> origins) {
  if (origins.empty()) return;
  app.use(gale::web::cors(cors_options(std::move(origins))));
}

}  // namespace crud
