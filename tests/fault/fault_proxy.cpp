#include "fault/fault_proxy.hpp"

#include <asio/connect.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace fault {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kMaxHeld = 1024 * 1024;  // per direction; reading pauses beyond it

struct Link;

// One direction of a link: reads `from`, holds each chunk until its release time, writes `to`.
struct Pipe {
  Pipe(Link& l, tcp::socket& f, tcp::socket& t)
      : link(l), from(f), to(t), timer(f.get_executor()) {}

  struct Chunk {
    std::string data;
    Clock::time_point release;
  };

  Link& link;
  tcp::socket& from;
  tcp::socket& to;
  asio::steady_timer timer;
  std::deque<Chunk> held;
  std::size_t held_bytes = 0;
  Clock::time_point last_release{};
  bool reading = false;
  bool writing = false;
  bool eof = false;
  char buffer[kReadSize];

  void read();
  void kick();
};

}  // namespace

struct FaultProxy::Impl : std::enable_shared_from_this<Impl> {
  explicit Impl(int upstream)
      : upstream_port(upstream),
        work(asio::make_work_guard(context)),
        acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        random(std::random_device{}()) {}

  asio::io_context context;
  int upstream_port;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  tcp::acceptor acceptor;
  std::thread thread;
  Faults faults;  // on the proxy's thread only
  std::minstd_rand random;
  std::vector<std::weak_ptr<Link>> links;
  std::atomic<std::size_t> accepted{0};
  std::atomic<std::size_t> reset_count{0};

  void accept();
  bool roll(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(random) < p; }
  Clock::time_point release_time() {
    auto d = faults.delay;
    if (faults.jitter.count() > 0) {
      d += std::chrono::milliseconds(
          std::uniform_int_distribution<long>(0, faults.jitter.count())(random));
    }
    if (roll(faults.stall_probability)) d += faults.stall;
    return Clock::now() + d;
  }
  void kick_all();
};

namespace {

struct Link : std::enable_shared_from_this<Link> {
  explicit Link(std::shared_ptr<FaultProxy::Impl> p)
      : proxy(std::move(p)),
        client(proxy->context),
        server(proxy->context),
        up(*this, client, server),
        down(*this, server, client) {}

  std::shared_ptr<FaultProxy::Impl> proxy;
  tcp::socket client;
  tcp::socket server;
  Pipe up;
  Pipe down;
  bool closed = false;

  void start() {
    auto self = shared_from_this();
    tcp::endpoint target(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(proxy->upstream_port));
    server.async_connect(target, [self](asio::error_code ec) {
      if (ec) return self->close(false);
      self->up.read();
      self->down.read();
    });
  }

  // Closes both sides; with `reset`, with an RST (SO_LINGER 0) rather than a FIN.
  void close(bool reset) {
    if (closed) return;
    closed = true;
    for (tcp::socket* s : {&client, &server}) {
      asio::error_code ec;
      if (reset) s->set_option(asio::socket_base::linger(true, 0), ec);
      s->close(ec);
    }
    up.timer.cancel();
    down.timer.cancel();
  }
};

void Pipe::read() {
  if (reading || eof || link.closed) return;
  if (held_bytes >= kMaxHeld) return;  // resumed once the writer catches up
  reading = true;
  auto self = link.shared_from_this();
  from.async_read_some(asio::buffer(buffer), [this, self](asio::error_code ec, std::size_t n) {
    reading = false;
    if (link.closed) return;
    if (ec) {
      eof = true;  // pass on what is held, then close
      kick();
      return;
    }
    auto& proxy = *link.proxy;
    if (proxy.roll(proxy.faults.reset_probability)) {
      ++proxy.reset_count;
      link.close(true);
      return;
    }
    auto release = std::max(proxy.release_time(), last_release);  // in order, as TCP would
    last_release = release;
    held.push_back(Chunk{std::string(buffer, n), release});
    held_bytes += n;
    kick();
    read();
  });
}

void Pipe::kick() {
  if (writing || link.closed) return;
  if (held.empty()) {
    if (eof) link.close(false);
    return;
  }
  if (link.proxy->faults.blackhole) return;  // kick_all() when it ends
  writing = true;
  auto self = link.shared_from_this();
  timer.expires_at(held.front().release);
  timer.async_wait([this, self](asio::error_code waited) {
    if (link.closed) return;
    if (waited || link.proxy->faults.blackhole) {  // re-timed (the faults changed) or held
      writing = false;
      kick();
      return;
    }
    asio::async_write(to, asio::buffer(held.front().data),
                      [this, self](asio::error_code ec, std::size_t) {
                        writing = false;
                        if (link.closed) return;
                        if (ec) return link.close(false);
                        held_bytes -= held.front().data.size();
                        held.pop_front();
                        read();
                        kick();
                      });
  });
}

}  // namespace

void FaultProxy::Impl::accept() {
  auto link = std::make_shared<Link>(shared_from_this());
  acceptor.async_accept(link->client, [self = shared_from_this(), link](asio::error_code ec) {
    if (ec) return;  // the acceptor closed
    ++self->accepted;
    asio::error_code ignored;
    link->client.set_option(tcp::no_delay(true), ignored);
    std::erase_if(self->links, [](const std::weak_ptr<Link>& w) { return w.expired(); });
    self->links.push_back(link);
    link->start();
    self->accept();
  });
}

void FaultProxy::Impl::kick_all() {
  for (auto& weak : links) {
    if (auto link = weak.lock()) {
      link->up.timer.cancel();  // a chunk waiting for its time is re-timed
      link->down.timer.cancel();
      link->up.kick();
      link->down.kick();
    }
  }
}

FaultProxy::FaultProxy(int upstream_port) : impl_(std::make_shared<Impl>(upstream_port)) {
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->context.run(); });
}

FaultProxy::~FaultProxy() {
  asio::post(impl_->context, [impl = impl_] {
    asio::error_code ec;
    impl->acceptor.close(ec);
    for (auto& weak : impl->links) {
      if (auto link = weak.lock()) link->close(false);
    }
    impl->links.clear();
    impl->work.reset();
  });
  impl_->thread.join();
}

int FaultProxy::port() const noexcept {
  return impl_->acceptor.local_endpoint().port();
}

void FaultProxy::set(Faults faults) {
  asio::post(impl_->context, [impl = impl_, faults] {
    impl->faults = faults;
    impl->kick_all();
  });
}

void FaultProxy::cut() {
  asio::post(impl_->context, [impl = impl_] {
    for (auto& weak : impl->links) {
      if (auto link = weak.lock(); link && !link->closed) {
        ++impl->reset_count;
        link->close(true);
      }
    }
  });
}

std::size_t FaultProxy::connections() const noexcept {
  return impl_->accepted;
}

std::size_t FaultProxy::resets() const noexcept {
  return impl_->reset_count;
}

}  // namespace fault
