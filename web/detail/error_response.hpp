// What a failure becomes for the client: the status, the message meant for clients, the headers,
// and how loudly to log it. One place decides what a client may see (docs/web.md, "Errors").
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "gale/loop/log.hpp"
#include "gale/web/request_handler.hpp"
#include "gale/web/settings.hpp"

namespace gale::web::detail {

struct ErrorResponse {
  ErrorInfo info;  // info.message is valid UTF-8
  std::vector<std::pair<std::string, std::string>> headers;
  log::Level level = log::Level::info;  // of the log line that keeps the full detail
  std::string detail;       // that line's text (empty: nothing to add to the access log)
  bool unexpected = false;  // not an HTTPError or gale::Error: a bug, logged as one
};

ErrorResponse error_response(const std::exception_ptr& error, const Settings& settings);

}  // namespace gale::web::detail
