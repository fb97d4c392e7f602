#include "gale/web/detail/connection.hpp"

#include <fmt/format.h>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include <climits>

#include "gale/loop/log.hpp"
#include "gale/web/application.hpp"
#include "gale/web/headers.hpp"

namespace gale::web::detail {
namespace {

constexpr std::size_t kReadSize = 64 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);

// One read buffer per thread: the parser copies what it keeps, so no connection holds one.
char* read_buffer() {
  static thread_local std::array<char, kReadSize> buffer;
  return buffer.data();
}

}  // namespace

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

Connection::Connection(std::shared_ptr<ServerCore> core, Socket socket)
    : core_(std::move(core)), socket_(std::move(socket)) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  asio::error_code ec;
  auto peer = socket_.remote_endpoint(ec);
  if (!ec) remote_ip_ = peer.address().to_string();
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  core_->add(this);
}

Connection::~Connection() {
  close();
}

void Connection::start() {
  core_->track(this, kWaitIdle);
  wait_read();
}

// The request being received, for an error response: made up if none started yet.
HTTPServerRequest& Connection::request() {
  if (!req_) req_ = core_->take_request();
  if (req_->start_time == Clock::time_point()) req_->start_time = Clock::now();
  if (req_->remote_ip.empty()) req_->remote_ip = remote_ip_;
  return *req_;
}

// --- reading

void Connection::wait_read() {
  if (reading_ || phase_ == Phase::closed) return;
  reading_ = true;
  // A read, not a readiness wait: Asio re-arms epoll for a wait (one epoll_ctl per request) but
  // not for a read.
  socket_.async_read_some(asio::buffer(first_bytes_),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                            self->reading_ = false;
                            self->on_read(ec, n);
                          });
}

void Connection::on_read(const asio::error_code& ec, std::size_t n) {
  if (phase_ == Phase::closed) return;
  if (ec || n == 0) return close();                    // the peer closed (or reset) the connection
  if (phase_ == Phase::lingering) return wait_read();  // dropped: the connection is ending
  if (phase_ == Phase::handling) {
    pending_.append(first_bytes_.data(), n);  // never parsed while a handler runs: in order
    return;
  }
  feed(first_bytes_.data(), n);
  if (n == first_bytes_.size() && !drain_socket()) return;
  after_feed();
}

// Reads what else the socket holds into the loop's buffer while the parser wants more. False if
// the connection closed.
bool Connection::drain_socket() {
  while (phase_ == Phase::idle || phase_ == Phase::headers || phase_ == Phase::body) {
    if (close_after_write_) break;
    asio::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(read_buffer(), kReadSize), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec || n == 0) {
      close();
      return false;
    }
    feed(read_buffer(), n);
    if (n < kReadSize) break;
  }
  return phase_ != Phase::closed;
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
      if (phase_ == Phase::handling) {
        pending_.assign(data, size);  // waits for the handler, which answers asynchronously
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
  if (phase_ == Phase::closed || phase_ == Phase::lingering || phase_ == Phase::handling) return;
  if (close_after_write_) {
    if (!writing_ && nothing_to_write()) linger();
    return;
  }
  if (phase_ == Phase::idle) {
    if (core_->closing) return close();
    core_->track(this, kWaitIdle);
  }
  wait_read();
}

void Connection::dispatch() {
  auto req = std::move(req_);
  in_dispatch_ = true;
  core_->app.handle(std::move(req), shared_from_this());
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
  core_->app.handle_error(std::move(req), shared_from_this(), status, std::move(message));
  in_dispatch_ = false;
}

void Connection::on_timeout() {
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
  asio::error_code ec;
  if (socket_.available(ec) > 0 && !ec) return;
  close();
}

// --- writing

void Connection::send(std::string bytes, std::string tail, bool last, bool keep_alive) {
  if (phase_ == Phase::closed) return;
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
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->resume(); });
}

// An interim response (100 Continue): queued behind whatever is queued, written now.
void Connection::send_interim(std::string_view bytes) {
  (tail_.empty() ? out_ : tail_).append(bytes);
}

// Hands what is queued to the socket: one write (a gather write when a large body is queued);
// what the socket does not take waits for it asynchronously.
void Connection::flush() {
  if (writing_ || nothing_to_write() || phase_ == Phase::closed) return;
  asio::error_code ec;
  std::size_t n = 0;
  if (tail_.empty()) {
    n = socket_.write_some(asio::buffer(out_), ec);  // send(): the usual case
  } else {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(out_), asio::buffer(tail_)};
    n = socket_.write_some(buffers, ec);  // sendmsg() with both
  }
  if (!ec && n == out_.size() + tail_.size()) {
    core_->buffers.give_back(out_);
    core_->buffers.give_back(tail_);
    return on_written();
  }
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return close();
  if (!ec && n >= out_.size()) {
    tail_.erase(0, n - out_.size());
    out_.clear();
  } else if (!ec) {
    out_.erase(0, n);
  }
  // The socket's buffer is full: wait, with the idle timeout as the deadline for progress.
  writing_ = true;
  writing_buf_ = std::move(out_);
  writing_tail_ = std::move(tail_);
  out_.clear();
  tail_.clear();
  if (list < 0) core_->track(this, kWaitIdle);
  asio::async_write(
      socket_,
      std::array<asio::const_buffer, 2>{asio::buffer(writing_buf_), asio::buffer(writing_tail_)},
      [self = shared_from_this()](const asio::error_code& e, std::size_t) { self->on_write(e); });
}

void Connection::on_write(const asio::error_code& ec) {
  writing_ = false;
  core_->buffers.give_back(writing_buf_);
  core_->buffers.give_back(writing_tail_);
  if (phase_ == Phase::closed) return;
  if (ec) return close();
  if (phase_ == Phase::handling && list == kWaitIdle) core_->untrack(this);
  if (!nothing_to_write()) return flush();
  on_written();
  if (phase_ == Phase::idle && !close_after_write_ && !reading_ && pending_.empty()) after_feed();
}

void Connection::on_written() {
  for (auto& p : drain_waiters_) p.set_value();
  drain_waiters_.clear();
  if (close_after_write_ && phase_ == Phase::idle) linger();
}

Future<void> Connection::drained() {
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
  asio::error_code ec;
  socket_.shutdown(Socket::shutdown_send, ec);
  if (ec) return close();
  core_->untrack(this);
  std::weak_ptr<Connection> weak = weak_from_this();
  core_->loop.call_later(kLingerTime, [weak] {
    if (auto self = weak.lock()) self->close();
  });
  wait_read();
}

void Connection::close() noexcept {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  core_->untrack(this);
  core_->remove(this);
  asio::error_code ec;
  socket_.close(ec);
  pending_.clear();
  out_.clear();
  tail_.clear();
  auto waiters = std::move(drain_waiters_);
  for (auto& p : waiters) {
    p.set_error(Error(ErrorKind::unavailable, "the client closed the connection"));
  }
}

void Connection::abort() noexcept {
  close();
}

bool Connection::closing() const noexcept {
  return core_->closing;
}

}  // namespace gale::web::detail
