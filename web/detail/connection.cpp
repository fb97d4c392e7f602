#include "gale/web/detail/connection.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <asio/post.hpp>

#include <climits>

#include "gale/loop/log.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/tls_stream.hpp"
#include "gale/web/detail/upgraded_connection.hpp"
#include "gale/web/headers.hpp"
#include "gale/web/request_handler.hpp"

namespace gale::web::detail {

// The parser's callbacks: a non-zero return stops the parse with error_status_ set.
struct ParserCallbacks {
  static Connection& self(http_parser* p) { return *static_cast<Connection*>(p->data); }

  static int header_bytes(Connection& c, std::size_t n) {
    c.header_bytes_ += n;
    if (c.header_bytes_ <= c.core_->settings.max_header_size) return 0;
    c.error_status_ = 431;
    c.error_message_ = fmt::format("the request headers are larger than {} bytes",
                                   c.core_->settings.max_header_size);
    return -1;
  }

  static int on_message_begin(http_parser* p) {
    Connection& c = self(p);
    c.phase_ = Connection::Phase::headers;
    c.req_ = c.core_->take_request();
    c.header_bytes_ = 0;
    c.last_was_value_ = false;
    c.core_->track(&c, kWaitHeaders);
    return 0;
  }

  static int on_url(http_parser* p, const char* at, std::size_t n) {
    Connection& c = self(p);
    c.req_->uri.append(at, n);
    return header_bytes(c, n);
  }

  static int on_header_field(http_parser* p, const char* at, std::size_t n) {
    Connection& c = self(p);
    auto& fields = c.req_->headers.fields();
    if (fields.empty() || c.last_was_value_) {
      fields.emplace_back(std::string(at, n), std::string());
    } else {
      fields.back().first.append(at, n);
    }
    c.last_was_value_ = false;
    return header_bytes(c, n + 4);  // ": " and CRLF count too
  }

  static int on_header_value(http_parser* p, const char* at, std::size_t n) {
    Connection& c = self(p);
    c.req_->headers.fields().back().second.append(at, n);
    c.last_was_value_ = true;
    return header_bytes(c, n);
  }

  static int on_headers_complete(http_parser* p) {
    Connection& c = self(p);
    HTTPServerRequest& r = *c.req_;
    r.method = http_method_str(static_cast<http_method>(p->method));
    r.version = p->http_major == 1 && p->http_minor == 1 ? "HTTP/1.1"
                : p->http_major == 1 && p->http_minor == 0
                    ? "HTTP/1.0"
                    : fmt::format("HTTP/{}.{}", p->http_major, p->http_minor);
    r.start_time = Clock::now();
    r.remote_ip = c.remote_ip_;
    if (c.tls_) c.describe_tls(r);
    bool chunked = (p->flags & F_CHUNKED) != 0;
    bool has_length = p->content_length != ULLONG_MAX;
    std::size_t max_body = c.core_->settings.max_body_size;
    if (has_length && !chunked && p->content_length > max_body) {
      c.error_status_ = 413;
      c.error_message_ = fmt::format("the request body is larger than {} bytes", max_body);
      return -1;
    }
    bool body_expected = chunked || (has_length && p->content_length > 0);
    auto expect = body_expected ? r.headers.get("Expect") : std::nullopt;
    if (expect && p->http_minor >= 1 && iequals(*expect, "100-continue")) {
      c.send_interim("HTTP/1.1 100 Continue\r\n\r\n");
      c.flush();
    }
    if (body_expected) {
      c.phase_ = Connection::Phase::body;
      c.core_->track(&c, kWaitBody);
    }
    return 0;
  }

  static int on_body(http_parser* p, const char* at, std::size_t n) {
    Connection& c = self(p);
    std::size_t max_body = c.core_->settings.max_body_size;
    if (c.req_->body.size() + n > max_body) {
      c.error_status_ = 413;
      c.error_message_ = fmt::format("the request body is larger than {} bytes", max_body);
      return -1;
    }
    c.req_->body.append(at, n);
    return 0;
  }

  static int on_message_complete(http_parser* p) {
    Connection& c = self(p);
    c.req_->keep_alive = http_should_keep_alive(p) != 0 && p->upgrade == 0;
    c.phase_ = Connection::Phase::handling;
    c.core_->untrack(&c);
    http_parser_pause(p, 1);  // one request at a time: the parser resumes after its response
    return 0;
  }

  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings x;
      http_parser_settings_init(&x);
      x.on_message_begin = on_message_begin;
      x.on_url = on_url;
      x.on_header_field = on_header_field;
      x.on_header_value = on_header_value;
      x.on_headers_complete = on_headers_complete;
      x.on_body = on_body;
      x.on_message_complete = on_message_complete;
      return x;
    }();
    return s;
  }
};

Connection::Connection(std::shared_ptr<ServerCore> core, Socket socket) : core_(std::move(core)) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  asio::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (!ec) remote_ip_ = peer.address().to_string();
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  // From here on the socket is the connection's own: its readiness comes from the server's
  // Readiness set, not from Asio's reactor.
  fd_ = socket.release(ec);
  if (fd_ >= 0) ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  if (fd_ >= 0 && core_->tls) {
    try {
      tls_ = std::make_unique<TlsStream>(core_->tls, fd_);
    } catch (const std::exception& e) {
      log::warning("gale.web", "{}: closing a new connection", e.what());
      ::close(fd_);
      fd_ = -1;
    }
  }
  core_->add(this);
}

Connection::~Connection() {
  close();
}

void Connection::start() {
  if (fd_ < 0) return;
  self_ = shared_from_this();  // open connections own themselves; close() lets go
  try {
    core_->readiness.add(fd_, static_cast<Endpoint*>(this));
  } catch (const std::exception& e) {
    log::warning("gale.web", "cannot watch a new connection: {}", e.what());
    return close();
  }
  // HTTPS: the handshake has its own time, from now (a client that stalls in it is closed).
  core_->track(this, tls_ ? kWaitHandshake : kWaitIdle);
  wait_read();
}

// What the kernel says of the socket (with the server holding a reference for the call).
void Connection::on_events(std::uint32_t events) {
  if (phase_ == Phase::upgraded) {  // an event of the batch that the upgrade was in
    if (auto up = upgraded_) up->on_events(events);
    return;
  }
  if (phase_ == Phase::closed) return;
  if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    peer_closed_ = true;
    peer_went_away();
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) readable_ = true;
  if (tls_ && tls_->wants_write() && (events & EPOLLOUT) != 0) readable_ = true;  // a read to retry
  if (writing_ && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) on_writable();
  if (reading_ && readable_ && phase_ != Phase::closed) read_now();
}

// The request being received, for an error response: made up if none started yet.
HTTPServerRequest& Connection::request() {
  if (!req_) req_ = core_->take_request();
  if (req_->start_time == Clock::time_point()) req_->start_time = Clock::now();
  if (req_->remote_ip.empty()) req_->remote_ip = remote_ip_;
  if (tls_) describe_tls(*req_);
  return *req_;
}

void Connection::describe_tls(HTTPServerRequest& r) const {
  r.protocol.assign("https");
  if (!tls_->client_subject().empty()) r.set_client_certificate_subject(tls_->client_subject());
}

// --- the socket, or the TLS session on it

ssize_t Connection::receive(char* data, std::size_t size) {
  if (tls_ && phase_ != Phase::lingering) return tls_->recv(data, size);  // lingering: dropped
  return ::recv(fd_, data, size, 0);
}

ssize_t Connection::send_parts(const iovec* parts, std::size_t count) {
  if (tls_) return tls_->send(parts, count);
  ssize_t n = 0;
  do {
    if (count == 1) {
      n = ::send(fd_, parts[0].iov_base, parts[0].iov_len, MSG_NOSIGNAL);  // the usual case
    } else {
      msghdr message{};
      message.msg_iov = const_cast<iovec*>(parts);
      message.msg_iovlen = count;
      n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    }
  } while (n < 0 &&
           errno == EINTR);  // interrupted: the socket may have room, no event would say so
  return n;
}

int Connection::shutdown_write() {
  if (tls_) return tls_->shutdown_write(fd_);
  return ::shutdown(fd_, SHUT_WR);
}

// --- reading

// Wants the next bytes: reads them now if the kernel said some are there, else when it says so.
void Connection::wait_read() {
  if (reading_ || phase_ == Phase::closed) return;
  reading_ = true;
  if (!readable_) return;
  // Unread input (a full read, or pipelined requests behind a slow handler): on the next turn of
  // the loop, so that a client that keeps sending does not deepen the stack.
  asio::post(core_->loop.context(), [self = me()] {
    if (self->reading_ && self->readable_) self->read_now();
  });
}

// Reads while the parser wants more and the socket has it; a short read means the socket is empty
// (the kernel reports the next bytes), unless the peer has closed: then the end is read too.
void Connection::read_now() {
  reading_ = false;
  while (phase_ == Phase::idle || phase_ == Phase::headers || phase_ == Phase::body ||
         phase_ == Phase::lingering) {
    ssize_t n = receive(read_buffer(), kReadSize);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      readable_ = false;
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    // A failed TLS handshake: the alert that says why goes out before the socket closes.
    if (n < 0 && errno == EPROTO && phase_ != Phase::lingering) return linger();
    if (n < 0 || (n == 0 && phase_ == Phase::lingering)) return close();
    if (n == 0) {  // the client sent all it will: answer what it asked, then close
      peer_closed_ = true;
      close_after_write_ = true;
      break;
    }
    auto size = static_cast<std::size_t>(n);
    if (size < kReadSize && !peer_closed_) readable_ = false;
    if (phase_ != Phase::lingering) feed(read_buffer(), size);  // else: dropped, the end is near
    if (phase_ == Phase::closed) return;
    if (!readable_ || (close_after_write_ && phase_ != Phase::lingering)) break;
  }
  if (phase_ == Phase::lingering) {
    reading_ = true;  // drops what else comes until the peer closes or the linger time is up
    return;
  }
  after_feed();
}

void Connection::feed(const char* data, std::size_t size) {
  while (size > 0 && phase_ != Phase::closed && !close_after_write_) {
    std::size_t used = http_parser_execute(&parser_, &ParserCallbacks::settings(), data, size);
    data += used;
    size -= used;
    auto err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      http_parser_pause(&parser_, 0);
      dispatch();
      if (phase_ == Phase::upgraded) {  // the first bytes of the new protocol
        if (upgraded_ && size > 0) upgraded_->early_input(data, size);
        return;
      }
      if (phase_ == Phase::handling) {  // waits for the handler, which answers asynchronously
        pending_.assign(data, size);
        return;
      }
      continue;
    }
    if (err != HPE_OK) return parse_error();
    if (used == 0) break;
  }
}

void Connection::after_feed() {
  flush();
  if (phase_ == Phase::closed || phase_ == Phase::lingering || phase_ == Phase::handling ||
      phase_ == Phase::upgraded) {
    return;
  }
  if (close_after_write_) {
    if (!writing_ && nothing_to_write()) linger();
    return;
  }
  if (phase_ == Phase::idle) {
    if (core_->closing) return close();
    core_->track(this, tls_ && tls_->handshaking() ? kWaitHandshake : kWaitIdle);
  }
  wait_read();
}

void Connection::dispatch() {
  auto req = std::move(req_);
  in_dispatch_ = true;
  core_->app.handle(std::move(req), me());
  in_dispatch_ = false;
}

// The handler that answered asynchronously is done: go on with what the client sent meanwhile.
void Connection::resume() {
  if (phase_ != Phase::idle) return;
  if (!pending_.empty() && !close_after_write_) {
    std::string data = std::move(pending_);
    pending_.clear();
    feed(data.data(), data.size());
  }
  after_feed();
}

void Connection::parse_error() {
  if (error_status_ != 0) return fail(error_status_, std::move(error_message_));
  auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_HEADER_OVERFLOW) {
    return fail(431, fmt::format("the request headers are larger than {} bytes",
                                 core_->settings.max_header_size));
  }
  if (err == HPE_CLOSED_CONNECTION) return close();
  fail(400, fmt::format("malformed request: {}", http_errno_description(err)));
}

// The server refuses the request: answer with `status` (the JSON envelope), then close.
void Connection::fail(int status, std::string message) {
  core_->untrack(this);
  HTTPServerRequest& r = request();
  r.keep_alive = false;
  auto req = std::move(req_);
  close_after_write_ = true;
  phase_ = Phase::handling;
  in_dispatch_ = true;
  core_->app.handle_error(std::move(req), me(), status, std::move(message));
  in_dispatch_ = false;
}

void Connection::on_timeout(int which) {
  if (which == kWaitHandshake) return close();  // no TLS session to say 408 in
  switch (phase_) {
    case Phase::headers:
      fail(408, "timed out waiting for the request headers");
      return after_feed();
    case Phase::body:
      fail(408, "timed out waiting for the request body");
      return after_feed();
    default:
      return close();  // idle too long, a stalled write, or a lingering close
  }
}

void Connection::on_shutdown() {
  if (phase_ != Phase::idle || writing_ || !nothing_to_write()) return;  // after its response
  // A request that arrived but was not read yet is in flight too: serve it, then close.
  if (tls_ && tls_->has_input()) return;
  int unread = 0;
  if (::ioctl(fd_, FIONREAD, &unread) == 0 && unread > 0) return;
  close();
}

// --- writing

void Connection::send(std::string bytes, std::string tail, bool last, bool keep_alive) {
  if (phase_ == Phase::closed || phase_ == Phase::upgraded) return;
  if (!tail_.empty()) {  // behind a large body still queued: copied after it, in order
    tail_.append(bytes);
    tail_.append(tail);
  } else {
    if (out_.empty()) {
      core_->buffers.give_back(out_);
      out_ = std::move(bytes);
    } else {
      out_.append(bytes);
    }
    tail_ = std::move(tail);
  }
  core_->buffers.give_back(bytes);
  if (!last) return flush();
  if (!keep_alive) close_after_write_ = true;
  phase_ = Phase::idle;
  if (in_dispatch_) return;  // feed() goes on with pipelined requests and writes them all at once
  flush();
  asio::post(core_->loop.context(), [self = me()] { self->resume(); });
}

// An interim response (100 Continue): queued behind whatever is queued, written now.
void Connection::send_interim(std::string_view bytes) {
  (tail_.empty() ? out_ : tail_).append(bytes);
}

// Hands what is queued to the socket: one write (a gather write when a large body is queued);
// what the socket does not take waits until the kernel says there is room.
void Connection::flush() {
  if (writing_ || nothing_to_write() || phase_ == Phase::closed) return;
  if (!write_some()) return;
  if (nothing_to_write()) return on_written();
  writing_ = true;  // the socket's buffer is full: the idle timeout is the deadline for progress
  if (list < 0) core_->track(this, kWaitIdle);
}

// One send of what is queued. False if the connection closed.
bool Connection::write_some() {
  std::array<iovec, 2> parts{};
  std::size_t count = 0;
  for (auto [text, sent] : {std::pair{&out_, out_sent_}, std::pair{&tail_, tail_sent_}}) {
    if (text->size() > sent) parts[count++] = {text->data() + sent, text->size() - sent};
  }
  ssize_t n = send_parts(parts.data(), count);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;  // full: EPOLLOUT says when it is not
    close();
    return false;
  }
  auto written = static_cast<std::size_t>(n);
  std::size_t from_out = std::min(written, out_.size() - out_sent_);
  out_sent_ += from_out;
  tail_sent_ += written - from_out;
  if (out_sent_ == out_.size()) {
    core_->buffers.give_back(out_);
    out_sent_ = 0;
  }
  if (tail_sent_ == tail_.size()) {
    core_->buffers.give_back(tail_);
    tail_sent_ = 0;
  }
  return true;
}

// The kernel has room for what waits to be written.
void Connection::on_writable() {
  if (!write_some()) return;
  if (!nothing_to_write()) return;  // still full: wait for more room
  writing_ = false;
  if (phase_ == Phase::handling && list == kWaitIdle) core_->untrack(this);
  on_written();
  if (phase_ == Phase::idle && !close_after_write_ && !reading_ && pending_.empty()) after_feed();
}

void Connection::on_written() {
  for (auto& p : drain_waiters_) p.set_value();
  drain_waiters_.clear();
  if (close_after_write_ && phase_ == Phase::idle) linger();
}

Future<void> Connection::drained() {
  if (phase_ == Phase::upgraded) return make_ready_future();
  if (phase_ == Phase::closed) {
    return make_exceptional_future<void>(
        Error(ErrorKind::unavailable, "the client closed the connection"));
  }
  if (!writing_ && nothing_to_write()) return make_ready_future();
  drain_waiters_.emplace_back();
  return drain_waiters_.back().get_future();
}

// --- closing

// After a response that ends the connection: stop sending, read and drop what the client still
// sends for a moment, then close. Closing at once with unread input would make the kernel reset
// the connection and could destroy the response before the client reads it.
void Connection::linger() {
  if (phase_ == Phase::closed || phase_ == Phase::lingering) return;
  phase_ = Phase::lingering;
  if (peer_closed_) return close();  // nothing more can come that closing would cut off
  if (shutdown_write() != 0) return close();
  core_->untrack(this);
  std::weak_ptr<Endpoint> weak = weak_from_this();
  core_->loop.call_later(kLingerTime, [weak] {
    if (auto self = weak.lock()) self->close();
  });
  wait_read();
}

void Connection::close() noexcept {
  if (phase_ == Phase::closed) return;
  if (phase_ == Phase::upgraded) {  // the socket is the UpgradedConnection's
    phase_ = Phase::closed;
    return;
  }
  phase_ = Phase::closed;
  core_->untrack(this);
  core_->remove(this);
  if (fd_ >= 0) ::close(fd_);  // also takes it out of the Readiness set
  fd_ = -1;
  tls_.reset();
  pending_.clear();
  core_->buffers.give_back(out_);
  core_->buffers.give_back(tail_);
  out_sent_ = tail_sent_ = 0;
  auto waiters = std::move(drain_waiters_);
  for (auto& p : waiters) {
    p.set_error(Error(ErrorKind::unavailable, "the client closed the connection"));
  }
  peer_went_away();
  // The connection may go away with this reference, at the end of this call: whoever called
  // close() holds one of its own (an event batch, a timer, a handler's sink).
  auto last = std::move(self_);
}

BufferPool& Connection::buffers() noexcept {
  return core_->buffers;
}

void Connection::recycle(std::unique_ptr<HTTPServerRequest> request) noexcept {
  core_->recycle(std::move(request));
}

std::shared_ptr<UpgradedConnection> Connection::upgraded() const noexcept {
  return upgraded_;
}

bool Connection::peer_gone() const noexcept {
  if (phase_ == Phase::upgraded) {
    return !upgraded_ || upgraded_->peer_gone();
  }
  return peer_closed_ || phase_ == Phase::closed;
}

void Connection::watch_peer(RequestHandler* handler) noexcept {
  if (phase_ == Phase::upgraded) {
    if (upgraded_) return upgraded_->watch_peer(handler);
    if (handler != nullptr) handler->notify_connection_close();
    return;
  }
  peer_watch_ = handler;
  if (peer_gone()) peer_went_away();
}

void Connection::peer_went_away() noexcept {
  if (auto* h = std::exchange(peer_watch_, nullptr)) h->notify_connection_close();
}

void Connection::abort() noexcept {
  if (phase_ == Phase::upgraded) {
    if (auto up = upgraded_) up->close();
    return;
  }
  auto keep = shared_from_this();
  close();
}

bool Connection::closing() const noexcept {
  return core_->closing;
}

// --- after an upgrade

bool Connection::upgrade(const std::shared_ptr<UpgradedConnection>& up) {
  if (phase_ == Phase::closed || phase_ == Phase::lingering || phase_ == Phase::upgraded) {
    return false;
  }
  core_->untrack(this);
  std::string unsent = out_.substr(out_sent_);  // the rest of the last response goes first
  unsent.append(tail_, tail_sent_);
  core_->buffers.give_back(out_);
  core_->buffers.give_back(tail_);
  out_sent_ = tail_sent_ = 0;
  phase_ = Phase::upgraded;
  upgraded_ = up;
  up->take_over(core_, std::exchange(fd_, -1), std::move(tls_), std::move(unsent), readable_,
                peer_closed_, this);
  if (!pending_.empty()) {  // a handshake that finished later: what came behind its request
    up->early_input(pending_.data(), pending_.size());
    std::string().swap(pending_);
  }
  if (auto* h = std::exchange(peer_watch_, nullptr)) up->watch_peer(h);
  // Off the server's lists; alive while the handler holds it.
  auto last = std::move(self_);
  return true;
}

}  // namespace gale::web::detail
