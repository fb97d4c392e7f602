#include "gale/pg/client_state.hpp"

#include <algorithm>

#include "gale/loop/log.hpp"
#include "gale/pg/error.hpp"

namespace gale::pg::detail {
namespace {

constexpr auto kIdleGiveBack = std::chrono::seconds(1);

ClientOptions checked(ClientOptions o) {
  if (o.pool_max_size == 0) {
    throw Error(ErrorKind::invalid_argument, "pool_max_size must be at least 1");
  }
  if (o.pipeline_depth == 0) o.pipeline_depth = 1;
  return o;
}

PoolOptions pool_options(const ClientOptions& o) {
  PoolOptions p;
  p.name = "PostgreSQL";
  p.min_size = o.pool_min_size;
  p.max_size = o.pool_max_size;
  p.max_waiters = o.max_waiters;
  p.acquire_timeout = o.acquire_timeout;
  p.max_idle_time = o.max_idle_time;
  p.max_lifetime = o.max_lifetime;
  // While the server is down it is tried again at least every 500 ms (a refused connect costs
  // next to nothing), so that queries are served again within about half a second of its return.
  p.backoff_initial = std::chrono::milliseconds(50);
  p.backoff_max = std::chrono::milliseconds(500);
  return p;
}

Future<std::unique_ptr<PooledConnection>> open_pooled(std::weak_ptr<ClientState> weak,
                                                      std::shared_ptr<const ConnectConfig> config,
                                                      Connection::Settings settings) {
  std::shared_ptr<Connection> c;
  std::exception_ptr error;
  try {
    c = co_await Connection::open(config, settings);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    if (auto self = weak.lock()) self->connect_failed(error);
    std::rethrow_exception(error);
  }
  c->set_progress_hook([weak] {
    if (auto self = weak.lock()) self->pump();
  });
  co_return std::make_unique<PooledConnection>(std::move(c));
}

Future<void> ping(std::shared_ptr<Connection> c) {
  auto r = std::make_shared<Request>(std::string(), Params());
  r->retry_allowed = false;
  auto f = r->promise.get_future();
  c->submit(r);
  co_await f;
}

std::string ms_text(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

ClientState::ClientState(const std::string& conninfo, ClientOptions o)
    : options(checked(std::move(o))),
      config(std::make_shared<ConnectConfig>(parse_conninfo(conninfo, options))),
      loop_(IOLoop::current()),
      registration_("PostgreSQL", config->address) {
  options = checked(options);  // the URI may have changed them
}

ClientState::~ClientState() {
  close();
}

void ClientState::start() {
  ConnectionPool::Hooks hooks;
  std::weak_ptr<ClientState> weak = weak_from_this();
  Connection::Settings settings{options.statement_cache_size, true,
                                std::make_shared<TypeCatalogHolder>()};
  hooks.connect = [weak, cfg = config, settings] { return open_pooled(weak, cfg, settings); };
  hooks.is_usable = [](const PooledConnection& p) {
    return p.connection->reusable() && p.connection->in_flight() == 0;
  };
  hooks.check = [](PooledConnection& p) { return ping(p.connection); };
  pool = std::make_unique<ConnectionPool>(pool_options(options), std::move(hooks));
  schedule_maintenance();
}

void ClientState::close() noexcept {
  if (closed_) return;
  closed_ = true;
  maintenance_.cancel();
  grow_timer_.cancel();
  fail_waiting(
      std::make_exception_ptr(PgError(ErrorKind::unavailable, "the PostgreSQL client was closed")));
  for (auto& s : shared_) s.connection->set_shared(false);
  shared_.clear();  // the leases go back to the closing pool, which closes their connections
  if (pool) pool->close();
  // A wait for a connection that close() just failed may never be resumed (the loop may stop
  // first): mark its failure as seen so that it is not logged as lost.
  if (pending_acquire_.valid() && pending_acquire_.done()) (void)pending_acquire_.exception();
  pending_acquire_ = Future<Lease>();
}

Clock::time_point ClientState::query_deadline() const {
  return options.query_timeout > Clock::duration::zero() ? Clock::now() + options.query_timeout
                                                         : Clock::time_point::max();
}

PoolStats ClientState::stats() const {
  PoolStats s = pool->stats();
  if (acquiring_ && s.waiting > 0) --s.waiting;  // grow_one's acquire, made for the queue
  s.waiting += waiting_.size();
  return s;
}

// The request path

Future<Result> ClientState::run(std::string sql, Params params, Clock::duration timeout) {
  fork_guard.check("gale::pg::Client");
  if (closed_) {
    return make_exceptional_future<Result>(
        PgError(ErrorKind::unavailable, "the PostgreSQL client was closed"));
  }
  if (auto refused = refusal(sql, params))
    return make_exceptional_future<Result>(std::move(refused));
  auto r = std::make_shared<Request>(std::move(sql), std::move(params));
  auto future = r->promise.get_future();
  r->queued_at = Clock::now();
  if (timeout > Clock::duration::zero()) {
    r->timeout = timeout;
    r->deadline = r->queued_at + timeout;
  }
  if (!waiting_.empty() || !dispatch(r)) enqueue(r);
  return future;
}

ClientState::Shared* ClientState::least_loaded() {
  Shared* best = nullptr;
  for (auto& s : shared_) {
    if (s.draining || !s.connection->usable()) continue;
    if (best == nullptr || s.connection->in_flight() < best->connection->in_flight()) best = &s;
  }
  return best;
}

bool ClientState::dispatch(const RequestPtr& r) {
  Shared* best = least_loaded();
  std::size_t load = best != nullptr ? best->connection->in_flight() : depth();
  if (load > 0 && can_grow()) grow();
  if (best == nullptr || load >= depth()) return false;
  send_to(*best, r);
  return true;
}

void ClientState::send_to(Shared& s, const RequestPtr& r) {
  if (r->deadline != Clock::time_point::max()) arm_timer(r, r->deadline);
  s.last_busy = Clock::now();
  s.connection->submit(r);
}

void ClientState::enqueue(const RequestPtr& r) {
  if (waiting_.size() >= options.max_waiters) {
    r->fail(std::make_exception_ptr(PgError(
        ErrorKind::unavailable, "no PostgreSQL connection free and the wait queue is full (" +
                                    std::to_string(waiting_.size()) + " queries waiting)")));
    return;
  }
  r->where = Request::Where::queued;
  r->position = waiting_.insert(waiting_.end(), r);
  arm_timer(r, std::min(r->queued_at + options.acquire_timeout, r->deadline));
  if (can_grow()) grow();
}

void ClientState::arm_timer(const RequestPtr& r, Clock::time_point when) {
  r->timer = loop_.call_at(when, [weak = std::weak_ptr<Request>(r), self = weak_from_this()] {
    auto request = weak.lock();
    auto state = self.lock();
    if (request && state) state->on_timer(request);
  });
}

void ClientState::on_timer(const RequestPtr& r) {
  const auto now = Clock::now();
  if (r->where == Request::Where::queued) {
    waiting_.erase(r->position);
    if (now >= r->deadline) {
      r->fail(std::make_exception_ptr(
          PgError(ErrorKind::timeout, "the query timed out after " + ms_text(r->timeout) +
                                          " waiting for a PostgreSQL connection")));
      return;
    }
    // This client's view: the pool's own acquire made for the queue is not one more waiter;
    // the query that timed out (no longer queued) is.
    PoolStats stats = this->stats();
    stats.waiting += 1;
    stats.in_use = std::max(stats.in_use, shared_.size());
    r->fail(std::make_exception_ptr(PgError(
        ErrorKind::unavailable, gale::detail::pool_wait_message(stats, now - r->queued_at))));
    return;
  }
  if (r->where == Request::Where::in_flight && r->connection != nullptr) {
    r->connection->time_out(r);
  }
}

// Growing and shrinking the shared set

bool ClientState::can_grow() const {
  return !closed_ && !acquiring_ && exclusive_waiting_ == 0 &&
         shared_.size() < options.pool_max_size;
}

void ClientState::grow() {
  const auto now = Clock::now();
  if (now < next_grow_at_) {
    if (!grow_timer_.pending()) {
      grow_timer_ = loop_.call_at(next_grow_at_, [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->pump();
      });
    }
    return;
  }
  // Started from the next loop iteration, so that a lease handed over at once never re-enters the
  // dispatch that asked for it.
  acquiring_ = true;
  loop_.add_callback([self = shared_from_this()] { (void)grow_one(self); });
}

Future<void> ClientState::grow_one(std::shared_ptr<ClientState> self) {
  const auto started = Clock::now();
  Lease lease;
  try {
    auto acquiring = self->pool->acquire(started + self->options.acquire_timeout);
    self->pending_acquire_ = acquiring;  // close() looks at its failure, so it is never "lost"
    lease = co_await std::move(acquiring);
  } catch (...) {
    log::debug("gale.pg", "no connection for the shared set: {}",
               describe(std::current_exception()));
  }
  self->acquiring_ = false;
  self->pending_acquire_ = Future<Lease>();
  if (lease) {
    self->adopt(std::move(lease));
  } else if (Clock::now() - started < std::chrono::milliseconds(50)) {
    self->next_grow_at_ = Clock::now() + std::chrono::milliseconds(100);  // no busy loop
  }
  self->pump();
}

void ClientState::adopt(Lease lease) {
  if (closed_) return;
  Connection* c = lease->connection.get();
  if (!c->usable()) {
    lease.discard();
    return;
  }
  c->set_shared(true);
  const auto now = Clock::now();
  shared_.push_back(Shared{std::move(lease), c, false, now, now});
}

void ClientState::drop_broken() {
  bool dropped = false;
  for (auto it = shared_.begin(); it != shared_.end();) {
    if (it->connection->usable()) {
      ++it;
      continue;
    }
    it->lease.discard();
    it = shared_.erase(it);
    dropped = true;
  }
  // A lost connection usually means the server restarted: the idle ones are gone too.
  if (dropped && pool) pool->clear();
}

void ClientState::give_back_idle(Clock::duration idle_for) {
  const auto now = Clock::now();
  for (auto it = shared_.begin(); it != shared_.end();) {
    if (it->connection->in_flight() == 0 && (it->draining || now - it->last_busy >= idle_for)) {
      it->connection->set_shared(false);
      it = shared_.erase(it);  // the lease goes back to the pool
    } else {
      ++it;
    }
  }
}

void ClientState::pump() {
  if (closed_) return;
  drop_broken();
  if (exclusive_waiting_ > 0) {
    give_back_idle(Clock::duration::zero());
    bool any_idle =
        std::any_of(shared_.begin(), shared_.end(), [](const Shared& s) { return s.draining; });
    if (!any_idle && !shared_.empty()) {
      // Everything is busy: stop feeding one connection so that it comes free.
      auto it = std::min_element(shared_.begin(), shared_.end(), [](const auto& a, const auto& b) {
        return a.connection->in_flight() < b.connection->in_flight();
      });
      it->draining = true;
    }
  } else {
    give_back_idle(Clock::duration::max());  // only the draining ones
  }
  while (!waiting_.empty()) {
    Shared* best = least_loaded();
    std::size_t load = best != nullptr ? best->connection->in_flight() : depth();
    if (load > 0 && can_grow()) grow();
    if (best == nullptr || load >= depth()) break;
    RequestPtr r = std::move(waiting_.front());
    waiting_.pop_front();
    r->timer.cancel();
    send_to(*best, r);
  }
}

void ClientState::fail_waiting(const std::exception_ptr& error) {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& r : waiting) r->fail(error);
}

void ClientState::connect_failed(const std::exception_ptr& error) {
  if (kind_of(error) != ErrorKind::unauthorized || !shared_.empty()) return;
  loop_.add_callback([weak = weak_from_this(), error] {
    if (auto self = weak.lock()) self->fail_waiting(error);
  });
}

Future<Lease> ClientState::acquire_exclusive(std::shared_ptr<ClientState> self) {
  self->fork_guard.check("gale::pg::Client");
  ++self->exclusive_waiting_;
  self->pump();
  Lease lease;
  std::exception_ptr error;
  try {
    lease = co_await self->pool->acquire(Clock::now() + self->options.acquire_timeout);
  } catch (...) {
    error = std::current_exception();
  }
  self->exclusive_done();
  if (error) std::rethrow_exception(error);
  co_return lease;
}

void ClientState::exclusive_done() noexcept {
  if (exclusive_waiting_ > 0) --exclusive_waiting_;
  for (auto& s : shared_) s.draining = false;
  schedule_pump();
}

void ClientState::schedule_pump() noexcept {
  loop_.add_callback([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->pump();
  });
}

void ClientState::schedule_maintenance() {
  maintenance_ = loop_.call_later(kIdleGiveBack, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    self->drop_broken();
    // Connections the dispatch keeps busy never come back to the pool by themselves: retire them
    // at max_lifetime like the pool would (they stop taking queries and go back once idle).
    const auto now = Clock::now();
    for (auto& s : self->shared_) {
      if (self->options.max_lifetime > Clock::duration::zero() &&
          now - s.since >= self->options.max_lifetime) {
        s.draining = true;
      }
    }
    self->give_back_idle(kIdleGiveBack);
    self->schedule_maintenance();
  });
}

}  // namespace gale::pg::detail
