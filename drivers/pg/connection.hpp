// Connection: one libpq connection driven by the IOLoop (detail of the driver).
//
// Connects with PQconnectStartParams/PQconnectPoll on socket readiness (host names resolved
// beforehand), then runs in nonblocking pipeline mode: submit() sends a query (Prepare when its
// statement is not cached yet, then Bind/Execute, then a Sync of its own) without waiting for
// earlier ones; results come back in order and resolve each request's Future. The read side is
// always armed, so a connection the server closes is noticed even while idle.
//
// Exclusive operations (simple-protocol scripts, COPY) leave pipeline mode while they run and
// need nothing else in flight; the Client guarantees that with an exclusive lease.
//
// One class, its concepts in a file each: libpq_conn.{hpp,cpp} the thin libpq wrapper and the
// error mapping; connection.cpp the composition (life cycle, socket readiness, failing all);
// pipeline.cpp the send/receive queue; copy_mode.cpp the exclusive operations and COPY.
#pragma once

#include <asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/loop/unique_function.hpp"
#include "gale/pg/conninfo.hpp"
#include "gale/pg/libpq_conn.hpp"
#include "gale/pg/notification.hpp"
#include "gale/pg/request.hpp"
#include "gale/pg/result.hpp"
#include "gale/pg/statement_cache.hpp"
#include "gale/pg/type_catalog.hpp"

namespace gale::pg::detail {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Settings {
    std::size_t statement_cache_size = 256;
    bool pipeline = true;                        // pipeline mode (off for a LISTEN connection)
    std::shared_ptr<TypeCatalogHolder> catalog;  // the client's; null: no type lookups
  };

  static Future<std::shared_ptr<Connection>> open(std::shared_ptr<const ConnectConfig> config,
                                                  Settings settings);

  Connection(std::shared_ptr<const ConnectConfig> config, Settings settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Fails whatever is in flight and closes the connection.
  void close() noexcept;
  // The loop is closing (connection.cpp keeps each loop's connections): close(), and let go of the
  // loop's io_context, so that a connection kept past the loop (held by a Listener, a Transaction
  // or a CopyIn declared before it) touches nothing of the loop when it goes away. Coroutines
  // waiting on it are destroyed, as the loop will not run them again; the server ends the session
  // when the socket closes.
  void loop_closing() noexcept;

  bool usable() const noexcept {
    return pq_.get() != nullptr && state_ != State::closing && state_ != State::broken &&
           state_ != State::closed;
  }
  // It may go back to the pool: usable, in pipeline mode (an exclusive operation that failed
  // mid-way, a COPY's write that timed out with the rest of its data still in libpq's buffer,
  // leaves it outside), and outside a transaction.
  bool reusable() const noexcept {
    return usable() && state_ == State::pipeline && !pq_.in_transaction();
  }
  // Queries sent and not answered yet.
  std::size_t in_flight() const noexcept { return queries_; }
  int backend_pid() const noexcept { return pq_.backend_pid(); }
  bool in_transaction() const noexcept { return pq_.in_transaction(); }
  const ConnectConfig& config() const noexcept { return *config_; }
  const std::string& broken_reason() const noexcept { return broken_reason_; }

  // Marks a connection shared by the pipelined dispatch: a transaction left open on it by a stray
  // BEGIN is rolled back (with a warning) so that it cannot swallow other coroutines' queries.
  void set_shared(bool shared) noexcept { shared_ = shared; }
  // Runs after results came in (in_flight() may have dropped) and when the connection breaks.
  void set_progress_hook(UniqueFunction<void()> hook) { progress_hook_ = std::move(hook); }
  void set_notification_hook(UniqueFunction<void(Notification)> hook) {
    notification_hook_ = std::move(hook);
  }
  // Resolves when the connection breaks or closes.
  Future<void> closed() const { return closed_future_; }

  // Sends a query in pipeline mode; its Future resolves when its results are in.
  void submit(const RequestPtr& request);
  // The request's deadline passed: it fails now with kind timeout and is cancelled on the server
  // once it is the one running (requests ahead of it are not disturbed).
  void time_out(const RequestPtr& request);

  // Exclusive operations (nothing in flight).
  Future<Result> simple_query(std::string sql, Clock::time_point deadline);
  Future<void> start_copy(std::string sql, bool copy_in, Clock::time_point deadline);
  Future<void> put_copy_data(std::string data, Clock::time_point deadline);
  Future<Result> end_copy(std::optional<std::string> error, Clock::time_point deadline);
  // The next rows of a COPY TO STDOUT (up to about 64 KiB), or nothing at its end.
  Future<std::optional<std::string>> get_copy_data(Clock::time_point deadline);

  // Asks the server to cancel what this connection runs now (PQcancel on the executor: it blocks).
  void send_cancel() { pq_.send_cancel(); }

 private:
  // What the connection is doing. One state instead of five of the eleven flags it had:
  //   broken_ -> broken, closed_ -> closed, closing_ -> closing (while close() fails what is in
  //   flight; fail_all() keeps running no hook for it), copying_ && copy_in_ -> copy_in,
  //   copying_ && !copy_in_ -> copy_out; pipeline, exclusive and connecting had no flag.
  // Flags kept, as they are orthogonal to it: reading_ and writing_ (an Asio wait is armed, in any
  // open state, each direction on its own), shared_ (a role the client gives, not something the
  // connection does), corked_ (TCP_CORK is on until the loop's next iteration), copy_out_done_
  // (CopyOut owes its caller the end of the rows, even once the connection breaks), and the
  // wrapper's tcp_ (a fact of the socket).
  enum class State : std::uint8_t {
    connecting,  // PQconnectPoll steps
    pipeline,    // the send/receive queue runs (libpq's pipeline mode, unless Settings::pipeline
                 // is off); between exclusive operations
    exclusive,  // out of pipeline mode for one simple-protocol statement (a script, a COPY's start)
    copy_in,    // COPY FROM STDIN: put_copy_data, then end_copy
    copy_out,   // COPY TO STDOUT: get_copy_data until its end
    closing,    // close() fails what is in flight (not usable; no hook runs)
    broken,     // failed; broken_reason_ says why (not usable)
    closed,     // finished (not usable)
  };

  struct Item {
    enum class Kind : std::uint8_t { prepare, query, sync, ignore };
    Kind kind;
    RequestPtr request;
    std::string key;   // prepare: the cache key
    std::string name;  // prepare: the statement name
  };

  // Composition (connection.cpp)
  Future<void> connect(std::vector<std::pair<std::string, std::string>> params);
  void flush();
  void arm_read();
  void arm_write();
  void on_readable(const asio::error_code& ec);
  void on_writable(const asio::error_code& ec);
  void drain_notifications();
  void fail_all(const std::string& why);

  // The pipeline's send/receive queue (pipeline.cpp)
  void send(const RequestPtr& request);
  bool send_prepared(const RequestPtr& request, const char* const* values, const int* lengths,
                     const int* formats, const unsigned int* types);
  void send_ignored(const std::string& sql);
  void cork();
  void uncork();
  void process();
  void route(Item& item, pg_result* result);
  void complete_query(const RequestPtr& request);
  static Future<void> finish_with_types(std::shared_ptr<Connection> self, RequestPtr request,
                                        pg_result* result, std::vector<long long> unknown);
  bool retry(const RequestPtr& request, const std::string& sqlstate);
  void after_sync();
  void cancel_front_if_timed_out();

  // Exclusive operations and COPY (copy_mode.cpp)
  Future<void> wait_input(Clock::time_point deadline);
  Future<void> wait_output(Clock::time_point deadline);
  Future<void> drain_output(Clock::time_point deadline);
  // Leaves pipeline mode (after the pipeline settles) and sends one simple-protocol statement.
  Future<void> send_outside_pipeline(std::string sql, std::string_view what,
                                     Clock::time_point deadline);
  Future<Result> collect_results(Clock::time_point deadline);
  // Waits until every item sent (Syncs, ignored statements) has been answered.
  Future<void> settle();
  void leave_pipeline();
  void enter_pipeline();
  [[noreturn]] void throw_broken() const;

  IOLoop& loop_;
  std::shared_ptr<const ConnectConfig> config_;
  Settings settings_;
  LibpqConn pq_;
  State state_ = State::connecting;
  StatementCache cache_;
  std::deque<Item> items_;
  std::size_t queries_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool shared_ = false;
  bool corked_ = false;
  bool copy_out_done_ = false;
  std::string broken_reason_;
  std::optional<Promise<void>> input_waiter_;
  std::optional<Promise<void>> output_waiter_;
  std::optional<Promise<void>> idle_waiter_;
  TimeoutHandle waiter_timer_;
  UniqueFunction<void()> progress_hook_;
  UniqueFunction<void(Notification)> notification_hook_;
  Promise<void> closed_promise_;
  Future<void> closed_future_;
};

}  // namespace gale::pg::detail
