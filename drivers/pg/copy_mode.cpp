// The exclusive operations: a simple-protocol statement (execute_script, LISTEN) and COPY in
// either direction. They leave pipeline mode once the pipeline has settled, wait on input and
// output themselves (input_waiter_, output_waiter_), and enter pipeline mode again at their end.
#include <libpq-fe.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gale/pg/connection.hpp"
#include "gale/pg/error.hpp"

namespace gale::pg::detail {
namespace {

constexpr std::size_t kCopyChunk = 64 * 1024;

}  // namespace

void Connection::throw_broken() const {
  throw PgError(ErrorKind::unavailable,
                "lost the connection to PostgreSQL at " + config_->address + ": " + broken_reason_);
}

Future<void> Connection::wait_input(Clock::time_point deadline) {
  if (!usable()) throw_broken();
  input_waiter_.emplace();
  auto future = input_waiter_->get_future();
  if (deadline != Clock::time_point::max()) {
    waiter_timer_ = loop_.call_at(deadline, [this] {
      if (!input_waiter_) return;
      auto p = std::move(*input_waiter_);
      input_waiter_.reset();
      p.set_error(PgError(ErrorKind::timeout, "PostgreSQL did not answer before the deadline"));
    });
  }
  co_await future;
  waiter_timer_.cancel();
}

Future<void> Connection::wait_output(Clock::time_point deadline) {
  if (!usable()) throw_broken();
  output_waiter_.emplace();
  auto future = output_waiter_->get_future();
  arm_write();
  if (deadline != Clock::time_point::max()) {
    waiter_timer_ = loop_.call_at(deadline, [this] {
      if (!output_waiter_) return;
      auto p = std::move(*output_waiter_);
      output_waiter_.reset();
      p.set_error(
          PgError(ErrorKind::timeout, "PostgreSQL did not take the data before the deadline"));
    });
  }
  co_await future;
  waiter_timer_.cancel();
}

Future<void> Connection::drain_output(Clock::time_point deadline) {
  auto self = shared_from_this();
  while (true) {
    if (!usable()) throw_broken();
    int r = PQflush(pq_.get());
    if (r == 0) co_return;
    if (r < 0) {
      fail_all(pq_.error());
      throw_broken();
    }
    co_await wait_output(deadline);
  }
}

Future<void> Connection::settle() {
  auto self = shared_from_this();
  while (usable() && !items_.empty()) {
    idle_waiter_.emplace();
    auto idle = idle_waiter_->get_future();
    co_await idle;
  }
}

void Connection::leave_pipeline() {
  if (!usable()) throw_broken();
  if (queries_ != 0 || !items_.empty()) {
    throw PgError(ErrorKind::internal,
                  "an exclusive operation needs a connection with nothing in flight");
  }
  if (PQpipelineStatus(pq_.get()) != PQ_PIPELINE_OFF && PQexitPipelineMode(pq_.get()) != 1) {
    throw PgError(ErrorKind::internal, "could not leave pipeline mode: " + pq_.error());
  }
  state_ = State::exclusive;
}

void Connection::enter_pipeline() {
  if (!usable()) return;
  state_ = State::pipeline;
  if (settings_.pipeline && PQpipelineStatus(pq_.get()) == PQ_PIPELINE_OFF) {
    PQenterPipelineMode(pq_.get());
  }
}

// Reads results until libpq has no more for the current command. A deadline that passes sends a
// cancel request and keeps reading (the server answers a cancel promptly); if it still says
// nothing within a few seconds, the connection is given up.
Future<Result> Connection::collect_results(Clock::time_point deadline) {
  auto self = shared_from_this();
  PGresult* keep = nullptr;
  PGresult* error = nullptr;
  bool cancelled = false;
  while (true) {
    while (usable() && PQisBusy(pq_.get()) == 1) {
      bool late = false;
      try {
        Clock::time_point until = deadline;
        if (cancelled) until = Clock::now() + std::chrono::seconds(5);
        co_await wait_input(until);
      } catch (const PgError& e) {
        if (e.kind() != ErrorKind::timeout) throw;
        late = true;
      }
      if (late && cancelled) {
        fail_all("no answer after a cancel request");
        break;
      }
      if (late) {
        cancelled = true;
        send_cancel();
      }
    }
    if (!usable()) break;
    PGresult* r = PQgetResult(pq_.get());
    if (r == nullptr) break;
    auto status = PQresultStatus(r);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      PQclear(r);
      if (keep != nullptr) PQclear(keep);
      if (error != nullptr) PQclear(error);
      state_ = status == PGRES_COPY_IN ? State::copy_in : State::copy_out;
      co_return Result();
    }
    if (status == PGRES_FATAL_ERROR) {
      if (error == nullptr) {
        error = r;
      } else {
        PQclear(r);
      }
    } else {
      if (keep != nullptr) PQclear(keep);
      keep = r;
    }
  }
  Result kept(keep);
  if (!usable()) {
    if (error != nullptr) PQclear(error);
    throw_broken();
  }
  enter_pipeline();
  if (error != nullptr) {
    auto e = error_from(error, *config_);
    PQclear(error);
    std::rethrow_exception(e);
  }
  if (cancelled) throw PgError(ErrorKind::timeout, "the statement timed out and was cancelled");
  co_return kept;
}

Future<void> Connection::send_outside_pipeline(std::string sql, std::string_view what,
                                               Clock::time_point deadline) {
  auto self = shared_from_this();
  co_await settle();
  leave_pipeline();
  if (PQsendQuery(pq_.get(), sql.c_str()) != 1) {
    auto why = pq_.error();
    enter_pipeline();
    throw PgError(ErrorKind::internal, "could not send the " + std::string(what) + ": " + why);
  }
  co_await drain_output(deadline);
}

Future<Result> Connection::simple_query(std::string sql, Clock::time_point deadline) {
  auto self = shared_from_this();
  co_await send_outside_pipeline(std::move(sql), "query", deadline);
  co_return co_await collect_results(deadline);
}

Future<void> Connection::start_copy(std::string sql, bool copy_in, Clock::time_point deadline) {
  auto self = shared_from_this();
  co_await send_outside_pipeline(std::move(sql), "COPY", deadline);
  co_await collect_results(deadline);
  // Back in pipeline mode (the statement ran, it was no COPY), or in the COPY it started.
  if (state_ != State::copy_in && state_ != State::copy_out) {
    throw PgError(ErrorKind::invalid_argument,
                  "the statement is not a COPY FROM STDIN / TO STDOUT");
  }
  if ((state_ == State::copy_in) != copy_in) {
    // The other direction: the connection is in the middle of a COPY nobody will finish.
    fail_all("a COPY in the wrong direction was abandoned");
    throw PgError(ErrorKind::invalid_argument, copy_in ? "copy_in() needs COPY ... FROM STDIN"
                                                       : "copy_out() needs COPY ... TO STDOUT");
  }
}

Future<void> Connection::put_copy_data(std::string data, Clock::time_point deadline) {
  auto self = shared_from_this();
  while (true) {
    if (!usable()) throw_broken();
    int r = PQputCopyData(pq_.get(), data.data(), static_cast<int>(data.size()));
    if (r == 1) break;
    if (r < 0) {
      fail_all(pq_.error());
      throw_broken();
    }
    co_await wait_output(deadline);
  }
  co_await drain_output(deadline);
}

Future<Result> Connection::end_copy(std::optional<std::string> error, Clock::time_point deadline) {
  auto self = shared_from_this();
  while (true) {
    if (!usable()) throw_broken();
    int r = PQputCopyEnd(pq_.get(), error ? error->c_str() : nullptr);
    if (r == 1) break;
    if (r < 0) {
      fail_all(pq_.error());
      throw_broken();
    }
    co_await wait_output(deadline);
  }
  co_await drain_output(deadline);
  co_return co_await collect_results(deadline);
}

Future<std::optional<std::string>> Connection::get_copy_data(Clock::time_point deadline) {
  auto self = shared_from_this();
  std::string chunk;
  if (std::exchange(copy_out_done_, false)) co_return std::nullopt;
  while (true) {
    if (!usable()) throw_broken();
    char* buffer = nullptr;
    int n = PQgetCopyData(pq_.get(), &buffer, 1);
    if (n > 0) {
      chunk.append(buffer, static_cast<std::size_t>(n));
      PQfreemem(buffer);
      if (chunk.size() >= kCopyChunk) co_return chunk;
      continue;
    }
    if (n == 0) {
      if (!chunk.empty()) co_return chunk;
      co_await wait_input(deadline);
      continue;
    }
    if (n == -1) {
      // The end: the last rows (if any) now, nothing on the next call.
      co_await collect_results(deadline);
      if (chunk.empty()) co_return std::nullopt;
      copy_out_done_ = true;
      co_return chunk;
    }
    fail_all(pq_.error());
    throw_broken();
  }
}

}  // namespace gale::pg::detail
