#include "gale/pg/copy.hpp"

#include <algorithm>

#include "gale/loop/log.hpp"
#include "gale/pg/client_state.hpp"
#include "gale/pg/error.hpp"

namespace gale::pg {
namespace detail {

struct CopyState {
  CopyState(std::shared_ptr<ClientState> c, Lease l)
      : client(std::move(c)), lease(std::move(l)), connection(lease->connection) {}
  ~CopyState() { finish(); }

  Clock::time_point deadline() const { return client->query_deadline(); }
  void check() const {
    if (!active) throw Error(ErrorKind::internal, "the COPY is over");
  }
  void finish() noexcept {
    active = false;
    if (!lease) return;
    if (!connection->reusable()) lease.discard();
    lease.release();
    client->schedule_pump();
  }

  std::shared_ptr<ClientState> client;
  Lease lease;
  std::shared_ptr<Connection> connection;
  bool active = true;
};

namespace {

Future<std::shared_ptr<CopyState>> begin(std::shared_ptr<ClientState> client, std::string sql,
                                         bool in) {
  if (auto refused = refusal(sql)) std::rethrow_exception(refused);
  auto lease = co_await ClientState::acquire_exclusive(client);
  auto state = std::make_shared<CopyState>(client, std::move(lease));
  co_await state->connection->start_copy(std::move(sql), in, state->deadline());
  co_return state;
}

Future<void> abort_in_background(std::shared_ptr<CopyState> s) {
  try {
    co_await s->connection->end_copy(std::string("the CopyIn was dropped unfinished"),
                                     s->deadline());
  } catch (...) {
    // The server answers an aborted COPY with an error: that is the expected outcome.
  }
  s->finish();
}

}  // namespace

Future<CopyIn> start_copy_in(std::shared_ptr<ClientState> client, std::string sql) {
  co_return CopyIn(co_await begin(std::move(client), std::move(sql), true));
}

Future<CopyOut> start_copy_out(std::shared_ptr<ClientState> client, std::string sql) {
  co_return CopyOut(co_await begin(std::move(client), std::move(sql), false));
}

}  // namespace detail

CopyIn::~CopyIn() {
  if (state_ && state_->active && state_->connection->usable()) {
    state_->active = false;
    (void)detail::abort_in_background(std::move(state_));
  }
}

Future<void> CopyIn::write(std::string data) {
  auto s = state_;
  s->check();
  std::exception_ptr error;
  try {
    co_await s->connection->put_copy_data(std::move(data), s->deadline());
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    s->finish();
    std::rethrow_exception(error);
  }
}

Future<std::int64_t> CopyIn::finish() {
  auto s = state_;
  s->check();
  Result r;
  std::exception_ptr error;
  try {
    r = co_await s->connection->end_copy(std::nullopt, s->deadline());
  } catch (...) {
    error = std::current_exception();
  }
  s->finish();
  if (error) std::rethrow_exception(error);
  co_return r.affected_rows();
}

Future<void> CopyIn::abort(std::string reason) {
  auto s = state_;
  s->check();
  // libpq sends the reason as a C string; it is only a message for the server's log, so a NUL in it
  // becomes a space rather than cutting what follows (the COPY is aborted either way).
  std::replace(reason.begin(), reason.end(), '\0', ' ');
  try {
    co_await s->connection->end_copy(std::move(reason), s->deadline());
  } catch (const PgError& e) {
    if (e.sqlstate() != "57014") {  // "COPY from stdin failed: <reason>" is the expected answer
      s->finish();
      throw;
    }
  }
  s->finish();
}

CopyOut::~CopyOut() {
  if (state_ && state_->active) {
    // The rest of the rows would still come: give the connection up rather than read them.
    state_->connection->close();
    state_->finish();
  }
}

Future<std::optional<std::string>> CopyOut::next() {
  auto s = state_;
  s->check();
  std::optional<std::string> chunk;
  std::exception_ptr error;
  try {
    chunk = co_await s->connection->get_copy_data(s->deadline());
  } catch (...) {
    error = std::current_exception();
  }
  if (error || !chunk) s->finish();
  if (error) std::rethrow_exception(error);
  co_return chunk;
}

}  // namespace gale::pg
