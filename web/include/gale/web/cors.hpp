// CORS (the Fetch standard's CORS protocol) as a middleware:
//
//   gale::web::CorsOptions cors;
//   cors.allow_origins = {"https://app.example.com"};
//   cors.allow_headers = {"Authorization", "Content-Type"};
//   cors.allow_credentials = true;
//   app.use(gale::web::cors(cors));        // first, so that it decorates the others' errors
//
// A request without Origin is not a CORS request and passes untouched. From an allowed origin:
//   - a preflight (OPTIONS with Access-Control-Request-Method) is answered here, 204, without
//     reaching the handler: Access-Control-Allow-Origin, -Allow-Methods, -Allow-Headers (the
//     requested ones, each allowed), -Allow-Credentials, -Max-Age;
//   - any other response (errors included) gets Access-Control-Allow-Origin (the origin itself, or
//     "*" when any origin is allowed and credentials are not: never "*" with credentials),
//     -Allow-Credentials and -Expose-Headers.
// Refused (an origin not allowed, or a preflight asking for a method or header not allowed): a
// preflight gets 403 with the JSON envelope saying what was refused and no Access-Control-Allow-
// Origin, so the browser fails the request (Starlette answers 400 "Disallowed CORS origin"; any
// non-2xx or a missing ACAO fails a preflight); other requests run and get no CORS headers: the
// browser keeps the response from the page. Unless any origin is allowed without credentials,
// every response carries Vary: Origin, so that a cache does not serve one origin's answer to
// another.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/web/middleware.hpp"

namespace gale::web {

struct CorsOptions {
  // Origins as browsers send them ("https://app.example.com", scheme://host[:port], no path);
  // "*" allows any origin.
  std::vector<std::string> allow_origins{};
  // Also allowed: the origins for which this returns true (checked after the list).
  std::function<bool(std::string_view origin)> allow_origin_if{};
  // Methods a preflight may ask for (case-sensitive, as the Fetch standard compares them).
  std::vector<std::string> allow_methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
  // Request headers a preflight may ask for, besides the CORS-safelisted ones (Accept,
  // Accept-Language, Content-Language, Content-Type); "*" allows any. Case-insensitive.
  std::vector<std::string> allow_headers{};
  // Response headers the page may read, besides the safelisted ones
  // (Access-Control-Expose-Headers).
  std::vector<std::string> expose_headers{};
  // Cookies and Authorization: Access-Control-Allow-Credentials: true, and the origin echoed.
  bool allow_credentials = false;
  // How long a browser may cache a preflight's answer (Access-Control-Max-Age); 0: not sent.
  std::chrono::seconds max_age{600};
};

MiddlewarePtr cors(CorsOptions options);

}  // namespace gale::web
