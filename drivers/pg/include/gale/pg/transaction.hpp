// Transaction: one connection held from BEGIN to COMMIT or ROLLBACK.
//
//   TransactionOptions serializable{.isolation = Isolation::serializable};
//   auto tx = co_await pg.transaction(serializable);  // not a braced temporary: g++ 12, README
//   co_await tx.execute("UPDATE accounts SET balance = balance - $1 WHERE id = $2", 10, from);
//   co_await tx.savepoint("before_bonus"); ... co_await tx.rollback_to("before_bonus");
//   co_await tx.commit();
//
// A Transaction dropped before commit() or rollback() is rolled back (in the background; the
// connection goes back to the pool afterwards). Queries of one transaction may run concurrently
// (gather): they are pipelined on its connection, in order.
#pragma once

#include <memory>
#include <string>

#include "gale/loop/future.hpp"
#include "gale/pg/query_methods.hpp"
#include "gale/pg/result.hpp"

namespace gale::pg {

enum class Isolation { server_default, read_committed, repeatable_read, serializable };

struct TransactionOptions {
  Isolation isolation = Isolation::server_default;
  bool read_only = false;
  bool deferrable = false;  // with serializable + read_only: waits for a safe snapshot
};

namespace detail {
struct TransactionState;
class ClientState;
}  // namespace detail

class Transaction : public detail::QueryMethods<Transaction> {
 public:
  Transaction(Transaction&&) noexcept = default;
  Transaction& operator=(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Future<Result> run(std::string sql, Params params);
  // With a timeout of its own instead of the client's query_timeout (zero: none).
  Future<Result> run(std::string sql, Params params, std::chrono::steady_clock::duration timeout);
  Future<void> commit();
  Future<void> rollback();
  // Savepoint names are identifiers (letters, digits, _); anything else is invalid_argument.
  Future<void> savepoint(std::string name);
  Future<void> rollback_to(std::string name);
  Future<void> release(std::string name);

  // Begun and neither committed nor rolled back.
  bool active() const noexcept;
  int backend_pid() const noexcept;

 private:
  friend class detail::ClientState;
  friend Future<Transaction> begin_transaction(std::shared_ptr<detail::ClientState>,
                                               TransactionOptions);
  explicit Transaction(std::shared_ptr<detail::TransactionState> state) noexcept
      : state_(std::move(state)) {}
  void abandon() noexcept;

  std::shared_ptr<detail::TransactionState> state_;
};

Future<Transaction> begin_transaction(std::shared_ptr<detail::ClientState> client,
                                      TransactionOptions options);

}  // namespace gale::pg
