#include "gale/pg/connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "gale/pg/error.hpp"

namespace gale::pg::detail {
namespace {

// The connections of one loop, a per-loop local: destroyed while the loop closes and its io_context
// still lives, when each connection still open lets go of it (Connection::loop_closing). Weak
// references, pruned as the list grows, so that a connection never has to leave it.
struct LoopConnections {
  std::vector<std::weak_ptr<Connection>> all;
  std::size_t prune_at = 64;

  void add(const std::shared_ptr<Connection>& c) {
    if (all.size() >= prune_at) {
      std::erase_if(all, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
      prune_at = std::max<std::size_t>(64, all.size() * 2);
    }
    all.push_back(c);
  }
  ~LoopConnections() {
    std::vector<std::shared_ptr<Connection>> open;
    for (auto& w : all) {
      if (auto c = w.lock()) open.push_back(std::move(c));
    }
    all.clear();
    for (auto& c : open) c->loop_closing();
  }
};
const char kLoopConnectionsKey = 0;

void remember(const std::shared_ptr<Connection>& c) {
  auto& loop = IOLoop::current();
  if (loop.closing()) return;
  auto& slot = loop.local(&kLoopConnectionsKey);
  if (!slot) slot = std::make_shared<LoopConnections>();
  static_cast<LoopConnections*>(slot.get())->add(c);
}

}  // namespace

// Opening and closing

Future<std::shared_ptr<Connection>> Connection::open(std::shared_ptr<const ConnectConfig> config,
                                                     Settings settings) {
  auto params = co_await resolve_hosts(*config);
  auto connection = std::make_shared<Connection>(std::move(config), settings);
  remember(connection);
  co_await connection->connect(std::move(params));
  co_return connection;
}

Connection::Connection(std::shared_ptr<const ConnectConfig> config, Settings settings)
    : loop_(IOLoop::current()),
      config_(std::move(config)),
      settings_(settings),
      pq_(loop_),
      cache_(settings.statement_cache_size),
      closed_future_(closed_promise_.get_future()) {}

Connection::~Connection() {
  close();
}

void Connection::loop_closing() noexcept {
  close();
  pq_.loop_closing();
}

Future<void> Connection::connect(std::vector<std::pair<std::string, std::string>> params) {
  auto self = shared_from_this();
  std::exception_ptr error;
  try {
    co_await pq_.connect(std::move(params), *config_, settings_.pipeline);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    close();
    std::rethrow_exception(error);
  }
  state_ = State::pipeline;
  arm_read();
}

void Connection::close() noexcept {
  if (state_ == State::closed) return;
  // No hook runs from here: close() is called from inside pools and hooks, which must not be
  // re-entered.
  if (state_ != State::broken) {
    state_ = State::closing;
    fail_all("the connection was closed");
  }
  state_ = State::closed;
  pq_.finish();
}

void Connection::flush() {
  if (!usable()) return;
  int r = PQflush(pq_.get());
  if (r < 0) {
    fail_all(pq_.error());
  } else if (r == 1) {
    arm_write();
  } else if (output_waiter_) {
    auto p = std::move(*output_waiter_);
    output_waiter_.reset();
    p.set_value();
  }
}

// Socket readiness: the read side is always armed while the connection is usable; input goes to
// the exclusive operation that waits for it (input_waiter_), else to the pipeline's queue.

void Connection::arm_read() {
  if (reading_ || !usable()) return;
  reading_ = true;
  pq_.socket().async_wait(
      asio::posix::descriptor_base::wait_read,
      [self = shared_from_this()](const asio::error_code& ec) { self->on_readable(ec); });
}

void Connection::arm_write() {
  if (writing_ || !usable()) return;
  writing_ = true;
  pq_.socket().async_wait(
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

void Connection::on_readable(const asio::error_code& ec) {
  reading_ = false;
  if (!usable()) return;
  if (ec) {
    fail_all(ec.message());
    return;
  }
  auto self = shared_from_this();  // a hook below may drop the last other reference
  do {
    if (PQconsumeInput(pq_.get()) != 1) {
      fail_all(pq_.error());
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
  } while (usable() && pq_.ssl_pending());
  if (!usable()) return;
  if (PQstatus(pq_.get()) == CONNECTION_BAD) {
    fail_all(pq_.error());
    return;
  }
  arm_read();
  if (progress_hook_) progress_hook_();
}

// Notifications, and failing everything at once

void Connection::drain_notifications() {
  while (PGnotify* n = PQnotifies(pq_.get())) {
    if (notification_hook_) {
      notification_hook_(
          Notification{n->relname, n->extra != nullptr ? n->extra : "", n->be_pid, false});
    }
    PQfreemem(n);
  }
}

void Connection::fail_all(const std::string& why) {
  if (state_ == State::broken || state_ == State::closed) return;
  const bool closing = state_ == State::closing;
  state_ = State::broken;
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
  pq_.release_socket();
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
  // No hook while closing, nor when a hook or request closed the connection meanwhile.
  if (progress_hook_ && !closing && state_ != State::closed) progress_hook_();
}

}  // namespace gale::pg::detail
