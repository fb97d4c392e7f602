#include "gale/pg/connection.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <asio/io_context.hpp>
#include <vector>

#include "gale/loop/log.hpp"
#include "gale/pg/error.hpp"

namespace gale::pg::detail {
namespace {

constexpr std::size_t kCopyChunk = 64 * 1024;

std::string trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v != nullptr ? v : "";
}

std::exception_ptr error_from(const PGresult* r, const ConnectConfig& config) {
  PgErrorFields f;
  f.sqlstate = field(r, PG_DIAG_SQLSTATE);
  f.severity = field(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  f.message = config.scrub(field(r, PG_DIAG_MESSAGE_PRIMARY));
  f.detail = config.scrub(field(r, PG_DIAG_MESSAGE_DETAIL));
  f.hint = field(r, PG_DIAG_MESSAGE_HINT);
  f.constraint = field(r, PG_DIAG_CONSTRAINT_NAME);
  f.schema = field(r, PG_DIAG_SCHEMA_NAME);
  f.table = field(r, PG_DIAG_TABLE_NAME);
  f.column = field(r, PG_DIAG_COLUMN_NAME);
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
  std::string severity = field(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string message = trimmed(PQresultErrorMessage(r));
  if (severity == "WARNING") {
    log::warning("gale.pg", "server: {}", message);
  } else {
    log::debug("gale.pg", "server: {}", message);
  }
}

bool ok_status(ExecStatusType s) {
  return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK || s == PGRES_EMPTY_QUERY ||
         s == PGRES_SINGLE_TUPLE;
}

std::chrono::milliseconds ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

}  // namespace

// Opening

Future<std::shared_ptr<Connection>> Connection::open(std::shared_ptr<const ConnectConfig> config,
                                                     Settings settings) {
  auto params = co_await resolve_hosts(*config);
  auto connection = std::make_shared<Connection>(std::move(config), settings);
  co_await connection->connect(std::move(params));
  co_return connection;
}

Connection::Connection(std::shared_ptr<const ConnectConfig> config, Settings settings)
    : loop_(IOLoop::current()),
      socket_(loop_.context()),
      config_(std::move(config)),
      settings_(settings),
      cache_(settings.statement_cache_size),
      closed_future_(closed_promise_.get_future()) {}

Connection::~Connection() {
  close();
}

Future<void> Connection::connect(std::vector<std::pair<std::string, std::string>> params) {
  auto self = shared_from_this();
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
  if (conn_ == nullptr) throw PgError(ErrorKind::unavailable, "libpq could not allocate");
  PQsetNoticeReceiver(conn_, on_notice, nullptr);
  const auto timeout = config_->connect_timeout;
  bool timed_out = false;
  auto timer = loop_.call_later(timeout, [this, &timed_out] {
    timed_out = true;
    asio::error_code ignored;
    socket_.cancel(ignored);
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
                              : config_->scrub(trimmed(PQerrorMessage(conn_)));
    close();
    throw PgError(connect_error_kind(message),
                  "could not connect to PostgreSQL at " + config_->address + ": " + message);
  }
  after_connect();
}

void Connection::rewrap_socket() {
  // libpq may close its socket and open another between PQconnectPoll calls (multi-host, SSL
  // retry): wrap the current one afresh. The descriptor is released, never closed: libpq owns it.
  asio::error_code ignored;
  if (socket_.is_open()) (void)socket_.release();
  int fd = PQsocket(conn_);
  if (fd >= 0) socket_.assign(fd, ignored);
}

Future<asio::error_code> Connection::wait_socket(bool write) {
  Promise<asio::error_code> promise;
  auto future = promise.get_future();
  socket_.async_wait(
      write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
      [p = std::move(promise)](const asio::error_code& ec) mutable { p.set_value(ec); });
  return future;
}

void Connection::after_connect() {
  rewrap_socket();
  PQsetnonblocking(conn_, 1);
  if (settings_.pipeline && PQenterPipelineMode(conn_) != 1) {
    throw PgError(ErrorKind::internal,
                  "libpq refused pipeline mode: " + trimmed(PQerrorMessage(conn_)));
  }
  cancel_.reset(PQgetCancel(conn_), PQfreeCancel);
  log::debug("gale.pg", "connected to {} (backend {}, socket {})", config_->address,
             PQbackendPID(conn_), PQsocket(conn_));
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(PQsocket(conn_), reinterpret_cast<sockaddr*>(&local), &length) == 0) {
    tcp_ = local.ss_family == AF_INET || local.ss_family == AF_INET6;
  }
  arm_read();
}

// Under load (queries already in flight), the queries that coroutines send within one loop
// iteration are corked into as few TCP segments as possible: libpq writes each Sync at once, and
// on loopback every send() otherwise costs a full trip through the TCP stack.
void Connection::cork() {
  if (!tcp_ || corked_ || queries_ == 0 || PQsslInUse(conn_)) return;
  int on = 1;
  if (setsockopt(PQsocket(conn_), IPPROTO_TCP, TCP_CORK, &on, sizeof on) != 0) return;
  corked_ = true;
  loop_.add_callback([self = shared_from_this()] { self->uncork(); });
}

void Connection::uncork() {
  if (!corked_) return;
  corked_ = false;
  if (!usable()) return;
  int off = 0;
  (void)setsockopt(PQsocket(conn_), IPPROTO_TCP, TCP_CORK, &off, sizeof off);
  flush();
}

int Connection::backend_pid() const noexcept {
  return conn_ != nullptr ? PQbackendPID(conn_) : 0;
}

bool Connection::in_transaction() const noexcept {
  if (conn_ == nullptr) return false;
  auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

void Connection::close() noexcept {
  if (closed_) return;
  // No hook runs from here: close() is called from inside pools and hooks, which must not be
  // re-entered.
  closing_ = true;
  if (!broken_) fail_all("the connection was closed");
  closed_ = true;
  asio::error_code ignored;
  if (socket_.is_open()) {
    socket_.cancel(ignored);
    (void)socket_.release();
  }
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

// Sending

void Connection::submit(const RequestPtr& request) {
  request->where = Request::Where::in_flight;
  request->connection = this;
  ++queries_;
  if (!usable()) {
    --queries_;
    request->fail(lost(*config_, broken_reason_.empty() ? "it is closed" : broken_reason_));
    return;
  }
  if (queries_ > 1) cork();
  send(request);
  flush();
}

void Connection::send(const RequestPtr& r) {
  const auto& params = r->params;
  const std::size_t n = params.size();
  constexpr std::size_t kInline = 16;
  std::array<const char*, kInline> values_inline{};
  std::array<int, kInline> lengths_inline{}, formats_inline{};
  std::array<unsigned int, kInline> types_inline{};
  std::vector<const char*> values_heap;
  std::vector<int> lengths_heap, formats_heap;
  std::vector<unsigned int> types_heap;
  const char** values = values_inline.data();
  int* lengths = lengths_inline.data();
  int* formats = formats_inline.data();
  unsigned int* types = types_inline.data();
  if (n > kInline) {
    values_heap.resize(n);
    lengths_heap.resize(n);
    formats_heap.resize(n);
    types_heap.resize(n);
    values = values_heap.data();
    lengths = lengths_heap.data();
    formats = formats_heap.data();
    types = types_heap.data();
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto& slot = params.slots()[i];
    values[i] = params.value(i);
    lengths[i] = slot.length;
    formats[i] = slot.format;
    types[i] = slot.type;
  }
  bool sent;
  if (cache_.capacity() == 0) {
    sent = PQsendQueryParams(conn_, r->sql.c_str(), static_cast<int>(n), types, values, lengths,
                             formats, 0) == 1;
    if (sent) items_.push_back(Item{Item::Kind::query, r, {}, {}});
  } else {
    sent = send_prepared(r, values, lengths, formats, types);
  }
  if (sent && PQpipelineSync(conn_) == 1) {
    items_.push_back(Item{Item::Kind::sync, nullptr, {}, {}});
    return;
  }
  auto why = trimmed(PQerrorMessage(conn_));
  fail_all(why);
  if (r->where == Request::Where::in_flight) r->fail(lost(*config_, why));
}

bool Connection::send_prepared(const RequestPtr& r, const char* const* values, const int* lengths,
                               const int* formats, const unsigned int* types) {
  const int n = static_cast<int>(r->params.size());
  std::string key = r->sql;
  if (n > 0) {
    key += '\0';
    r->params.append_types(key);
  }
  if (const std::string* name = cache_.find(key)) {
    r->used_cached = true;
    if (PQsendQueryPrepared(conn_, name->c_str(), n, values, lengths, formats, 0) != 1)
      return false;
    items_.push_back(Item{Item::Kind::query, r, {}, {}});
    return true;
  }
  r->used_cached = false;
  std::optional<std::string> evicted;
  std::string name = cache_.add(key, evicted);
  if (evicted) send_ignored("DEALLOCATE " + *evicted);
  if (PQsendPrepare(conn_, name.c_str(), r->sql.c_str(), n, types) != 1) return false;
  items_.push_back(Item{Item::Kind::prepare, r, std::move(key), name});
  if (PQsendQueryPrepared(conn_, name.c_str(), n, values, lengths, formats, 0) != 1) return false;
  items_.push_back(Item{Item::Kind::query, r, {}, {}});
  return true;
}

// A statement whose outcome nobody waits for (DEALLOCATE, ROLLBACK), with its own Sync.
void Connection::send_ignored(const std::string& sql) {
  if (PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
      PQpipelineSync(conn_) == 1) {
    items_.push_back(Item{Item::Kind::ignore, nullptr, {}, {}});
    items_.push_back(Item{Item::Kind::sync, nullptr, {}, {}});
  }
}

void Connection::flush() {
  if (!usable()) return;
  int r = PQflush(conn_);
  if (r < 0) {
    fail_all(trimmed(PQerrorMessage(conn_)));
  } else if (r == 1) {
    arm_write();
  } else if (output_waiter_) {
    auto p = std::move(*output_waiter_);
    output_waiter_.reset();
    p.set_value();
  }
}

// Receiving

void Connection::arm_read() {
  if (reading_ || !usable()) return;
  reading_ = true;
  socket_.async_wait(
      asio::posix::descriptor_base::wait_read,
      [self = shared_from_this()](const asio::error_code& ec) { self->on_readable(ec); });
}

void Connection::arm_write() {
  if (writing_ || !usable()) return;
  writing_ = true;
  socket_.async_wait(
      asio::posix::descriptor_base::wait_write,
      [self = shared_from_this()](const asio::error_code& ec) { self->on_writable(ec); });
}

void Connection::on_writable(const asio::error_code& ec) {
  writing_ = false;
  if (!usable()) return;
  if (ec) {
    fail_all(ec.message());
    return;
  }
  flush();
}

bool Connection::ssl_pending() const {
  if (conn_ == nullptr || !PQsslInUse(conn_)) return false;
  auto* ssl = static_cast<SSL*>(PQsslStruct(conn_, "OpenSSL"));
  return ssl != nullptr && SSL_pending(ssl) > 0;
}

void Connection::on_readable(const asio::error_code& ec) {
  reading_ = false;
  if (!usable()) return;
  if (ec) {
    fail_all(ec.message());
    return;
  }
  auto self = shared_from_this();  // a hook below may drop the last other reference
  do {
    if (PQconsumeInput(conn_) != 1) {
      fail_all(trimmed(PQerrorMessage(conn_)));
      return;
    }
    if (input_waiter_) {
      auto p = std::move(*input_waiter_);
      input_waiter_.reset();
      p.set_value();
    } else {
      process();
      if (items_.empty() && idle_waiter_) {
        auto p = std::move(*idle_waiter_);
        idle_waiter_.reset();
        p.set_value();
      }
    }
    drain_notifications();
  } while (usable() && ssl_pending());
  if (!usable()) return;
  if (PQstatus(conn_) == CONNECTION_BAD) {
    fail_all(trimmed(PQerrorMessage(conn_)));
    return;
  }
  arm_read();
  if (progress_hook_) progress_hook_();
}

void Connection::process() {
  while (!items_.empty() && usable() && PQisBusy(conn_) == 0) {
    PGresult* r = PQgetResult(conn_);
    Item& front = items_.front();
    if (front.kind == Item::Kind::sync) {
      if (r == nullptr) break;  // not expected; wait for more input
      auto status = PQresultStatus(r);
      if (status != PGRES_PIPELINE_SYNC) {
        // An error outside any query (the server is shutting down, say).
        auto error = trimmed(PQresultErrorMessage(r));
        PQclear(r);
        fail_all(error);
        return;
      }
      PQclear(r);
      items_.pop_front();
      after_sync();
      continue;
    }
    if (r != nullptr) {
      route(front, r);
      continue;
    }
    Item done = std::move(front);
    items_.pop_front();
    if (done.kind == Item::Kind::query) {
      --queries_;
      complete_query(done.request);
    }
  }
  cancel_front_if_timed_out();
}

void Connection::route(Item& item, PGresult* r) {
  switch (item.kind) {
    case Item::Kind::prepare:
      if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
        cache_.forget(item.key, item.name);
        if (item.request->prepare_error == nullptr) {
          item.request->prepare_error = r;
          return;
        }
      }
      PQclear(r);
      return;
    case Item::Kind::query:
      item.request->take_result(r);
      return;
    default:
      PQclear(r);
      return;
  }
}

void Connection::complete_query(const RequestPtr& r) {
  PGresult* result = std::exchange(r->result, nullptr);
  PGresult* prepare_error = std::exchange(r->prepare_error, nullptr);
  if (r->timed_out) {
    if (result != nullptr) PQclear(result);
    if (prepare_error != nullptr) PQclear(prepare_error);
    r->where = Request::Where::done;
    r->connection = nullptr;
    return;
  }
  if (prepare_error != nullptr) {
    if (result != nullptr) PQclear(result);
    r->fail(error_from(prepare_error, *config_));
    PQclear(prepare_error);
    return;
  }
  if (result == nullptr) {
    r->fail(lost(*config_, "no result came for the query"));
    return;
  }
  auto status = PQresultStatus(result);
  if (ok_status(status)) {
    if (!settings_.catalog) {
      r->finish(Result(result));
      return;
    }
    auto unknown = settings_.catalog->unknown_columns(result);
    if (unknown.empty()) {
      r->finish(Result(result, settings_.catalog->current()));
    } else {
      (void)finish_with_types(shared_from_this(), r, result, std::move(unknown));
    }
    return;
  }
  std::string sqlstate = field(result, PG_DIAG_SQLSTATE);
  if (status == PGRES_PIPELINE_ABORTED) sqlstate = "pipeline_aborted";
  if (retry(r, sqlstate)) {
    PQclear(result);
    return;
  }
  auto error = status == PGRES_PIPELINE_ABORTED
                   ? std::make_exception_ptr(PgError(
                         ErrorKind::internal, "the query was skipped: an earlier one failed"))
                   : error_from(result, *config_);
  PQclear(result);
  r->fail(error);
}

// A column of a type the catalog does not know: look it up on this connection (pipelined behind
// whatever is in flight), then hand the result over with the grown catalog.
Future<void> Connection::finish_with_types(std::shared_ptr<Connection> self, RequestPtr r,
                                           PGresult* result, std::vector<long long> unknown) {
  std::unique_ptr<PGresult, decltype(&PQclear)> owned(result, &PQclear);
  auto lookup = std::make_shared<Request>(TypeCatalogHolder::lookup_sql(), Params(unknown));
  lookup->retry_allowed = false;
  auto rows = lookup->promise.get_future();
  self->submit(lookup);
  try {
    self->settings_.catalog->learn(co_await std::move(rows), unknown);
  } catch (...) {
    log::debug("gale.pg", "looking up column types failed: {}", describe(std::current_exception()));
  }
  r->finish(Result(owned.release(), self->settings_.catalog->current()));
}

bool Connection::retry(const RequestPtr& r, const std::string& sqlstate) {
  bool stale = r->used_cached && (sqlstate == "26000" || sqlstate == "0A000");
  if (stale) {
    // The server lost or invalidated the statement (DEALLOCATE, DISCARD, a schema change):
    // forget it so that the next use prepares it again.
    std::string key = r->sql;
    if (r->params.size() > 0) {
      key += '\0';
      r->params.append_types(key);
    }
    if (const std::string* name = cache_.find(key)) cache_.forget(key, *name);
  }
  bool victim = sqlstate == "57014" && !r->cancel_sent &&
                Clock::now() - last_cancel_ < std::chrono::seconds(10);
  bool skipped = sqlstate == "pipeline_aborted";
  if (!(stale || victim || skipped) || !r->retry_allowed || r->retries > 0 || in_transaction()) {
    return false;
  }
  ++r->retries;
  log::debug("gale.pg", "sending a query again after {}", sqlstate);
  ++queries_;
  send(r);
  flush();
  return true;
}

void Connection::after_sync() {
  if (!shared_ || !in_transaction()) return;
  log::warning("gale.pg",
               "a query left a transaction open on a shared connection; it is rolled back. Use "
               "pg.transaction() for transactions, never BEGIN through pg.execute()");
  send_ignored("ROLLBACK");
  flush();
}

void Connection::time_out(const RequestPtr& r) {
  if (r->timed_out || r->where != Request::Where::in_flight) return;
  r->timed_out = true;
  r->promise.set_error(PgError(ErrorKind::timeout, "the query timed out after " +
                                                       std::to_string(ms(r->timeout).count()) +
                                                       " ms and was cancelled on the server"));
  cancel_front_if_timed_out();
}

void Connection::cancel_front_if_timed_out() {
  for (const auto& item : items_) {
    if (item.kind != Item::Kind::query) continue;
    if (item.request->timed_out && !item.request->cancel_sent) {
      item.request->cancel_sent = true;
      send_cancel();
    }
    return;  // only the query the server runs now
  }
}

void Connection::send_cancel() {
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

void Connection::drain_notifications() {
  while (PGnotify* n = PQnotifies(conn_)) {
    if (notification_hook_) {
      notification_hook_(
          Notification{n->relname, n->extra != nullptr ? n->extra : "", n->be_pid, false});
    }
    PQfreemem(n);
  }
}

void Connection::fail_all(const std::string& why) {
  if (broken_ || closed_) return;
  broken_ = true;
  broken_reason_ = config_->scrub(why);
  auto self = weak_from_this().lock();  // null while being destroyed
  auto error = lost(*config_, broken_reason_);
  auto items = std::move(items_);
  items_.clear();
  queries_ = 0;
  for (auto& item : items) {
    if (item.kind == Item::Kind::query && item.request->where == Request::Where::in_flight) {
      if (item.request->result) PQclear(std::exchange(item.request->result, nullptr));
      item.request->fail(error);
    }
  }
  // libpq has closed its socket already (or will in PQfinish). Drop asio's registration now: if it
  // lingered until close(), its epoll_ctl(DEL) would hit whatever new socket reuses the number.
  asio::error_code ignored;
  if (socket_.is_open()) {
    socket_.cancel(ignored);
    (void)socket_.release();
  }
  if (input_waiter_) {
    auto p = std::move(*input_waiter_);
    input_waiter_.reset();
    p.set_exception(error);
  }
  if (output_waiter_) {
    auto p = std::move(*output_waiter_);
    output_waiter_.reset();
    p.set_exception(error);
  }
  if (idle_waiter_) {
    auto p = std::move(*idle_waiter_);
    idle_waiter_.reset();
    p.set_value();
  }
  closed_promise_.set_value();
  if (progress_hook_ && !closing_) progress_hook_();
}

// Exclusive operations

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
    int r = PQflush(conn_);
    if (r == 0) co_return;
    if (r < 0) {
      fail_all(trimmed(PQerrorMessage(conn_)));
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
  if (PQpipelineStatus(conn_) != PQ_PIPELINE_OFF && PQexitPipelineMode(conn_) != 1) {
    throw PgError(ErrorKind::internal,
                  "could not leave pipeline mode: " + trimmed(PQerrorMessage(conn_)));
  }
}

void Connection::enter_pipeline() {
  if (usable() && settings_.pipeline && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) {
    PQenterPipelineMode(conn_);
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
    while (usable() && PQisBusy(conn_) == 1) {
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
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    auto status = PQresultStatus(r);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      PQclear(r);
      if (keep != nullptr) PQclear(keep);
      if (error != nullptr) PQclear(error);
      copying_ = true;
      copy_in_ = status == PGRES_COPY_IN;
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
  if (PQsendQuery(conn_, sql.c_str()) != 1) {
    auto why = trimmed(PQerrorMessage(conn_));
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
  copying_ = false;
  co_await collect_results(deadline);
  if (!copying_) {
    throw PgError(ErrorKind::invalid_argument,
                  "the statement is not a COPY FROM STDIN / TO STDOUT");
  }
  copying_ = false;
  if (copy_in_ != copy_in) {
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
    int r = PQputCopyData(conn_, data.data(), static_cast<int>(data.size()));
    if (r == 1) break;
    if (r < 0) {
      fail_all(trimmed(PQerrorMessage(conn_)));
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
    int r = PQputCopyEnd(conn_, error ? error->c_str() : nullptr);
    if (r == 1) break;
    if (r < 0) {
      fail_all(trimmed(PQerrorMessage(conn_)));
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
    int n = PQgetCopyData(conn_, &buffer, 1);
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
    fail_all(trimmed(PQerrorMessage(conn_)));
    throw_broken();
  }
}

}  // namespace gale::pg::detail
