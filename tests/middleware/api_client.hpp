// Requests for the api tests: a method, headers, no raise_error.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "gale/web/http_client.hpp"
#include "gale/web/settings.hpp"

namespace gale::testing {

inline web::HTTPRequest api_request(
    std::string method, std::initializer_list<std::pair<const char*, const char*>> headers = {}) {
  web::HTTPRequest r;
  r.method = std::move(method);
  r.raise_error = false;
  for (const auto& [name, value] : headers) r.headers.add(name, value);
  return r;
}

inline web::Settings quiet_settings() {
  web::Settings s;
  s.access_log = false;
  s.handle_signals = false;
  return s;
}

}  // namespace gale::testing
