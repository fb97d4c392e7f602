// The pipeline's send/receive queue: each query is Prepare (when not cached), Bind/Execute and a
// Sync of its own; items_ lists what was sent, in order, and process() matches the results to it.
#include <libpq-fe.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gale/loop/log.hpp"
#include "gale/pg/connection.hpp"
#include "gale/pg/error.hpp"

namespace gale::pg::detail {
namespace {

bool ok_status(ExecStatusType s) {
  return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK || s == PGRES_EMPTY_QUERY ||
         s == PGRES_SINGLE_TUPLE;
}

}  // namespace

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
    sent = PQsendQueryParams(pq_.get(), r->sql.c_str(), static_cast<int>(n), types, values, lengths,
                             formats, 0) == 1;
    if (sent) items_.push_back(Item{Item::Kind::query, r, {}, {}});
  } else {
    sent = send_prepared(r, values, lengths, formats, types);
  }
  if (sent && PQpipelineSync(pq_.get()) == 1) {
    items_.push_back(Item{Item::Kind::sync, nullptr, {}, {}});
    return;
  }
  auto why = pq_.error();
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
    if (PQsendQueryPrepared(pq_.get(), name->c_str(), n, values, lengths, formats, 0) != 1)
      return false;
    items_.push_back(Item{Item::Kind::query, r, {}, {}});
    return true;
  }
  r->used_cached = false;
  std::optional<std::string> evicted;
  std::string name = cache_.add(key, evicted);
  if (evicted) send_ignored("DEALLOCATE " + *evicted);
  if (PQsendPrepare(pq_.get(), name.c_str(), r->sql.c_str(), n, types) != 1) return false;
  items_.push_back(Item{Item::Kind::prepare, r, std::move(key), name});
  if (PQsendQueryPrepared(pq_.get(), name.c_str(), n, values, lengths, formats, 0) != 1)
    return false;
  items_.push_back(Item{Item::Kind::query, r, {}, {}});
  return true;
}

// A statement whose outcome nobody waits for (DEALLOCATE, ROLLBACK), with its own Sync.
void Connection::send_ignored(const std::string& sql) {
  if (PQsendQueryParams(pq_.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
      PQpipelineSync(pq_.get()) == 1) {
    items_.push_back(Item{Item::Kind::ignore, nullptr, {}, {}});
    items_.push_back(Item{Item::Kind::sync, nullptr, {}, {}});
  }
}

// Under load (queries already in flight), the queries that coroutines send within one loop
// iteration are corked into as few TCP segments as possible: libpq writes each Sync at once, and
// on loopback every send() otherwise costs a full trip through the TCP stack.
void Connection::cork() {
  if (corked_ || queries_ == 0 || !pq_.corkable()) return;
  if (!pq_.set_cork(true)) return;
  corked_ = true;
  loop_.add_callback([self = shared_from_this()] { self->uncork(); });
}

void Connection::uncork() {
  if (!corked_) return;
  corked_ = false;
  if (!usable()) return;
  (void)pq_.set_cork(false);
  flush();
}

// Receiving

void Connection::process() {
  while (!items_.empty() && usable() && PQisBusy(pq_.get()) == 0) {
    PGresult* r = PQgetResult(pq_.get());
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
  std::string sqlstate = error_field(result, PG_DIAG_SQLSTATE);
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

// Retries, stray transactions, timeouts

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
                Clock::now() - pq_.last_cancel() < std::chrono::seconds(10);
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

}  // namespace gale::pg::detail
