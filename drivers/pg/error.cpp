#include "gale/pg/error.hpp"

#include <utility>

namespace gale::pg {
namespace {

std::string what_of(const PgErrorFields& f) {
  std::string text = f.message;
  if (!f.sqlstate.empty()) text += " (SQLSTATE " + f.sqlstate + ")";
  if (!f.detail.empty()) text += ": " + f.detail;
  return text;
}

bool starts(std::string_view s, std::string_view prefix) noexcept {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

PgError::PgError(ErrorKind kind, PgErrorFields fields)
    : Error(kind, what_of(fields)), fields_(std::move(fields)) {
  if (!fields_.constraint.empty()) set_constraint(fields_.constraint);
  if (kind == ErrorKind::unavailable) set_client_message(std::string(kDatabaseUnavailable));
}

PgError::PgError(ErrorKind kind, const std::string& message) : Error(kind, message) {
  fields_.message = message;
  if (kind == ErrorKind::unavailable) set_client_message(std::string(kDatabaseUnavailable));
}

ErrorKind kind_for_sqlstate(std::string_view s) noexcept {
  if (s == "23505") return ErrorKind::duplicate;
  if (s == "40001" || s == "40P01") return ErrorKind::conflict;
  if (s == "57014") return ErrorKind::timeout;
  if (s == "42501") return ErrorKind::forbidden;
  if (starts(s, "23") || starts(s, "22")) return ErrorKind::invalid_argument;
  if (starts(s, "28")) return ErrorKind::unauthorized;
  // Connection exceptions, shutdown/crash of the server, too many connections, out of resources.
  if (starts(s, "08") || starts(s, "57P") || starts(s, "53")) return ErrorKind::unavailable;
  return ErrorKind::internal;
}

}  // namespace gale::pg
