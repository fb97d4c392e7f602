// ClientState: what a Client owns for the life of the process (detail): its pool, and the
// dispatch of queries to pooled connections.
//
// Dispatch: the client keeps leases on some pooled connections ("shared" ones) and sends each
// query outside a transaction to the shared connection with the fewest queries in flight, up to
// pipeline_depth (1 with pipelining off). While every shared connection is busy and the pool has
// room, it leases one more; when none has room the query waits in a bounded FIFO, and fails with
// kind unavailable after acquire_timeout (or timeout at its own deadline). Transactions, COPY and
// scripts lease connections exclusively; shared connections are handed back to the pool when they
// are idle and someone waits for an exclusive one, and after a second without work.
#pragma once

#include <list>
#include <memory>
#include <string>
#include <vector>

#include "gale/loop/fork_guard.hpp"
#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/pg/client_options.hpp"
#include "gale/pg/connection.hpp"
#include "gale/pg/conninfo.hpp"
#include "gale/pg/request.hpp"
#include "gale/pool/client_registry.hpp"
#include "gale/pool/pool.hpp"

namespace gale::pg::detail {

struct PooledConnection {
  explicit PooledConnection(std::shared_ptr<Connection> c) : connection(std::move(c)) {}
  ~PooledConnection() {
    if (connection) connection->close();
  }
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;

  std::shared_ptr<Connection> connection;
};

using ConnectionPool = Pool<PooledConnection>;
using Lease = ConnectionPool::Lease;

class ClientState : public std::enable_shared_from_this<ClientState> {
 public:
  ClientState(const std::string& conninfo, ClientOptions options);
  ~ClientState();
  void start();  // after make_shared: creates the pool and its hooks
  void close() noexcept;

  Future<Result> run(std::string sql, Params params, Clock::duration timeout);
  // A connection for one user alone (transactions, COPY, scripts).
  static Future<Lease> acquire_exclusive(std::shared_ptr<ClientState> self);
  // Arms the request's deadline timer for `when`.
  void arm_timer(const RequestPtr& request, Clock::time_point when);
  // Dispatches waiting queries where there is room; hands idle shared connections back.
  void pump();
  Clock::time_point query_deadline() const;
  // The pool's statistics, with the queries waiting in this client's queue counted as waiting
  // (the pool itself only sees the one acquire made on their behalf).
  PoolStats stats() const;
  // A connect failed with an error that waiting will not cure (a wrong password): fail the
  // waiting queries now.
  void connect_failed(const std::exception_ptr& error);
  // An exclusive lease came back or a wait for one ended.
  void exclusive_done() noexcept;
  // Runs pump() on the next loop iteration (an exclusive lease came back, say).
  void schedule_pump() noexcept;

  ClientOptions options;
  std::shared_ptr<const ConnectConfig> config;
  ForkGuard fork_guard;
  std::unique_ptr<ConnectionPool> pool;

 private:
  struct Shared {
    Lease lease;
    Connection* connection;
    bool draining = false;  // takes no new queries; goes back to the pool once idle
    Clock::time_point last_busy;
    Clock::time_point since;
  };

  bool dispatch(const RequestPtr& r);
  void enqueue(const RequestPtr& r);
  void send_to(Shared& s, const RequestPtr& r);
  Shared* least_loaded();
  bool can_grow() const;
  void grow();
  static Future<void> grow_one(std::shared_ptr<ClientState> self);
  void adopt(Lease lease);
  void drop_broken();
  void give_back_idle(Clock::duration idle_for);
  void on_timer(const RequestPtr& r);
  void fail_waiting(const std::exception_ptr& error);
  void schedule_maintenance();
  std::size_t depth() const noexcept { return options.pipeline ? options.pipeline_depth : 1; }

  IOLoop& loop_;
  ClientRegistration registration_;
  std::vector<Shared> shared_;
  std::list<RequestPtr> waiting_;
  bool acquiring_ = false;
  Future<Lease> pending_acquire_;
  bool closed_ = false;
  std::size_t exclusive_waiting_ = 0;
  Clock::time_point next_grow_at_{};
  TimeoutHandle grow_timer_;
  TimeoutHandle maintenance_;
};

}  // namespace gale::pg::detail
