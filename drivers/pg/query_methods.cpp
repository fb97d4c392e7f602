#include "gale/pg/query_methods.hpp"

namespace gale::pg::detail {

Future<std::int64_t> affected_rows(Future<Result> result) {
  Result r = co_await std::move(result);
  co_return r.affected_rows();
}

Future<std::optional<Row>> first_row(Future<Result> result) {
  Result r = co_await std::move(result);
  if (r.empty()) co_return std::nullopt;
  co_return r[0];
}

void throw_no_row() {
  throw Error(ErrorKind::not_found, "the query returned no row");
}

}  // namespace gale::pg::detail
