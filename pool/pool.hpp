// Pool<Connection>: a bounded async pool of connections on the IOLoop, shared by both drivers.
//
//   gale::Pool<PgConnection> pool(options, {.connect = [] { return PgConnection::open(...); }});
//   auto lease = co_await pool.acquire(deadline);   // Error(unavailable) past the deadline
//   co_await lease->query(...);                     // lease gives the connection back when
//   destroyed
//
// - At most max_size connections, at most max_connecting of them opening at once.
// - Waiters queue in FIFO order, at most max_waiters of them; each fails at its deadline with a
//   message that says what happened ("no PostgreSQL connection free after 1000 ms: 16 of 16 in use,
//   0 opening, 40 waiting").
// - Connections idle longer than check_after_idle are health-checked before reuse; broken ones
//   (hooks.is_usable) are discarded on release; idle ones are reaped after max_idle_time, all after
//   max_lifetime; clear() retires every current connection (a server marked Unknown).
// - While the server is down, connects retry with exponential backoff and jitter as long as someone
//   waits or the pool is below min_size, and the pool refills by itself once the server is back.
//
// All of it runs on the loop that was current when the pool was made; use it from that thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gale/loop/error.hpp"
#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/loop/log.hpp"
#include "gale/loop/unique_function.hpp"
#include "gale/loop/with_timeout.hpp"
#include "gale/pool/backoff.hpp"
#include "gale/pool/pool_options.hpp"
#include "gale/pool/pool_stats.hpp"

namespace gale {

namespace detail {
std::string pool_wait_message(const PoolStats& stats, Clock::duration waited);
// Error(unavailable) with `message` for the log and kDatabaseUnavailable for clients.
Error pool_unavailable(const std::string& message);
}  // namespace detail

template <class Connection>
class Pool {
 public:
  struct Hooks {
    // Opens one connection (with its own connect deadline). Required.
    UniqueFunction<Future<std::unique_ptr<Connection>>()> connect;
    // False when a connection must not be reused (its socket broke, a protocol error). Optional.
    UniqueFunction<bool(const Connection&)> is_usable;
    // Proves an idle connection still works (a ping). Optional.
    UniqueFunction<Future<void>(Connection&)> check;
    // True when a connect error will not go away by retrying (bad credentials): the callers
    // waiting for a connection then fail at once with that error instead of at their deadline.
    // Optional.
    UniqueFunction<bool(const std::exception_ptr&)> is_fatal;
  };

  class Lease;

  Pool(PoolOptions options, Hooks hooks);
  ~Pool() { close(); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Future<Lease> acquire() { return acquire(Clock::now() + state_->options.acquire_timeout); }
  Future<Lease> acquire(Clock::time_point deadline) { return state_->acquire(deadline); }

  PoolStats stats() const { return state_->snapshot(); }
  const PoolOptions& options() const noexcept { return state_->options; }

  // Retires every current connection: idle ones close now, leased ones when they come back.
  void clear() noexcept { state_->clear(); }
  // Fails every waiter and closes idle connections; leased ones close when they come back.
  void close() noexcept { state_->close(); }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

template <class Connection>
class Pool<Connection>::Lease {
 public:
  Lease() noexcept = default;
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&& other) noexcept {
    if (this != &other) {
      give_back();
      state_ = std::move(other.state_);
      slot_ = std::move(other.slot_);
      discard_ = other.discard_;
    }
    return *this;
  }
  ~Lease() { give_back(); }

  Connection& operator*() const noexcept { return *slot_.connection; }
  Connection* operator->() const noexcept { return slot_.connection.get(); }
  Connection* get() const noexcept { return slot_.connection.get(); }
  explicit operator bool() const noexcept { return slot_.connection != nullptr; }

  // When the connection was opened (to retire long-held connections at max_lifetime, say).
  Clock::time_point created() const noexcept { return slot_.created; }
  // The connection will be closed instead of reused (after a protocol error, say).
  void discard() noexcept { discard_ = true; }
  // Gives the connection back now.
  void release() noexcept { give_back(); }

 private:
  friend struct Pool::State;
  struct Slot {
    std::unique_ptr<Connection> connection;
    Clock::time_point created;
    Clock::time_point last_used;
    std::uint64_t generation = 0;
  };

  Lease(std::shared_ptr<State> state, Slot slot) noexcept
      : state_(std::move(state)), slot_(std::move(slot)) {}

  void give_back() noexcept {
    if (state_ && slot_.connection) state_->release(std::move(slot_), discard_);
    state_.reset();
    slot_.connection.reset();
  }

  std::shared_ptr<State> state_;
  Slot slot_;
  bool discard_ = false;
};

template <class Connection>
struct Pool<Connection>::State : std::enable_shared_from_this<State> {
  using Slot = typename Lease::Slot;

  struct Waiter {
    Promise<Lease> promise;
    TimeoutHandle timer;
    Clock::time_point since;
  };

  State(PoolOptions o, Hooks h)
      : options(std::move(o)),
        hooks(std::move(h)),
        backoff(options.backoff_initial, options.backoff_max),
        loop(IOLoop::current()) {}

  PoolOptions options;
  Hooks hooks;
  Backoff backoff;
  IOLoop& loop;
  std::vector<Slot> idle;  // most recently used at the back
  std::list<Waiter> waiters;
  std::size_t in_use = 0;
  std::size_t connecting = 0;
  std::uint64_t generation = 0;
  bool closed = false;
  Clock::time_point next_connect_at{};
  TimeoutHandle retry_timer;
  TimeoutHandle maintenance_timer;
  PoolStats counters;

  std::size_t open() const noexcept { return idle.size() + in_use; }

  PoolStats snapshot() const {
    PoolStats s = counters;
    s.name = options.name;
    s.max_size = options.max_size;
    s.size = open();
    s.idle = idle.size();
    s.in_use = in_use;
    s.connecting = connecting;
    s.waiting = waiters.size();
    return s;
  }

  bool reusable(const Slot& slot, Clock::time_point now) {
    if (slot.generation != generation) return false;
    if (options.max_lifetime > Clock::duration::zero() &&
        now - slot.created >= options.max_lifetime) {
      return false;
    }
    return !hooks.is_usable || hooks.is_usable(*slot.connection);
  }

  void discard(Slot&& slot) noexcept {
    ++counters.discarded;
    slot.connection.reset();
  }

  Future<Lease> acquire(Clock::time_point deadline) {
    if (closed) {
      return make_exceptional_future<Lease>(
          detail::pool_unavailable("the " + options.name + " pool is closed"));
    }
    ++counters.acquires;
    const auto now = Clock::now();
    while (!idle.empty()) {
      Slot slot = std::move(idle.back());
      idle.pop_back();
      if (!reusable(slot, now)) {
        discard(std::move(slot));
        continue;
      }
      ++in_use;
      if (hooks.check && options.check_after_idle > Clock::duration::zero() &&
          now - slot.last_used >= options.check_after_idle) {
        return checked(std::move(slot), deadline);
      }
      counters.acquire_wait.record(Clock::duration::zero());
      return make_ready_future(Lease(this->shared_from_this(), std::move(slot)));
    }
    return wait(deadline, now);
  }

  Future<Lease> wait(Clock::time_point deadline, Clock::time_point now) {
    if (waiters.size() >= options.max_waiters) {
      ++counters.acquire_timeouts;
      return make_exceptional_future<Lease>(detail::pool_unavailable(
          "no " + options.name + " connection free and the wait queue is full (" +
          std::to_string(waiters.size()) + " waiting, " + std::to_string(in_use) + " of " +
          std::to_string(options.max_size) + " in use)"));
    }
    waiters.push_back(Waiter{Promise<Lease>(), TimeoutHandle(), now});
    auto it = std::prev(waiters.end());
    Future<Lease> future = it->promise.get_future();
    std::weak_ptr<State> weak = this->weak_from_this();
    it->timer = loop.call_at(deadline, [weak, it] {
      if (auto self = weak.lock()) self->expire(it);
    });
    connect_more();
    return future;
  }

  void expire(typename std::list<Waiter>::iterator it) {
    PoolStats seen = snapshot();  // "N waiting" counts the one giving up, as the pg client's does
    Waiter waiter = std::move(*it);
    waiters.erase(it);
    ++counters.acquire_timeouts;
    waiter.promise.set_error(
        detail::pool_unavailable(detail::pool_wait_message(seen, Clock::now() - waiter.since)));
  }

  // Health-checks a connection that sat idle for long, then hands it out; a failed check discards
  // it and the caller goes back to acquiring. The check runs in a coroutine that shares the slot:
  // if it outlives the deadline, the connection lives until the check is done with it.
  Future<Lease> checked(Slot slot, Clock::time_point deadline) {
    auto self = this->shared_from_this();
    auto shared = std::make_shared<Slot>(std::move(slot));
    bool healthy = false;
    try {
      auto left = deadline - Clock::now();
      if (left > Clock::duration::zero()) {
        healthy = co_await with_timeout(left, run_check(self, shared));
      }
    } catch (...) {
      log::info("gale.pool", "an idle {} connection did not answer its health check in time: {}",
                options.name, describe(std::current_exception()));
    }
    if (healthy) {
      shared->last_used = Clock::now();
      co_return Lease(self, std::move(*shared));
    }
    --in_use;
    ++counters.discarded;
    shared.reset();  // closes it now, or when a check still running lets go of it
    if (Clock::now() >= deadline) {
      throw detail::pool_unavailable("no healthy " + options.name +
                                     " connection before the deadline");
    }
    co_return co_await acquire(deadline);
  }

  static Future<bool> run_check(std::shared_ptr<State> self, std::shared_ptr<Slot> slot) {
    try {
      co_await self->hooks.check(*slot->connection);
      co_return true;
    } catch (...) {
      log::info("gale.pool", "an idle {} connection failed its health check: {}",
                self->options.name, describe(std::current_exception()));
      co_return false;
    }
  }

  void release(Slot&& slot, bool discard_it) noexcept {
    --in_use;
    const auto now = Clock::now();
    if (closed || discard_it || !reusable(slot, now)) {
      discard(std::move(slot));
      connect_more();
      return;
    }
    slot.last_used = now;
    if (!waiters.empty()) {
      hand_over(std::move(slot));
      return;
    }
    idle.push_back(std::move(slot));
  }

  void hand_over(Slot&& slot) noexcept {
    Waiter waiter = std::move(waiters.front());
    waiters.pop_front();
    waiter.timer.cancel();
    counters.acquire_wait.record(Clock::now() - waiter.since);
    ++in_use;
    waiter.promise.set_value(Lease(this->shared_from_this(), std::move(slot)));
  }

  // Opens connections while someone waits for one (or the pool is below min_size), within
  // max_size and max_connecting, and not before the backoff allows it.
  void connect_more() noexcept {
    while (!closed && connecting < options.max_connecting &&
           open() + connecting < options.max_size &&
           (waiters.size() > connecting || open() + connecting < options.min_size)) {
      auto now = Clock::now();
      if (now < next_connect_at) {
        schedule_retry();
        return;
      }
      ++connecting;
      (void)connect_one(this->shared_from_this());
    }
  }

  void schedule_retry() noexcept {
    if (retry_timer.pending()) return;
    std::weak_ptr<State> weak = this->weak_from_this();
    retry_timer = loop.call_at(next_connect_at, [weak] {
      if (auto self = weak.lock()) self->connect_more();
    });
  }

  static Future<void> connect_one(std::shared_ptr<State> self) {
    std::unique_ptr<Connection> connection;
    std::exception_ptr error;
    try {
      connection = co_await self->hooks.connect();
    } catch (...) {
      error = std::current_exception();
    }
    --self->connecting;
    if (error || !connection) {
      self->connect_failed(error);
    } else {
      self->connected(std::move(connection));
    }
  }

  void connect_failed(const std::exception_ptr& error) {
    ++counters.connect_failures;
    if (error && hooks.is_fatal && hooks.is_fatal(error)) {
      std::list<Waiter> failing = std::move(waiters);
      waiters.clear();
      for (auto& waiter : failing) {
        waiter.timer.cancel();
        waiter.promise.set_exception(error);
      }
    }
    counters.last_connect_error = error ? describe(error) : "the connect hook gave no connection";
    auto delay = backoff.next();
    next_connect_at = Clock::now() + delay;
    log::warning("gale.pool", "{} connect failed ({} in a row, next try in {} ms): {}",
                 options.name, backoff.failures(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(),
                 counters.last_connect_error);
    connect_more();
  }

  void connected(std::unique_ptr<Connection> connection) {
    ++counters.connects;
    backoff.reset();
    next_connect_at = {};
    const auto now = Clock::now();
    Slot slot{std::move(connection), now, now, generation};
    if (closed) {
      discard(std::move(slot));
    } else if (!waiters.empty()) {
      hand_over(std::move(slot));
    } else {
      idle.push_back(std::move(slot));
    }
    connect_more();
  }

  void maintain() {
    const auto now = Clock::now();
    std::size_t open_now = open();
    std::vector<Slot> keep;
    keep.reserve(idle.size());
    for (auto& slot : idle) {  // least recently used first
      bool too_idle = options.max_idle_time > Clock::duration::zero() &&
                      now - slot.last_used >= options.max_idle_time && open_now > options.min_size;
      if (too_idle || !reusable(slot, now)) {
        discard(std::move(slot));
        --open_now;
      } else {
        keep.push_back(std::move(slot));
      }
    }
    idle = std::move(keep);
    connect_more();
    schedule_maintenance();
  }

  void schedule_maintenance() {
    if (closed) return;
    std::weak_ptr<State> weak = this->weak_from_this();
    maintenance_timer = loop.call_later(options.maintenance_interval, [weak] {
      if (auto self = weak.lock()) self->maintain();
    });
  }

  void clear() noexcept {
    ++generation;
    for (auto& slot : idle) discard(std::move(slot));
    idle.clear();
    connect_more();
  }

  void close() noexcept {
    if (closed) return;
    closed = true;
    retry_timer.cancel();
    maintenance_timer.cancel();
    for (auto& slot : idle) discard(std::move(slot));
    idle.clear();
    std::list<Waiter> failing = std::move(waiters);
    waiters.clear();
    for (auto& waiter : failing) {
      waiter.timer.cancel();
      waiter.promise.set_error(detail::pool_unavailable("the " + options.name + " pool is closed"));
    }
  }
};

template <class Connection>
Pool<Connection>::Pool(PoolOptions options, Hooks hooks) {
  options.validate();
  if (!hooks.connect) throw Error(ErrorKind::invalid_argument, "a pool needs a connect hook");
  state_ = std::make_shared<State>(std::move(options), std::move(hooks));
  state_->schedule_maintenance();
  state_->connect_more();  // towards min_size
}

}  // namespace gale
