#include "gale/web/detail/upgraded_connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <asio/post.hpp>

#include <array>
#include <utility>

#include "gale/loop/error.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/server_core.hpp"
#include "gale/web/detail/tls_stream.hpp"
#include "gale/web/request_handler.hpp"

namespace gale::web::detail {
namespace {

Error closed_error() {
  return Error(ErrorKind::unavailable, "the connection is closed");
}

// send() or sendmsg() again while a signal interrupts it (the socket may have room: no event
// would say so).
template <class Send>
ssize_t without_eintr(Send send) {
  ssize_t n = 0;
  do {
    n = send();
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace

UpgradedConnection::UpgradedConnection() = default;

UpgradedConnection::~UpgradedConnection() {
  if (fd_ >= 0) ::close(fd_);  // never taken over whole (an open one holds itself)
}

void UpgradedConnection::take_over(std::shared_ptr<ServerCore> core, int fd,
                                   std::unique_ptr<TlsStream> tls, std::string unsent,
                                   bool readable, bool peer_closed, Endpoint* replaced) {
  core_ = std::move(core);
  fd_ = fd;
  tls_ = std::move(tls);
  readable_ = readable || peer_closed;  // an end of input already seen is the protocol's too
  peer_closed_ = peer_closed;
  self_ = shared_from_this();
  core_->replace(replaced, this);
  if (!unsent.empty()) {
    queued_ = unsent.size();
    segments_.push_back(Segment{std::move(unsent), nullptr, 0, std::nullopt});
  }
  try {
    // Re-armed: the kernel reports the socket's present state to the new endpoint.
    core_->readiness.modify(fd_, static_cast<Endpoint*>(this));
  } catch (const std::exception&) {
    return close();
  }
  if (!segments_.empty()) flush();
}

const Settings& UpgradedConnection::settings() const noexcept {
  return core_->settings;
}

Metrics& UpgradedConnection::metrics() const noexcept {
  return core_->app.metrics();
}

void UpgradedConnection::early_input(const char* data, std::size_t size) {
  if (!early_) early_ = std::make_unique<std::string>();
  early_->append(data, size);
}

void UpgradedConnection::watch_peer(RequestHandler* handler) noexcept {
  peer_watch_ = handler;
  if (peer_gone()) peer_went_away();
}

void UpgradedConnection::peer_went_away() noexcept {
  if (auto* h = std::exchange(peer_watch_, nullptr)) h->notify_connection_close();
}

// --- the socket, or the TLS session on it

ssize_t UpgradedConnection::receive(char* data, std::size_t size) {
  if (tls_) return tls_->recv(data, size);
  return ::recv(fd_, data, size, 0);
}

ssize_t UpgradedConnection::send_parts(const iovec* parts, std::size_t count) {
  if (tls_) return tls_->send(parts, count);
  if (count == 1) {  // the usual case
    return without_eintr(
        [&] { return ::send(fd_, parts[0].iov_base, parts[0].iov_len, MSG_NOSIGNAL); });
  }
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(parts);
  message.msg_iovlen = count;
  return without_eintr([&] { return ::sendmsg(fd_, &message, MSG_NOSIGNAL); });
}

// --- events

void UpgradedConnection::on_events(std::uint32_t events) {
  if (fd_ < 0) return;
  if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    peer_closed_ = true;
    peer_went_away();
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) readable_ = true;
  if (tls_ && tls_->wants_write() && (events & EPOLLOUT) != 0) readable_ = true;  // a read to retry
  if (writing_ && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) flush();
  if (lingering_) return drop_input();
  if (reads_ && readable_ && fd_ >= 0) read_now();
}

// --- reading

void UpgradedConnection::read(bool on) {
  reads_ = on;
  if (!on || fd_ < 0) return;
  // On the next turn of the loop: the protocol may be in the middle of handling input.
  auto self = std::static_pointer_cast<UpgradedConnection>(shared_from_this());
  asio::post(core_->loop.context(), [self] {
    if (!self->reads_ || self->fd_ < 0) return;
    if (self->early_) {  // what came right behind the request that upgraded
      auto early = std::move(self->early_);
      self->on_data(early->data(), early->size());
    }
    if (self->reads_ && self->readable_ && self->fd_ >= 0 && !self->lingering_) self->read_now();
  });
}

// Reads while the protocol wants input and the socket has it; a short read means the socket is
// empty (the kernel reports the next bytes), unless the peer has closed: then the end is read too.
void UpgradedConnection::read_now() {
  auto keep = shared_from_this();  // the protocol may close the socket and let go of itself
  while (fd_ >= 0 && reads_ && readable_ && !lingering_) {
    ssize_t n = receive(read_buffer(), kReadSize);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      readable_ = false;
      return;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return close();
    if (n == 0) {
      peer_closed_ = true;
      readable_ = false;
      return on_peer_closed();
    }
    auto size = static_cast<std::size_t>(n);
    if (size < kReadSize && !peer_closed_) readable_ = false;
    on_data(read_buffer(), size);
  }
}

// --- writing

void UpgradedConnection::write(Segment segment) {
  if (fd_ < 0 || close_after_write_) {
    if (segment.done) segment.done->set_error(closed_error());
    return;
  }
  if (segments_.empty() && !writing_) {
    if (send_now(segment)) return;  // the usual case: the socket took it all
    if (fd_ < 0) return;
    queued_ = segment.size() - segment.sent;
    segments_.push_back(std::move(segment));
    writing_ = true;  // the rest when EPOLLOUT says there is room
    return;
  }
  queued_ += segment.size() - segment.sent;
  segments_.push_back(std::move(segment));
  if (!writing_) flush();
}

// One send of a segment with nothing queued before it: true if the socket took it all.
bool UpgradedConnection::send_now(Segment& segment) {
  const std::size_t left = segment.size() - segment.sent;
  iovec part{const_cast<char*>(segment.data()) + segment.sent, left};
  ssize_t n = send_parts(&part, 1);
  if (n >= 0 && static_cast<std::size_t>(n) == left) {
    if (segment.done) segment.done->set_value();
    return true;
  }
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    if (segment.done) segment.done->set_error(closed_error());
    auto keep = shared_from_this();  // the protocol may hold no reference of its own
    close();
    return false;
  }
  if (n > 0) segment.sent += static_cast<std::size_t>(n);
  return false;
}

// Writes queued segments until the socket is full (then EPOLLOUT says when to go on).
void UpgradedConnection::flush() {
  writing_ = false;
  while (!segments_.empty() && fd_ >= 0) {
    std::array<iovec, 32> parts{};
    std::size_t count = 0;
    std::size_t offered = 0;
    for (std::size_t i = 0; i < segments_.size() && count < parts.size(); ++i) {
      const Segment& s = segments_[i];
      parts[count++] = {const_cast<char*>(s.data()) + s.sent, s.size() - s.sent};
      offered += s.size() - s.sent;
    }
    ssize_t n = send_parts(parts.data(), count);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      writing_ = true;
      return;
    }
    if (n < 0) {
      auto keep = shared_from_this();
      return close();
    }
    auto written = static_cast<std::size_t>(n);
    queued_ -= written;
    std::size_t whole = 0;
    for (; whole < segments_.size() && written >= segments_[whole].size() - segments_[whole].sent;
         ++whole) {
      written -= segments_[whole].size() - segments_[whole].sent;
    }
    if (written > 0) segments_[whole].sent += written;
    segments_written(whole);
    if (static_cast<std::size_t>(n) < offered) {
      writing_ = true;
      return;
    }
  }
  if (segments_.empty() && close_after_write_ && fd_ >= 0) linger();
}

// The first `count` segments were handed to the socket whole.
void UpgradedConnection::segments_written(std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) {
    if (segments_[i].done) segments_[i].done->set_value();
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(count));
  if (segments_.empty()) std::vector<Segment>().swap(segments_);  // an idle socket holds no queue
}

Future<void> UpgradedConnection::written() {
  if (segments_.empty()) return make_ready_future();
  Segment& last = segments_.back();
  if (!last.done) last.done.emplace();
  return last.done->get_future();
}

void UpgradedConnection::drop_unsent() noexcept {
  std::size_t keep = !segments_.empty() && segments_.front().sent > 0 ? 1 : 0;
  for (std::size_t i = keep; i < segments_.size(); ++i) {
    Segment& s = segments_[i];
    queued_ -= s.size() - s.sent;
    if (s.done) s.done->set_error(closed_error());
  }
  segments_.resize(keep);
}

void UpgradedConnection::wait(int which) noexcept {
  if (fd_ < 0) return;
  core_->untrack(this);
  if (which >= 0) core_->track(this, static_cast<Waiting>(which));
}

// --- closing

void UpgradedConnection::close_after_write() {
  if (fd_ < 0) return;
  auto keep = shared_from_this();
  close_after_write_ = true;
  core_->untrack(this);
  if (segments_.empty()) linger();
}

// Everything is written: stop sending, drop what the peer still sends for a moment, then close.
void UpgradedConnection::linger() {
  if (lingering_ || fd_ < 0) return;
  lingering_ = true;
  int shut = peer_closed_ ? -1 : tls_ ? tls_->shutdown_write(fd_) : ::shutdown(fd_, SHUT_WR);
  if (shut != 0) return close();
  std::weak_ptr<Endpoint> weak = weak_from_this();
  core_->loop.call_later(kLingerTime, [weak] {
    if (auto self = weak.lock()) self->close();
  });
  drop_input();
}

void UpgradedConnection::drop_input() {
  while (fd_ >= 0 && readable_) {
    ssize_t n = ::recv(fd_, read_buffer(), kReadSize, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      readable_ = false;
      return;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return close();
  }
}

void UpgradedConnection::abort() noexcept {
  auto keep = shared_from_this();
  close();
}

void UpgradedConnection::close() noexcept {
  if (fd_ < 0) return;
  core_->untrack(this);
  core_->remove(this);
  ::close(fd_);  // also takes it out of the Readiness set
  fd_ = -1;
  tls_.reset();
  early_.reset();
  queued_ = 0;
  auto segments = std::move(segments_);
  segments_.clear();
  for (auto& s : segments) {
    if (s.done) s.done->set_error(closed_error());
  }
  peer_went_away();
  on_closed();
  // The connection may go away with this reference, at the end of this call: whoever called
  // close() holds one of its own (an event batch, a timer, a posted call).
  auto last = std::move(self_);
}

}  // namespace gale::web::detail
