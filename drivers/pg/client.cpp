#include "gale/pg/client.hpp"

#include <random>

#include "gale/loop/log.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/pg/client_state.hpp"

namespace gale::pg {
namespace {

Future<void> script(std::shared_ptr<detail::ClientState> state, std::string sql) {
  if (auto refused = detail::refusal(sql)) std::rethrow_exception(refused);
  auto lease = co_await detail::ClientState::acquire_exclusive(state);
  auto connection = lease->connection;
  std::exception_ptr error;
  try {
    co_await connection->simple_query(std::move(sql), state->query_deadline());
  } catch (...) {
    error = std::current_exception();
  }
  if (!connection->reusable()) lease.discard();
  lease.release();
  state->schedule_pump();
  if (error) std::rethrow_exception(error);
}

Future<void> retrying(std::shared_ptr<detail::ClientState> state,
                      UniqueFunction<Future<void>(Transaction&)> fn, TransactionOptions options,
                      int max_attempts) {
  std::minstd_rand random(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    std::exception_ptr error;
    {
      Transaction tx = co_await begin_transaction(state, options);
      try {
        co_await fn(tx);
        co_await tx.commit();
        co_return;
      } catch (...) {
        error = std::current_exception();
      }
      if (tx.active()) {
        try {
          co_await tx.rollback();
        } catch (...) {
        }
      }
    }
    if (kind_of(error) != ErrorKind::conflict || attempt >= max_attempts) {
      std::rethrow_exception(error);
    }
    log::debug("gale.pg", "transaction attempt {} of {} conflicted, retrying: {}", attempt,
               max_attempts, describe(error));
    auto cap = std::min(100, 5 << attempt);
    co_await sleep(std::chrono::milliseconds(std::uniform_int_distribution<int>(1, cap)(random)));
  }
}

Future<void> notify_impl(Future<Result> result) {
  co_await std::move(result);
}

}  // namespace

Client::Client(const std::string& conninfo, ClientOptions options)
    : state_(std::make_shared<detail::ClientState>(conninfo, std::move(options))) {
  state_->start();
}

Client::~Client() {
  if (state_) state_->close();
}

Client::Client(Client&&) noexcept = default;

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (state_) state_->close();
    state_ = std::move(other.state_);
  }
  return *this;
}

Future<Result> Client::run(std::string sql, Params params) {
  return state_->run(std::move(sql), std::move(params), state_->options.query_timeout);
}

Future<Result> Client::run(std::string sql, Params params, Clock::duration timeout) {
  return state_->run(std::move(sql), std::move(params), timeout);
}

Future<void> Client::execute_script(std::string sql) {
  return script(state_, std::move(sql));
}

Future<Transaction> Client::transaction(TransactionOptions options) {
  return begin_transaction(state_, options);
}

Future<void> Client::run_in_transaction(UniqueFunction<Future<void>(Transaction&)> fn,
                                        TransactionOptions options, int max_attempts) {
  return retrying(state_, std::move(fn), options, std::max(1, max_attempts));
}

Future<Listener> Client::listen(std::string channel) {
  return listen(std::vector<std::string>{std::move(channel)});
}

Future<Listener> Client::listen(std::vector<std::string> channels) {
  state_->fork_guard.check("gale::pg::Client");
  for (const auto& channel : channels) {
    if (channel.find('\0') != std::string::npos) {
      return make_exceptional_future<Listener>(
          PgError(ErrorKind::invalid_argument, "a channel name cannot contain a NUL byte"));
    }
  }
  return Listener::start(state_->config, std::move(channels));
}

Future<void> Client::notify(std::string_view channel, std::string_view payload) {
  return notify_impl(query("SELECT pg_notify($1, $2)", channel, payload));
}

Future<CopyIn> Client::copy_in(std::string sql) {
  return detail::start_copy_in(state_, std::move(sql));
}

Future<CopyOut> Client::copy_out(std::string sql) {
  return detail::start_copy_out(state_, std::move(sql));
}

PoolStats Client::pool_stats() const {
  return state_->stats();
}

const ClientOptions& Client::options() const noexcept {
  return state_->options;
}

const std::string& Client::address() const noexcept {
  return state_->config->address;
}

void Client::close() noexcept {
  state_->close();
}

}  // namespace gale::pg
