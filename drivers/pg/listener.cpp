#include "gale/pg/listener.hpp"

#include <deque>
#include <list>

#include "gale/loop/log.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/pg/connection.hpp"
#include "gale/pg/error.hpp"
#include "gale/pool/backoff.hpp"

namespace gale::pg {
namespace detail {

struct ListenerState : std::enable_shared_from_this<ListenerState> {
  struct Waiter {
    Promise<Notification> promise;
    TimeoutHandle timer;
  };

  ListenerState(std::shared_ptr<const ConnectConfig> c, std::vector<std::string> ch)
      : config(std::move(c)),
        channels(std::move(ch)),
        backoff(std::chrono::milliseconds(100), std::chrono::seconds(5)) {}

  void deliver(Notification n) {
    if (!waiters.empty() && queue.empty() && !gap_pending) {
      Waiter w = std::move(waiters.front());
      waiters.pop_front();
      w.timer.cancel();
      w.promise.set_value(std::move(n));
      return;
    }
    if (gap_pending || queue.size() >= Listener::max_queued) {
      if (!gap_pending) log::warning("gale.pg", "LISTEN queue full: notifications are dropped");
      gap_pending = true;
      ++dropped;
      return;
    }
    queue.push_back(std::move(n));
  }

  std::optional<Notification> take() {
    if (!queue.empty()) {
      Notification n = std::move(queue.front());
      queue.pop_front();
      return n;
    }
    if (gap_pending) {
      gap_pending = false;
      return Notification{{}, {}, 0, true};
    }
    return std::nullopt;
  }

  Future<Notification> next(std::optional<Clock::duration> timeout) {
    if (auto n = take()) return make_ready_future(std::move(*n));
    if (closed) {
      return make_exceptional_future<Notification>(
          PgError(ErrorKind::unavailable, "the listener is closed"));
    }
    waiters.push_back(Waiter{});
    auto it = std::prev(waiters.end());
    auto future = it->promise.get_future();
    if (timeout) {
      std::weak_ptr<ListenerState> weak = weak_from_this();
      auto t = *timeout;
      it->timer = IOLoop::current().call_later(t, [weak, it, t] {
        auto self = weak.lock();
        if (!self) return;
        Waiter w = std::move(*it);
        self->waiters.erase(it);
        w.promise.set_error(Error(
            ErrorKind::timeout,
            "no notification within " +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t).count()) +
                " ms"));
      });
    }
    return future;
  }

  void close() noexcept {
    if (closed) return;
    closed = true;
    if (connection) connection->close();
    auto failing = std::move(waiters);
    waiters.clear();
    for (auto& w : failing) {
      w.timer.cancel();
      w.promise.set_error(PgError(ErrorKind::unavailable, "the listener is closed"));
    }
  }

  std::shared_ptr<const ConnectConfig> config;
  std::vector<std::string> channels;
  Backoff backoff;
  std::shared_ptr<Connection> connection;
  std::deque<Notification> queue;
  std::list<Waiter> waiters;
  std::optional<Promise<void>> ready;
  bool gap_pending = false;
  bool closed = false;
  std::size_t reconnects = 0;
  std::size_t dropped = 0;
};

namespace {

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

// Connects, LISTENs, waits for the connection to break; again and again until closed.
Future<void> keep_listening(std::shared_ptr<ListenerState> self) {
  // Only a closing loop destroys this coroutine unfinished (it will not run it again): the
  // listener closes then, failing the coroutines that wait on it, which the loop destroys too.
  struct CloseWhenDestroyed {
    ListenerState& state;
    ~CloseWhenDestroyed() { state.close(); }
  } close_when_destroyed{*self};
  bool first = true;
  while (!self->closed) {
    std::exception_ptr error;
    try {
      auto c = co_await Connection::open(self->config, Connection::Settings{0, false, nullptr});
      self->connection = c;
      std::weak_ptr<ListenerState> weak = self;
      c->set_notification_hook([weak](Notification n) {
        if (auto s = weak.lock()) s->deliver(std::move(n));
      });
      std::string sql;
      for (const auto& ch : self->channels) sql += "LISTEN " + quote_identifier(ch) + ";";
      co_await c->simple_query(sql, Clock::now() + std::chrono::seconds(10));
      if (self->closed) c->close();
      if (!first) {
        ++self->reconnects;
        log::info("gale.pg", "LISTEN connection re-established; notifications may have been lost");
        self->deliver(Notification{{}, {}, 0, true});
      }
      first = false;
      self->backoff.reset();
      if (self->ready) {
        auto p = std::move(*self->ready);
        self->ready.reset();
        p.set_value();
      }
      co_await c->closed();
    } catch (...) {
      error = std::current_exception();
    }
    if (self->closed) break;
    if (self->ready) {  // the first attempt failed: listen() fails
      auto p = std::move(*self->ready);
      self->ready.reset();
      p.set_exception(error);
      self->close();
      break;
    }
    auto delay = self->backoff.next();
    log::warning("gale.pg", "LISTEN connection lost ({}); reconnecting in {} ms",
                 error ? describe(error) : self->connection->broken_reason(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    co_await sleep(delay);
  }
}

Future<Listener> started(std::shared_ptr<ListenerState> state, Future<void> ready,
                         Listener listener) {
  co_await std::move(ready);
  (void)state;
  co_return std::move(listener);
}

}  // namespace
}  // namespace detail

Future<Listener> Listener::start(std::shared_ptr<const detail::ConnectConfig> config,
                                 std::vector<std::string> channels) {
  if (channels.empty()) {
    return make_exceptional_future<Listener>(
        Error(ErrorKind::invalid_argument, "listen() needs at least one channel"));
  }
  auto state = std::make_shared<detail::ListenerState>(std::move(config), std::move(channels));
  state->ready.emplace();
  auto ready = state->ready->get_future();
  (void)detail::keep_listening(state);
  return detail::started(state, std::move(ready), Listener(state));
}

Listener::~Listener() {
  close();
}

Future<Notification> Listener::next() {
  return state_->next(std::nullopt);
}

Future<Notification> Listener::next(Clock::duration timeout) {
  return state_->next(timeout);
}

std::size_t Listener::queued() const noexcept {
  return state_ ? state_->queue.size() : 0;
}

std::size_t Listener::dropped() const noexcept {
  return state_ ? state_->dropped : 0;
}

std::size_t Listener::reconnects() const noexcept {
  return state_ ? state_->reconnects : 0;
}

int Listener::backend_pid() const noexcept {
  return state_ && state_->connection ? state_->connection->backend_pid() : 0;
}

void Listener::close() noexcept {
  if (state_) state_->close();
}

}  // namespace gale::pg
