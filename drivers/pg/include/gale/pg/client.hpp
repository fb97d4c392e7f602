// gale::pg::Client: the PostgreSQL client of a process. Create one at start-up and keep it; it owns
// its connection pool for its whole life (a second client for the same server logs a warning).
//
//   auto pg = gale::pg::Client("postgresql://gale:gale@127.0.0.1:5432/gale?pool_max_size=16");
//   auto rows = co_await pg.query("SELECT id, title FROM notes WHERE id = $1", id);
//   std::int64_t n = co_await pg.execute("UPDATE notes SET done = $1 WHERE id = $2", true, id);
//   std::optional<Row> row = co_await pg.query_one("SELECT ... WHERE id = $1", id);
//   auto count = co_await pg.query_value<std::int64_t>("SELECT count(*) FROM notes");
//   auto slow = co_await pg.timeout(2s).query("SELECT ...");  // its own deadline
//   nlohmann::json j = rows.to_json();
//   gale::pg::TransactionOptions serializable{.isolation = gale::pg::Isolation::serializable};
//   auto tx = co_await pg.transaction(serializable);   // not a braced temporary (g++ 12)
//   co_await pg.run_in_transaction([&](gale::pg::Transaction& tx) -> gale::Future<void> { ... });
//
// Queries from concurrent coroutines share connections in pipeline mode (see client_state.hpp);
// each has the deadline query_timeout, after which it is cancelled on the server and fails with
// kind timeout. Statements are prepared once per connection and cached (statement_cache_size).
// Errors are PgError (a gale::Error): see error.hpp for the kinds.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/loop/unique_function.hpp"
#include "gale/pg/client_options.hpp"
#include "gale/pg/copy.hpp"
#include "gale/pg/error.hpp"
#include "gale/pg/listener.hpp"
#include "gale/pg/params.hpp"
#include "gale/pg/query_methods.hpp"
#include "gale/pg/result.hpp"
#include "gale/pg/transaction.hpp"
#include "gale/pool/pool_stats.hpp"

namespace gale::pg {

namespace detail {
class ClientState;
}

class Client : public detail::QueryMethods<Client> {
 public:
  // A URI (postgresql://...) or key=value string with any libpq parameter, plus gale's settings
  // (see client_options.hpp), which override `options`. Connects lazily (pool_min_size connections
  // at once). Throws Error(invalid_argument) for a malformed string.
  explicit Client(const std::string& conninfo) : Client(conninfo, ClientOptions{}) {}
  explicit Client(const std::string& conninfo, ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // The query with its parameters, sent apart from the SQL; with a timeout of its own instead of
  // query_timeout (zero: none). query(), execute(), ... are in QueryMethods, and timeout(d).
  Future<Result> run(std::string sql, Params params);
  Future<Result> run(std::string sql, Params params, std::chrono::steady_clock::duration timeout);
  // Several statements in one string, through the simple query protocol (no parameters).
  Future<void> execute_script(std::string sql);

  // No defaulted options (g++ 12 destroys a defaulted aggregate argument twice when the call sits
  // in a co_await): the shorter forms are overloads.
  Future<Transaction> transaction(TransactionOptions options);
  Future<Transaction> transaction() { return transaction(TransactionOptions{}); }
  // Runs fn in a transaction and commits; on a serialization failure (40001) or a deadlock
  // (40P01) rolls back and runs it again, up to max_attempts times in all.
  Future<void> run_in_transaction(UniqueFunction<Future<void>(Transaction&)> fn,
                                  TransactionOptions options, int max_attempts);
  Future<void> run_in_transaction(UniqueFunction<Future<void>(Transaction&)> fn,
                                  TransactionOptions options) {
    return run_in_transaction(std::move(fn), std::move(options), 5);
  }
  Future<void> run_in_transaction(UniqueFunction<Future<void>(Transaction&)> fn) {
    return run_in_transaction(std::move(fn), TransactionOptions{});
  }

  Future<Listener> listen(std::string channel);
  Future<Listener> listen(std::vector<std::string> channels);
  Future<void> notify(std::string_view channel, std::string_view payload);

  Future<CopyIn> copy_in(std::string sql);
  Future<CopyOut> copy_out(std::string sql);

  // The pool's gauges and counters; `waiting` counts the queries waiting for a connection.
  PoolStats pool_stats() const;
  const ClientOptions& options() const noexcept;
  // "user@host:port/dbname", never a password.
  const std::string& address() const noexcept;
  // Fails every query waiting or in flight with kind unavailable and closes the connections;
  // transactions and COPYs in progress keep theirs until they end. Later calls fail at once.
  void close() noexcept;

 private:
  std::shared_ptr<detail::ClientState> state_;
};

}  // namespace gale::pg
