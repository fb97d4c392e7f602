// One query on its way through a Client: queued, in flight on a connection, then done. (detail)
#pragma once

#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/pg/params.hpp"
#include "gale/pg/result.hpp"

struct pg_result;

namespace gale::pg::detail {

class Connection;

struct Request {
  enum class Where : std::uint8_t { new_, queued, in_flight, done };

  Request(std::string s, Params p) : sql(std::move(s)), params(std::move(p)) {}
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();

  std::string sql;
  Params params;
  Promise<Result> promise;
  Where where = Where::new_;
  bool timed_out = false;     // the caller got a timeout; results are dropped when they come
  bool cancel_sent = false;   // a cancel request went to the server for it
  bool retry_allowed = true;  // outside a transaction: may be sent again once
  bool used_cached = false;   // executed a statement prepared earlier on the connection
  int retries = 0;
  Clock::time_point queued_at{};
  Clock::time_point deadline = Clock::time_point::max();  // of the query
  Clock::duration timeout{};                              // for messages
  TimeoutHandle timer;
  Connection* connection = nullptr;                        // while in flight
  std::list<std::shared_ptr<Request>>::iterator position;  // while queued
  pg_result* result = nullptr;                             // collected while in flight
  pg_result* prepare_error = nullptr;                      // the failed Prepare before it

  void take_result(pg_result* r);
  void finish(Result r);
  void fail(std::exception_ptr e);
};

using RequestPtr = std::shared_ptr<Request>;

// Why a statement cannot be sent as it is (null when it can): a NUL byte in its SQL text, which
// libpq would cut there, or a refused parameter (Params::error()). Checked before anything is sent.
std::exception_ptr refusal(std::string_view sql, const Params& params);
std::exception_ptr refusal(std::string_view sql);

}  // namespace gale::pg::detail
