// gale::Error: the one exception type every layer throws, tagged with a kind that the web layer
// maps to an HTTP status (invalid_argument 400, not_found 404, duplicate 409, conflict 409, timeout
// 504, unavailable 503, unauthorized 401, forbidden 403, internal 500).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gale {

enum class ErrorKind : std::uint8_t {
  invalid_argument,
  not_found,
  duplicate,
  conflict,
  timeout,
  unavailable,
  unauthorized,
  forbidden,
  internal,
};

// "invalid_argument", "not_found", ...
std::string_view to_string(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// The kind of any exception: an Error's own kind, `internal` for everything else.
ErrorKind kind_of(const std::exception_ptr& error) noexcept;

// A one-line description of any exception ("timeout: timed out after 250 ms"), for logs.
std::string describe(const std::exception_ptr& error);

}  // namespace gale
