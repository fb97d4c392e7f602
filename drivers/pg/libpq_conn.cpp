#include "gale/pg/libpq_conn.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <asio/io_context.hpp>
#include <unordered_set>

#include "gale/loop/log.hpp"
#include "gale/pg/error.hpp"

namespace gale::pg::detail {
namespace {

// Connection failures: wrong passwords and unknown roles are `unauthorized`, the rest
// `unavailable`. libpq gives no SQLSTATE here, only the server's message.
ErrorKind connect_error_kind(const std::string& message) {
  for (const char* needle :
       {"password authentication failed", "authentication failed", "no pg_hba.conf entry",
        "password is required", "pg_hba.conf rejects"}) {
    if (message.find(needle) != std::string::npos) return ErrorKind::unauthorized;
  }
  return ErrorKind::unavailable;
}

void on_notice(void*, const PGresult* r) {
  std::string severity = error_field(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string message = trimmed(PQresultErrorMessage(r));
  if (severity == "WARNING") {
    log::warning("gale.pg", "server: {}", message);
  } else {
    log::debug("gale.pg", "server: {}", message);
  }
}

}  // namespace

// Error mapping

std::string trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string error_field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v != nullptr ? v : "";
}

std::exception_ptr error_from(const PGresult* r, const ConnectConfig& config) {
  PgErrorFields f;
  f.sqlstate = error_field(r, PG_DIAG_SQLSTATE);
  f.severity = error_field(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  f.message = config.scrub(error_field(r, PG_DIAG_MESSAGE_PRIMARY));
  f.detail = config.scrub(error_field(r, PG_DIAG_MESSAGE_DETAIL));
  f.hint = error_field(r, PG_DIAG_MESSAGE_HINT);
  f.constraint = error_field(r, PG_DIAG_CONSTRAINT_NAME);
  f.schema = error_field(r, PG_DIAG_SCHEMA_NAME);
  f.table = error_field(r, PG_DIAG_TABLE_NAME);
  f.column = error_field(r, PG_DIAG_COLUMN_NAME);
  if (f.message.empty()) f.message = config.scrub(trimmed(PQresultErrorMessage(r)));
  ErrorKind kind = f.sqlstate.empty() ? ErrorKind::unavailable : kind_for_sqlstate(f.sqlstate);
  if (f.sqlstate == "57014") f.message += " (the query was cancelled)";
  return std::make_exception_ptr(PgError(kind, std::move(f)));
}

std::exception_ptr lost(const ConnectConfig& config, const std::string& why) {
  return std::make_exception_ptr(
      PgError(ErrorKind::unavailable,
              "lost the connection to PostgreSQL at " + config.address + ": " + why));
}

// Connecting

LibpqConn::LibpqConn(IOLoop& loop) : loop_(loop) {
  if (!loop.closing()) socket_.emplace(loop.context());  // else it never connects
}

LibpqConn::~LibpqConn() {
  finish();
}

void LibpqConn::loop_closing() noexcept {
  finish();
  socket_.reset();
}

Future<void> LibpqConn::connect(std::vector<std::pair<std::string, std::string>> params,
                                const ConnectConfig& config, bool pipeline) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  if (!socket_) throw PgError(ErrorKind::unavailable, "the loop is closing");
  conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
  if (conn_ == nullptr) throw PgError(ErrorKind::unavailable, "libpq could not allocate");
  PQsetNoticeReceiver(conn_, on_notice, nullptr);
  const auto timeout = config.connect_timeout;
  bool timed_out = false;
  auto timer = loop_.call_later(timeout, [this, &timed_out] {
    timed_out = true;
    asio::error_code ignored;
    if (socket_) socket_->cancel(ignored);
  });
  auto status = PQstatus(conn_) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED && !timed_out) {
    rewrap_socket();
    co_await wait_socket(status == PGRES_POLLING_WRITING);
    if (timed_out) break;
    status = PQconnectPoll(conn_);
  }
  timer.cancel();
  if (timed_out || status != PGRES_POLLING_OK) {
    std::string message = timed_out
                              ? "timed out after " + std::to_string(ms(timeout).count()) + " ms"
                              : config.scrub(error());
    finish();
    throw PgError(connect_error_kind(message),
                  "could not connect to PostgreSQL at " + config.address + ": " + message);
  }
  after_connect(pipeline);
  log::debug("gale.pg", "connected to {} (backend {}, socket {})", config.address,
             PQbackendPID(conn_), PQsocket(conn_));
}

void LibpqConn::rewrap_socket() {
  // libpq may close its socket and open another between PQconnectPoll calls (multi-host, SSL
  // retry): wrap the current one afresh. The descriptor is released, never closed: libpq owns it.
  asio::error_code ignored;
  if (!socket_) return;
  if (socket_->is_open()) (void)socket_->release();
  int fd = PQsocket(conn_);
  if (fd >= 0) socket_->assign(fd, ignored);
}

Future<asio::error_code> LibpqConn::wait_socket(bool write) {
  Promise<asio::error_code> promise;
  auto future = promise.get_future();
  if (!socket_) {
    promise.set_value(asio::error::operation_aborted);
    return future;
  }
  socket_->async_wait(
      write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
      [p = std::move(promise)](const asio::error_code& ec) mutable { p.set_value(ec); });
  return future;
}

void LibpqConn::after_connect(bool pipeline) {
  rewrap_socket();
  PQsetnonblocking(conn_, 1);
  if (pipeline && PQenterPipelineMode(conn_) != 1) {
    throw PgError(ErrorKind::internal, "libpq refused pipeline mode: " + error());
  }
  cancel_.reset(PQgetCancel(conn_), PQfreeCancel);
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(PQsocket(conn_), reinterpret_cast<sockaddr*>(&local), &length) == 0) {
    tcp_ = local.ss_family == AF_INET || local.ss_family == AF_INET6;
  }
}

// The connection

std::string LibpqConn::error() const {
  return trimmed(PQerrorMessage(conn_));
}

int LibpqConn::backend_pid() const noexcept {
  return conn_ != nullptr ? PQbackendPID(conn_) : 0;
}

bool LibpqConn::in_transaction() const noexcept {
  if (conn_ == nullptr) return false;
  auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

bool LibpqConn::corkable() const {
  return tcp_ && PQsslInUse(conn_) == 0;
}

bool LibpqConn::set_cork(bool on) const noexcept {
  int value = on ? 1 : 0;
  return setsockopt(PQsocket(conn_), IPPROTO_TCP, TCP_CORK, &value, sizeof value) == 0;
}

bool LibpqConn::ssl_pending() const {
  if (conn_ == nullptr || !PQsslInUse(conn_)) return false;
  auto* ssl = static_cast<SSL*>(PQsslStruct(conn_, "OpenSSL"));
  return ssl != nullptr && SSL_pending(ssl) > 0;
}

void LibpqConn::send_cancel() {
  last_cancel_ = Clock::now();
  if (!cancel_) return;
  auto done = loop_.run_in_executor([cancel = cancel_] {
    std::array<char, 256> error{};
    if (PQcancel(cancel.get(), error.data(), static_cast<int>(error.size())) == 1) {
      return std::string();
    }
    return std::string(error.data());
  });
  done.add_done_callback([](const Future<std::string>& f) {
    try {
      if (!f.result().empty()) log::warning("gale.pg", "cancel request failed: {}", f.result());
    } catch (...) {
      log::warning("gale.pg", "cancel request failed: {}", describe(std::current_exception()));
    }
  });
}

void LibpqConn::release_socket() noexcept {
  asio::error_code ignored;
  if (socket_ && socket_->is_open()) {
    socket_->cancel(ignored);
    (void)socket_->release();
  }
}

void LibpqConn::finish() noexcept {
  release_socket();
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

}  // namespace gale::pg::detail
