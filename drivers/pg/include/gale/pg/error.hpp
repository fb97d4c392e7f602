// PgError: a gale::Error that keeps what PostgreSQL said about a failure (SQLSTATE, message,
// detail, hint, constraint, table, column) and maps the SQLSTATE to a gale::ErrorKind:
//   23505 duplicate; 23503, 23502, 23514, 22xxx invalid_argument; 40001, 40P01 conflict;
//   57014 timeout; 28xxx unauthorized; 42501 forbidden; 08xxx, 57P0x, 53xxx and lost connections
//   unavailable; everything else internal.
// Messages never carry a password. what() has the server's whole text, for logs; the client
// message (gale::Error::client_message) is none for most kinds, so the web layer shows the kind's
// words ("duplicate key"), and "database unavailable, retry later" for kind unavailable. A
// duplicate's constraint is Error::constraint(), which an application may map to a message of its
// own (web::Settings::constraint_messages).

#pragma once

#include <string>
#include <string_view>

#include "gale/loop/error.hpp"

namespace gale::pg {

struct PgErrorFields {
  std::string sqlstate;  // "23505"; empty when the failure came from the client side
  std::string severity;  // "ERROR", "FATAL"
  std::string message;   // the server's primary message
  std::string detail;
  std::string hint;
  std::string constraint;
  std::string schema;
  std::string table;
  std::string column;
};

class PgError : public Error {
 public:
  PgError(ErrorKind kind, PgErrorFields fields);
  // A client-side failure (lost connection, timeout, ...) with no SQLSTATE.
  PgError(ErrorKind kind, const std::string& message);

  const std::string& sqlstate() const noexcept { return fields_.sqlstate; }
  const std::string& message() const noexcept { return fields_.message; }
  const std::string& detail() const noexcept { return fields_.detail; }
  const std::string& hint() const noexcept { return fields_.hint; }
  const std::string& table() const noexcept { return fields_.table; }
  const std::string& column() const noexcept { return fields_.column; }
  const PgErrorFields& fields() const noexcept { return fields_; }

 private:
  PgErrorFields fields_;
};

// The gale kind of a SQLSTATE.
ErrorKind kind_for_sqlstate(std::string_view sqlstate) noexcept;

}  // namespace gale::pg
