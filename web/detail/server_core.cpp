#include "gale/web/detail/server_core.hpp"

#include <time.h>

#include <algorithm>

#include "gale/loop/log.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/connection.hpp"
#include "gale/web/detail/tls_context.hpp"
#include "gale/web/metrics.hpp"

namespace gale::web::detail {
namespace {

// Deadlines are checked on a tick: a fraction of the shortest timeout, 5 ms .. 500 ms. No timer is
// set or cancelled per request.
Clock::duration tick_for(const Settings& s) {
  Clock::duration shortest =
      std::min({Clock::duration(s.header_timeout), Clock::duration(s.body_timeout),
                Clock::duration(s.idle_connection_timeout),
                Clock::duration(s.tls.enabled() ? s.tls.handshake_timeout : s.header_timeout)});
  return std::clamp(shortest / 8, Clock::duration(std::chrono::milliseconds(5)),
                    Clock::duration(std::chrono::milliseconds(500)));
}

// The time for deadlines: CLOCK_MONOTONIC (steady_clock's clock) at its coarse resolution (a few
// ms), which costs a fraction of a precise reading. Deadlines are checked on a tick anyway.
Clock::time_point coarse_now() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

}  // namespace

ServerCore::ServerCore(Application& application, IOLoop& io_loop)
    : app(application),
      settings(application.settings()),
      loop(io_loop),
      acceptor(io_loop.context().get_executor()),
      readiness(io_loop.context(),
                [this](std::span<const epoll_event> events) { on_ready(events); }),
      timer_(io_loop.context()),
      tick_(tick_for(application.settings())) {
  spare_requests_.reserve(kSpareRequests);
  batch_.reserve(256);
  lists_[kWaitHeaders].timeout = settings.header_timeout;
  lists_[kWaitBody].timeout = settings.body_timeout;
  lists_[kWaitIdle].timeout = settings.idle_connection_timeout;
  lists_[kWaitPing].timeout = settings.websocket_ping_interval;
  lists_[kWaitPong].timeout = settings.websocket_ping_timeout;
  lists_[kWaitHandshake].timeout = settings.tls.handshake_timeout;
}

ServerCore::~ServerCore() = default;

void ServerCore::start_accepting() {
  if (accepting_) return;
  accepting_ = true;
  accept();
}

void ServerCore::stop_accepting() noexcept {
  accepting_ = false;
  asio::error_code ec;
  acceptor.close(ec);
}

void ServerCore::accept() {
  acceptor.async_accept([self = shared_from_this()](const asio::error_code& ec, Socket socket) {
    if (!self->accepting_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors, most likely: wait a little instead of spinning.
      log::warning("gale.web", "accept failed: {}; retrying in 100 ms", ec.message());
      std::weak_ptr<ServerCore> weak = self;
      self->loop.call_later(std::chrono::milliseconds(100), [weak] {
        if (auto core = weak.lock(); core && core->accepting_) core->accept();
      });
      return;
    }
    if (self->count >= self->settings.max_connections) {
      log::warning("gale.web", "max_connections ({}) reached: closing a new connection",
                   self->settings.max_connections);
      asio::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Connection>(self, std::move(socket))->start();
    }
    self->accept();
  });
}

// Each connection in the batch is held for the whole batch: one may close another (shutdown).
void ServerCore::on_ready(std::span<const epoll_event> events) {
  for (const auto& e : events) batch_.push_back(static_cast<Endpoint*>(e.data.ptr)->self());
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (batch_[i]) batch_[i]->on_events(events[i].events);
  }
  batch_.clear();
}

void ServerCore::add(Endpoint* c) noexcept {
  c->all_next = first_;
  if (first_ != nullptr) first_->all_prev = c;
  first_ = c;
  ++count;
  app.metrics().connection_opened();
}

void ServerCore::replace(Endpoint* old, Endpoint* now) noexcept {
  now->all_prev = old->all_prev;
  now->all_next = old->all_next;
  if (now->all_prev != nullptr) now->all_prev->all_next = now;
  if (now->all_next != nullptr) now->all_next->all_prev = now;
  if (first_ == old) first_ = now;
  old->all_prev = old->all_next = nullptr;
}

void ServerCore::remove(Endpoint* c) noexcept {
  if (c->all_prev != nullptr) c->all_prev->all_next = c->all_next;
  if (c->all_next != nullptr) c->all_next->all_prev = c->all_prev;
  if (first_ == c) first_ = c->all_next;
  c->all_prev = c->all_next = nullptr;
  --count;
  app.metrics().connection_closed();
  if (closing) check_drained();
}

void ServerCore::track(Endpoint* c, Waiting which) noexcept {
  if (c->list == which) return;
  untrack(c);
  DeadlineList& l = lists_[which];
  c->deadline = coarse_now() + l.timeout;
  c->list = which;
  c->prev = l.tail;
  c->next = nullptr;
  if (l.tail != nullptr) {
    l.tail->next = c;
  } else {
    l.head = c;
  }
  l.tail = c;
  arm_timer();
}

std::unique_ptr<HTTPServerRequest> ServerCore::take_request() {
  if (spare_requests_.empty()) return std::make_unique<HTTPServerRequest>();
  std::unique_ptr<HTTPServerRequest> r = std::move(spare_requests_.back());
  spare_requests_.pop_back();
  return r;
}

void ServerCore::recycle(std::unique_ptr<HTTPServerRequest> request) noexcept {
  if (spare_requests_.size() == kSpareRequests) return;  // the request is freed
  request->reset();
  spare_requests_.push_back(std::move(request));  // reserved: does not allocate
}

void ServerCore::untrack(Endpoint* c) noexcept {
  if (c->list < 0) return;
  DeadlineList& l = lists_[static_cast<std::size_t>(c->list)];
  if (c->prev != nullptr) {
    c->prev->next = c->next;
  } else {
    l.head = c->next;
  }
  if (c->next != nullptr) {
    c->next->prev = c->prev;
  } else {
    l.tail = c->prev;
  }
  c->prev = c->next = nullptr;
  c->list = -1;
}

void ServerCore::arm_timer() noexcept {
  if (timer_armed_) return;
  timer_armed_ = true;
  timer_.expires_after(tick_);
  std::weak_ptr<ServerCore> weak = weak_from_this();
  timer_.async_wait([weak](const asio::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->timer_armed_ = false;
    if (!ec) self->on_timer();
  });
}

void ServerCore::on_timer() {
  Clock::time_point now = coarse_now();
  bool any = false;
  for (auto& l : lists_) {
    while (l.head != nullptr && l.head->deadline <= now) {
      Endpoint* c = l.head;
      int which = c->list;
      untrack(c);
      auto keep = c->shared_from_this();
      c->on_timeout(which);
    }
    any = any || l.head != nullptr;
  }
  if (any) arm_timer();
}

Future<void> ServerCore::shutdown(Clock::duration drain) {
  stop_accepting();
  drain_waiters_.emplace_back();
  Future<void> done = drain_waiters_.back().get_future();
  if (!closing) {
    closing = true;
    log::info("gale.web", "shutting down: {} open connection(s), draining for up to {} ms", count,
              std::chrono::duration_cast<std::chrono::milliseconds>(drain).count());
    std::weak_ptr<ServerCore> weak = weak_from_this();
    drain_timer_ = loop.call_later(drain, [weak] {
      if (auto self = weak.lock()) {
        if (self->count > 0) {
          log::warning("gale.web", "drain timeout: closing {} connection(s)", self->count);
        }
        self->close_all();
      }
    });
    for (Endpoint* c = first_; c != nullptr;) {
      Endpoint* next = c->all_next;
      auto keep = c->shared_from_this();
      c->on_shutdown();
      c = next;
    }
  }
  check_drained();
  return done;
}

void ServerCore::check_drained() {
  if (count != 0 || drain_waiters_.empty()) return;
  drain_timer_.cancel();
  auto waiters = std::move(drain_waiters_);
  drain_waiters_.clear();
  for (auto& p : waiters) p.set_value();
}

void ServerCore::close_all() noexcept {
  stop_accepting();
  while (first_ != nullptr) {
    auto keep = first_->shared_from_this();
    first_->close();
  }
  check_drained();
}

void ServerCore::install_signal_handlers() {
  if (signals_) return;
  signals_ = std::make_unique<asio::signal_set>(loop.context(), SIGINT, SIGTERM);
  if (tls) signals_->add(SIGHUP);
  std::weak_ptr<ServerCore> weak = weak_from_this();
  signals_->async_wait([weak](const asio::error_code& ec, int signal) {
    if (auto self = weak.lock(); self && !ec) self->on_signal(signal);
  });
}

void ServerCore::on_signal(int signal) {
  ++signals_seen_;
  std::weak_ptr<ServerCore> weak = weak_from_this();
  signals_->async_wait([weak](const asio::error_code& ec, int s) {
    if (auto self = weak.lock(); self && !ec) self->on_signal(s);
  });
  if (signal == SIGHUP) {
    reload_tls();
    --signals_seen_;
    return;
  }
  if (signals_seen_ > 1) {
    log::warning("gale.web", "signal {} again: closing every connection now", signal);
    close_all();
    return;
  }
  log::info("gale.web", "signal {}: graceful shutdown", signal);
  IOLoop* l = &loop;
  shutdown(settings.drain_timeout).add_done_callback([l](const Future<void>&) { l->stop(); });
}

bool ServerCore::reload_tls() noexcept {
  try {
    tls = TlsContext::load(settings.tls);
    log::info("gale.web", "TLS: certificates reloaded from {}", settings.tls.certfile);
    return true;
  } catch (const std::exception& e) {
    log::error("gale.web", "{}; keeping the certificates in use", e.what());
    return false;
  }
}

}  // namespace gale::web::detail
