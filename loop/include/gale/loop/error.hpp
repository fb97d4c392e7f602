// gale::Error: the one exception type every layer throws, tagged with a kind that the web layer
// maps to an HTTP status (invalid_argument 400, not_found 404, duplicate 409, conflict 409, timeout
// 504, unavailable 503, unauthorized 401, forbidden 403, internal 500).
//
// Two texts: what() is for logs and may carry server details (SQL errors, constraint names, hosts,
// the duplicated value); client_message() is what a client may be shown. An Error made with only a
// message has no client message, and the web layer answers with its kind's own words
// (client_message_for: "duplicate key", "service unavailable, retry later", ...) unless debug is
// on.
//
//   throw gale::Error(ErrorKind::duplicate, "a note with slug 'x' exists", "slug already taken");
#pragma once

#include <cstdint>
#include <memory>
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
// From those names; throws Error(invalid_argument) for any other.
ErrorKind parse_error_kind(std::string_view name);

// What the database drivers and their pools tell clients when a database cannot be reached or has
// no connection free (the host, user and connect error stay in what()).
inline constexpr std::string_view kDatabaseUnavailable = "database unavailable, retry later";

// The words a client is shown for an Error of `kind` that has no client message of its own.
std::string_view client_message_for(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  // `client_message`: a text meant for clients (no internals), shown whatever the debug setting.
  Error(ErrorKind kind, const std::string& message, std::string client_message);

  ErrorKind kind() const noexcept { return kind_; }
  // The text meant for clients; empty when none was given (then client_message_for(kind())).
  const std::string& client_message() const noexcept;
  // The constraint or index a failure names (a duplicate key's unique index), when the driver
  // knows it; empty otherwise. Never shown to clients unless the application opts in (see the web
  // layer's Settings::constraint_messages).
  const std::string& constraint() const noexcept;

 protected:
  void set_client_message(std::string text);
  void set_constraint(std::string name);

 private:
  struct Extra {
    std::string client_message;
    std::string constraint;
  };
  Extra& extra();

  ErrorKind kind_;
  std::shared_ptr<const Extra> extra_;  // null for most errors: copies stay cheap
};

// The kind of any exception: an Error's own kind, `internal` for everything else.
ErrorKind kind_of(const std::exception_ptr& error) noexcept;

// A one-line description of any exception ("timeout: timed out after 250 ms"), for logs.
std::string describe(const std::exception_ptr& error);

}  // namespace gale
