#include "gale/pg/request.hpp"

#include <libpq-fe.h>

#include "gale/pg/error.hpp"

namespace gale::pg::detail {

Request::~Request() {
  if (result != nullptr) PQclear(result);
  if (prepare_error != nullptr) PQclear(prepare_error);
}

void Request::take_result(pg_result* r) {
  if (result == nullptr) {
    result = r;
    return;
  }
  // More than one result for one statement: keep the first error, else the last.
  bool old_error = PQresultStatus(result) == PGRES_FATAL_ERROR;
  if (old_error) {
    PQclear(r);
  } else {
    PQclear(result);
    result = r;
  }
}

void Request::finish(Result r) {
  where = Where::done;
  connection = nullptr;
  timer.cancel();
  if (!timed_out) promise.set_value(std::move(r));
}

void Request::fail(std::exception_ptr e) {
  where = Where::done;
  connection = nullptr;
  timer.cancel();
  if (!timed_out) promise.set_exception(std::move(e));
}

std::exception_ptr refusal(std::string_view sql) {
  if (sql.find('\0') == std::string_view::npos) return nullptr;
  return std::make_exception_ptr(
      PgError(ErrorKind::invalid_argument, "the SQL text contains a NUL byte; nothing was sent"));
}

std::exception_ptr refusal(std::string_view sql, const Params& params) {
  if (auto e = refusal(sql)) return e;
  return params.error();
}

}  // namespace gale::pg::detail
