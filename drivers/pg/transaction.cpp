#include "gale/pg/transaction.hpp"

#include <random>

#include "gale/loop/log.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/pg/client_state.hpp"
#include "gale/pg/error.hpp"

namespace gale::pg {

namespace detail {

struct TransactionState {
  TransactionState(std::shared_ptr<ClientState> c, Lease l)
      : client(std::move(c)), lease(std::move(l)) {}
  ~TransactionState() { finish(); }

  Connection& connection() const { return *lease->connection; }

  // The transaction is over: the connection goes back (or away, if it is broken or still in a
  // transaction).
  void finish() noexcept {
    active = false;
    if (!lease) return;
    const auto& c = lease->connection;
    if (!c->reusable()) lease.discard();
    lease.release();
    client->schedule_pump();
  }

  std::shared_ptr<ClientState> client;
  Lease lease;
  bool active = false;
};

namespace {

std::string begin_sql(const TransactionOptions& o) {
  std::string sql = "BEGIN";
  switch (o.isolation) {
    case Isolation::read_committed:
      sql += " ISOLATION LEVEL READ COMMITTED";
      break;
    case Isolation::repeatable_read:
      sql += " ISOLATION LEVEL REPEATABLE READ";
      break;
    case Isolation::serializable:
      sql += " ISOLATION LEVEL SERIALIZABLE";
      break;
    case Isolation::server_default:
      break;
  }
  if (o.read_only) sql += " READ ONLY";
  if (o.deferrable) sql += " DEFERRABLE";
  return sql;
}

Future<Result> send(const std::shared_ptr<TransactionState>& s, std::string sql, Params params,
                    Clock::duration timeout) {
  if (auto refused = refusal(sql, params))
    return make_exceptional_future<Result>(std::move(refused));
  auto r = std::make_shared<Request>(std::move(sql), std::move(params));
  r->retry_allowed = false;
  r->queued_at = Clock::now();
  auto future = r->promise.get_future();
  if (timeout > Clock::duration::zero()) {
    r->timeout = timeout;
    r->deadline = r->queued_at + r->timeout;
    s->client->arm_timer(r, r->deadline);
  }
  s->connection().submit(r);
  return future;
}

Future<Result> send(const std::shared_ptr<TransactionState>& s, std::string sql, Params params) {
  return send(s, std::move(sql), std::move(params), s->client->options.query_timeout);
}

Future<void> rollback_in_background(std::shared_ptr<TransactionState> s) {
  try {
    co_await send(s, "ROLLBACK", Params());
  } catch (...) {
    log::debug("gale.pg", "rolling back a dropped transaction failed: {}",
               describe(std::current_exception()));
  }
  s->finish();
}

void check_name(const std::string& name) {
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) {
    throw Error(ErrorKind::invalid_argument,
                "a savepoint name must be an identifier (letters, digits, _): \"" + name + "\"");
  }
}

}  // namespace
}  // namespace detail

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    abandon();
    state_ = std::move(other.state_);
  }
  return *this;
}

Transaction::~Transaction() {
  abandon();
}

void Transaction::abandon() noexcept {
  if (!state_) return;
  if (state_->active && state_->lease && state_->connection().usable()) {
    state_->active = false;
    (void)detail::rollback_in_background(std::move(state_));
  }
  state_.reset();
}

bool Transaction::active() const noexcept {
  return state_ && state_->active;
}

int Transaction::backend_pid() const noexcept {
  return state_ && state_->lease ? state_->connection().backend_pid() : 0;
}

Future<Result> Transaction::run(std::string sql, Params params) {
  auto timeout = state_ ? state_->client->options.query_timeout : Clock::duration::zero();
  return run(std::move(sql), std::move(params), timeout);
}

Future<Result> Transaction::run(std::string sql, Params params, Clock::duration timeout) {
  if (!active()) {
    return make_exceptional_future<Result>(
        Error(ErrorKind::internal, "the transaction is over (committed or rolled back)"));
  }
  return detail::send(state_, std::move(sql), std::move(params), timeout);
}

Future<void> Transaction::commit() {
  auto s = state_;
  if (!active())
    throw Error(ErrorKind::internal, "the transaction is over (committed or rolled back)");
  Result r;
  std::exception_ptr error;
  try {
    r = co_await detail::send(s, "COMMIT", Params());
  } catch (...) {
    error = std::current_exception();
  }
  s->finish();
  if (error) std::rethrow_exception(error);
  if (r.command() == "ROLLBACK") {
    throw Error(ErrorKind::internal,
                "COMMIT rolled the transaction back: a statement in it had failed");
  }
}

Future<void> Transaction::rollback() {
  auto s = state_;
  if (!active()) co_return;
  std::exception_ptr error;
  try {
    co_await detail::send(s, "ROLLBACK", Params());
  } catch (...) {
    error = std::current_exception();
  }
  s->finish();
  if (error) std::rethrow_exception(error);
}

Future<void> Transaction::savepoint(std::string name) {
  detail::check_name(name);
  co_await run("SAVEPOINT " + name, Params());
}

Future<void> Transaction::rollback_to(std::string name) {
  detail::check_name(name);
  co_await run("ROLLBACK TO SAVEPOINT " + name, Params());
}

Future<void> Transaction::release(std::string name) {
  detail::check_name(name);
  co_await run("RELEASE SAVEPOINT " + name, Params());
}

Future<Transaction> begin_transaction(std::shared_ptr<detail::ClientState> client,
                                      TransactionOptions options) {
  auto lease = co_await detail::ClientState::acquire_exclusive(client);
  auto state = std::make_shared<detail::TransactionState>(client, std::move(lease));
  client->pump();  // the wait for an exclusive connection is over
  co_await detail::send(state, detail::begin_sql(options), Params());
  state->active = true;
  co_return Transaction(std::move(state));
}

}  // namespace gale::pg
