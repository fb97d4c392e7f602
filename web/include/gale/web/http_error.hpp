// HTTPError(status, message): raise it from a handler to answer with that status, as Tornado's
// tornado.web.HTTPError. write_error turns it into the JSON envelope
// {"error": {"status": N, "message": "...", "request_id": "..."}}. The message is meant for the
// client; what only the logs (and debug responses) may see goes in with_log_message():
//
//   throw HTTPError(400, "malformed JSON body").with_log_message(parser_error.what());
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gale::web {

class HTTPError : public std::runtime_error {
 public:
  // An empty message stands for the status' reason phrase ("Not Found").
  explicit HTTPError(int status, const std::string& message = {})
      : std::runtime_error(message), status_(status), message_(message) {}

  int status() const noexcept { return status_; }
  // The message whole (what() ends at a NUL byte, which a decoded %00 in a path may bring).
  const std::string& message() const noexcept { return message_; }

  // Headers to send with the error response (e.g. Allow for 405, Retry-After for 503).
  HTTPError& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }

  // Details for the log line of the request (and the response when debug is on), never shown to
  // clients otherwise: a library's exception text, an internal name.
  HTTPError& with_log_message(std::string text) {
    log_message_ = std::move(text);
    return *this;
  }
  const std::string& log_message() const noexcept { return log_message_; }

 private:
  int status_;
  std::string message_;
  std::string log_message_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace gale::web
