// The query conveniences that a Client and a Transaction share (detail). Derived::run(sql, params)
// does the work; these shape its Result. timeout(d) gives the same calls with a deadline of their
// own instead of the client's query_timeout:
//
//   auto rows = co_await pg.timeout(500ms).query("SELECT ... WHERE id = $1", id);
//
// A query past its deadline is cancelled on the server and fails with kind timeout, as with
// query_timeout; the wait for a connection counts. A zero duration means no deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "gale/loop/error.hpp"
#include "gale/loop/future.hpp"
#include "gale/pg/params.hpp"
#include "gale/pg/result.hpp"

namespace gale::pg::detail {

Future<std::int64_t> affected_rows(Future<Result> result);
Future<std::optional<Row>> first_row(Future<Result> result);
[[noreturn]] void throw_no_row();

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
Future<T> first_value(Future<Result> result) {
  Result r = co_await std::move(result);
  if (r.empty() || r.columns() == 0) {
    if constexpr (is_optional<T>::value) {
      co_return std::nullopt;
    } else {
      throw_no_row();
    }
  }
  co_return r[0][std::size_t{0}].template as<T>();
}

template <class Target>
class Timed;

template <class Derived>
class QueryMethods {
 public:
  // The same calls, each with `timeout` as its deadline. The view refers to this client or
  // transaction: use it in the statement that makes it.
  Timed<Derived> timeout(std::chrono::steady_clock::duration timeout) {
    return Timed<Derived>(self(), timeout);
  }

  // All rows.
  template <class... Args>
  Future<Result> query(std::string_view sql, Args... args) {
    return self().run(std::string(sql), Params(args...));
  }
  // The rows the statement changed (INSERT/UPDATE/DELETE/MERGE), 0 for others.
  template <class... Args>
  Future<std::int64_t> execute(std::string_view sql, Args... args) {
    return affected_rows(query(sql, args...));
  }
  // The first row, or std::nullopt when there is none.
  template <class... Args>
  Future<std::optional<Row>> query_one(std::string_view sql, Args... args) {
    return first_row(query(sql, args...));
  }
  // The first column of the first row as T. No row: std::nullopt if T is an std::optional, else
  // Error(not_found). A NULL: std::nullopt if T is an std::optional, else Error(internal).
  template <class T, class... Args>
  Future<T> query_value(std::string_view sql, Args... args) {
    return first_value<T>(query(sql, args...));
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

// A client or transaction with a deadline for each call. Trivially destructible on purpose: it is
// a temporary inside co_await expressions, where g++ 12 may destroy a temporary twice.
template <class Target>
class Timed : public QueryMethods<Timed<Target>> {
 public:
  Timed(Target& target, std::chrono::steady_clock::duration timeout) noexcept
      : target_(&target), timeout_(timeout) {}
  Future<Result> run(std::string sql, Params params) {
    return target_->run(std::move(sql), std::move(params), timeout_);
  }
  Future<Result> run(std::string sql, Params params, std::chrono::steady_clock::duration timeout) {
    return target_->run(std::move(sql), std::move(params), timeout);
  }

 private:
  Target* target_;
  std::chrono::steady_clock::duration timeout_;
};
static_assert(std::is_trivially_destructible_v<Timed<QueryMethods<void>>>);

}  // namespace gale::pg::detail
