// websocket_connect: the client's side of RFC 6455 (and of permessage-deflate, when offered), on
// the connection code the HTTP client uses. A reader coroutine takes frames off the socket as they
// come (answering pings) into a bounded inbox; read_message() takes from it.
#include <fmt/format.h>
#include <http_parser.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <deque>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"
#include "gale/web/detail/client_socket.hpp"
#include "gale/web/detail/utf8.hpp"
#include "gale/web/detail/websocket_deflate.hpp"
#include "gale/web/detail/websocket_frame.hpp"
#include "gale/web/websocket.hpp"

namespace gale::web {
namespace {

namespace ws = detail::ws;
constexpr std::size_t kInboxBound =
    64;  // messages read ahead of read_message(); then the reader waits

Error closed_error() {
  return Error(ErrorKind::unavailable, "websocket_connect: the WebSocket is closed");
}

std::string random_key() {
  std::array<unsigned char, 16> raw{};
  RAND_bytes(raw.data(), static_cast<int>(raw.size()));
  std::array<unsigned char, 32> out{};
  int n = EVP_EncodeBlock(out.data(), raw.data(), static_cast<int>(raw.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

// The handshake response's status line and headers; where they end in the buffer.
struct ResponseHead {
  http_parser parser{};
  int status = 0;
  HTTPHeaders headers;
  bool last_was_value = false;
  bool complete = false;

  static ResponseHead& of(http_parser* p) { return *static_cast<ResponseHead*>(p->data); }
  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings x;
      http_parser_settings_init(&x);
      x.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
        ResponseHead& r = of(p);
        auto& f = r.headers.fields();
        if (f.empty() || r.last_was_value) {
          f.emplace_back(std::string(at, n), std::string());
        } else {
          f.back().first.append(at, n);
        }
        r.last_was_value = false;
        return 0;
      };
      x.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
        ResponseHead& r = of(p);
        r.headers.fields().back().second.append(at, n);
        r.last_was_value = true;
        return 0;
      };
      x.on_headers_complete = [](http_parser* p) {
        ResponseHead& r = of(p);
        r.status = p->status_code;
        r.complete = true;  // a 101 with Upgrade ends here: the parser stops, frames follow
        return 0;
      };
      return x;
    }();
    return s;
  }
};

}  // namespace

struct WebSocketClientConnection::State : ws::FrameSink, std::enable_shared_from_this<State> {
  State(IOLoop& l, WebSocketConnectOptions o)
      : loop(l), options(std::move(o)), decoder(false, false) {}

  IOLoop& loop;
  WebSocketConnectOptions options;
  detail::ConnPtr conn;
  std::shared_ptr<asio::ssl::context> tls;
  ws::FrameDecoder decoder;
  std::optional<ws::DeflateParams> deflate;
  std::unique_ptr<ws::Inflater> inflater;
  HTTPHeaders response_headers;
  std::string subprotocol;
  // Input.
  ws::FrameHeader frame;
  std::string message;
  std::string control;
  ws::Opcode message_opcode = ws::Opcode::text;
  bool message_compressed = false;
  detail::Utf8Stream utf8;
  std::deque<WebSocketMessage> inbox;
  std::optional<Promise<std::optional<WebSocketMessage>>> waiter;
  TimeoutHandle waiter_timer;
  std::optional<Promise<void>> room;  // the reader waits here while the inbox is full
  std::size_t pongs = 0;
  // Output, in order.
  std::deque<std::pair<std::shared_ptr<std::string>, std::optional<Promise<void>>>> out;
  bool writing = false;
  // Closing.
  bool close_sent = false;
  bool close_received = false;
  bool finished = false;  // the socket is done
  std::optional<std::uint16_t> close_code;
  std::string close_reason;
  std::vector<Promise<void>> closed_waiters;

  Future<void> send_frame(ws::Opcode opcode, std::string_view payload, bool allow_compress);
  void pump();
  Future<void> reader(std::string early);
  void finish(std::uint16_t code, std::string reason) noexcept;
  bool fail(std::uint16_t code, std::string reason);
  void deliver(WebSocketMessage m);
  void on_close_frame();

  bool on_frame_begin(const ws::FrameHeader& h) override {
    frame = h;
    if (ws::is_control(h.opcode)) {
      control.clear();
    } else if (h.opcode != ws::Opcode::continuation) {
      message_opcode = h.opcode;
      message_compressed = h.rsv1;
      message.clear();
      utf8.reset();
    }
    return true;
  }
  bool on_frame_data(char* data, std::size_t size) override {
    if (ws::is_control(frame.opcode)) {
      control.append(data, size);
      return true;
    }
    const std::size_t before = message.size();
    const std::size_t limit = options.max_message_size;
    if (message_compressed) {
      if (!inflater)
        inflater = std::make_unique<ws::Inflater>(!deflate->server_no_context_takeover);
      if (!inflater->feed(data, size, message, limit))
        return fail(ws::kCloseTooBig, "a message inflates beyond max_message_size");
    } else {
      if (size > limit - before)
        return fail(ws::kCloseTooBig, "a message larger than max_message_size");
      message.append(data, size);
    }
    if (message_opcode == ws::Opcode::text &&
        !utf8.feed(std::string_view(message).substr(before))) {
      return fail(ws::kCloseInvalidData, "a text message that is not valid UTF-8");
    }
    return true;
  }
  bool on_frame_end() override {
    if (frame.opcode == ws::Opcode::ping) {
      (void)send_frame(ws::Opcode::pong, control, false);
      return true;
    }
    if (frame.opcode == ws::Opcode::pong) {
      ++pongs;
      return true;
    }
    if (frame.opcode == ws::Opcode::close) {
      on_close_frame();
      return false;
    }
    if (!frame.fin) return true;
    if (message_compressed) {
      const std::size_t before = message.size();
      if (!inflater)
        inflater = std::make_unique<ws::Inflater>(!deflate->server_no_context_takeover);
      if (!inflater->finish(message, options.max_message_size))
        return fail(ws::kCloseTooBig, "a message inflates beyond max_message_size");
      if (message_opcode == ws::Opcode::text &&
          !utf8.feed(std::string_view(message).substr(before))) {
        return fail(ws::kCloseInvalidData, "a text message that is not valid UTF-8");
      }
    }
    if (message_opcode == ws::Opcode::text && !utf8.complete()) {
      return fail(ws::kCloseInvalidData, "a text message that ends inside a UTF-8 sequence");
    }
    deliver(WebSocketMessage{std::exchange(message, std::string()),
                             message_opcode == ws::Opcode::binary});
    return true;
  }
};

// --- output

Future<void> WebSocketClientConnection::State::send_frame(ws::Opcode opcode,
                                                          std::string_view payload,
                                                          bool allow_compress) {
  if (finished || close_sent) return make_exceptional_future<void>(closed_error());
  std::string body;
  bool rsv1 = false;
  if (allow_compress && deflate) {
    ws::Deflater(deflate->client_max_window_bits, false).compress(payload, body);
    rsv1 = true;
  } else {
    body.assign(payload);
  }
  std::array<std::uint8_t, 4> mask{};
  RAND_bytes(mask.data(), static_cast<int>(mask.size()));
  auto frame_bytes = std::make_shared<std::string>();
  ws::append_header(*frame_bytes, opcode, true, rsv1, body.size(), &mask);
  ws::apply_mask(body.data(), body.size(), mask, 0);
  frame_bytes->append(body);
  if (opcode == ws::Opcode::close) close_sent = true;
  out.emplace_back(std::move(frame_bytes), Promise<void>());
  Future<void> done = out.back().second->get_future();
  pump();
  return done;
}

// Writes the queued frames one after the other.
void WebSocketClientConnection::State::pump() {
  if (writing || out.empty() || !conn) return;
  writing = true;
  auto data = out.front().first;
  detail::write_all(conn, data)
      .add_done_callback([self = shared_from_this()](const Future<void>& f) {
        self->writing = false;
        auto entry = std::move(self->out.front());
        self->out.pop_front();
        if (f.exception()) {
          entry.second->set_exception(f.exception());
          for (auto& [bytes, p] : self->out) p->set_error(closed_error());
          self->out.clear();
          self->finish(ws::kCloseAbnormal, "the connection broke while writing");
          return;
        }
        entry.second->set_value();
        self->pump();
      });
}

// --- input

void WebSocketClientConnection::State::deliver(WebSocketMessage m) {
  if (waiter) {
    auto p = std::move(*waiter);
    waiter.reset();
    waiter_timer.cancel();
    p.set_value(std::move(m));
    return;
  }
  inbox.push_back(std::move(m));
}

void WebSocketClientConnection::State::on_close_frame() {
  close_received = true;
  std::uint16_t code = ws::kCloseNoStatus;
  std::string reason;
  if (control.size() >= 2) {
    code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(control[0]) << 8) |
                                      static_cast<std::uint8_t>(control[1]));
    reason = control.substr(2);
  }
  if (!close_code) {
    close_code = code;
    close_reason = reason;
  }
  if (!close_sent) {
    std::string payload = control.size() >= 2 ? control.substr(0, 2) : std::string();
    (void)send_frame(ws::Opcode::close, payload, false);
  }
}

bool WebSocketClientConnection::State::fail(std::uint16_t code, std::string reason) {
  if (!close_code) {
    close_code = code;
    close_reason = reason;
  }
  if (!close_sent) {
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    (void)send_frame(ws::Opcode::close, payload, false);
  }
  return false;
}

void WebSocketClientConnection::State::finish(std::uint16_t code, std::string reason) noexcept {
  if (finished) return;
  finished = true;
  if (!close_code) {
    close_code = code;
    close_reason = std::move(reason);
  }
  if (conn) {
    asio::error_code ec;
    conn->socket.close(ec);
  }
  if (waiter) {
    auto p = std::move(*waiter);
    waiter.reset();
    waiter_timer.cancel();
    p.set_value(std::nullopt);
  }
  if (room) {
    room->set_value();
    room.reset();
  }
  for (auto& p : closed_waiters) p.set_value();
  closed_waiters.clear();
}

// Reads until the connection ends: frames to the inbox, within its bound.
Future<void> WebSocketClientConnection::State::reader(std::string early) {
  auto self = shared_from_this();
  auto buffer = std::make_shared<std::array<char, 16384>>();
  std::string pending = std::move(early);
  try {
    while (!finished) {
      if (!pending.empty()) {
        decoder.feed(pending.data(), pending.size(), *this);
        pending.clear();
      }
      if (decoder.error() != nullptr) fail(ws::kCloseProtocolError, decoder.error());
      if (close_received && close_sent) break;
      while (inbox.size() >= kInboxBound && !finished) {
        room.emplace();
        co_await room->get_future();
      }
      std::size_t n = co_await detail::read_some(conn, buffer);
      if (n == 0) break;
      pending.assign(buffer->data(), n);
    }
  } catch (const std::exception& e) {
    log::debug("gale.web", "websocket_connect: reading ended: {}", e.what());
  }
  finish(ws::kCloseAbnormal, "the connection ended without a close frame");
}

// --- the handle

WebSocketClientConnection::WebSocketClientConnection(std::shared_ptr<State> state)
    : state_(std::move(state)) {}
WebSocketClientConnection::WebSocketClientConnection(WebSocketClientConnection&&) noexcept =
    default;
WebSocketClientConnection& WebSocketClientConnection::operator=(
    WebSocketClientConnection&&) noexcept = default;

WebSocketClientConnection::~WebSocketClientConnection() {
  if (!state_ || state_->finished) return;
  state_->inbox.clear();  // nobody reads them now: the reader must not wait for room
  if (state_->room) {
    state_->room->set_value();
    state_->room.reset();
  }
  if (!state_->close_sent) {
    std::string payload = {static_cast<char>(ws::kCloseNormal >> 8),
                           static_cast<char>(ws::kCloseNormal & 0xFF)};
    (void)state_->send_frame(ws::Opcode::close, payload, false);
  }
  // The reader ends when the server answers and closes (or the socket errs): no wait here.
}

Future<std::optional<WebSocketMessage>> WebSocketClientConnection::read_message() {
  auto& s = *state_;
  if (!s.inbox.empty()) {
    WebSocketMessage m = std::move(s.inbox.front());
    s.inbox.pop_front();
    if (s.room) {
      s.room->set_value();
      s.room.reset();
    }
    return make_ready_future(std::optional<WebSocketMessage>(std::move(m)));
  }
  if (s.finished) return make_ready_future(std::optional<WebSocketMessage>());
  if (s.waiter) {
    return make_exceptional_future<std::optional<WebSocketMessage>>(
        Error(ErrorKind::internal, "websocket_connect: read_message() is already waiting"));
  }
  s.waiter.emplace();
  return s.waiter->get_future();
}

Future<std::optional<WebSocketMessage>> WebSocketClientConnection::read_message(
    std::chrono::milliseconds timeout) {
  auto f = read_message();
  if (f.done() || !state_->waiter) return f;
  std::weak_ptr<State> weak = state_;
  state_->waiter_timer = state_->loop.call_later(timeout, [weak, timeout] {
    auto s = weak.lock();
    if (!s || !s->waiter) return;
    auto p = std::move(*s->waiter);
    s->waiter.reset();
    p.set_error(Error(ErrorKind::timeout,
                      fmt::format("websocket_connect: no message within {} ms", timeout.count())));
  });
  return f;
}

Future<void> WebSocketClientConnection::write_message(std::string_view message, bool binary) {
  return state_->send_frame(binary ? ws::Opcode::binary : ws::Opcode::text, message, true);
}
Future<void> WebSocketClientConnection::write_message(std::string_view text) {
  return write_message(text, false);
}
Future<void> WebSocketClientConnection::ping(std::string_view data) {
  return state_->send_frame(ws::Opcode::ping, data.substr(0, 125), false);
}

Future<void> WebSocketClientConnection::close(std::uint16_t code, std::string_view reason,
                                              std::chrono::milliseconds timeout) {
  auto s = state_;
  if (!s->finished && !s->close_sent) {
    std::string payload = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    payload.append(reason.substr(0, 123));
    (void)s->send_frame(ws::Opcode::close, payload, false);
  }
  if (s->finished) return make_ready_future();
  s->closed_waiters.emplace_back();
  Future<void> done = s->closed_waiters.back().get_future();
  std::weak_ptr<State> weak = s;
  s->loop.call_later(timeout, [weak] {
    if (auto st = weak.lock())
      st->finish(ws::kCloseAbnormal, "no close frame from the server in time");
  });
  return done;
}
Future<void> WebSocketClientConnection::close() {
  return close(close_code::normal, {}, std::chrono::seconds(5));
}

std::optional<std::uint16_t> WebSocketClientConnection::close_code() const noexcept {
  return state_->close_code;
}
const std::string& WebSocketClientConnection::close_reason() const noexcept {
  return state_->close_reason;
}
const std::string& WebSocketClientConnection::selected_subprotocol() const noexcept {
  return state_->subprotocol;
}
const HTTPHeaders& WebSocketClientConnection::response_headers() const noexcept {
  return state_->response_headers;
}
std::size_t WebSocketClientConnection::pongs() const noexcept {
  return state_->pongs;
}

// --- connecting

namespace {

std::string handshake_request(const detail::ParsedUrl& u, const WebSocketConnectOptions& o,
                              const std::string& key) {
  bool default_port = u.port == (u.tls ? 443 : 80);
  std::string r = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: {}\r\n"
      "Sec-WebSocket-Version: 13\r\n",
      u.target, default_port ? u.host : fmt::format("{}:{}", u.host, u.port), key);
  if (!o.subprotocols.empty()) {
    std::string list;
    for (const auto& p : o.subprotocols) list += (list.empty() ? "" : ", ") + p;
    r += "Sec-WebSocket-Protocol: " + list + "\r\n";
  }
  if (o.compression) r += "Sec-WebSocket-Extensions: " + ws::deflate_offer() + "\r\n";
  for (const auto& [name, value] : o.headers.fields()) {
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      throw Error(ErrorKind::invalid_argument,
                  fmt::format("websocket_connect: unsafe header '{}'", name));
    }
    r += name + ": " + value + "\r\n";
  }
  return r + "\r\n";
}

// Checks the server's answer; Error(unavailable) saying what is wrong with it.
void check_response(const ResponseHead& head, const WebSocketConnectOptions& o,
                    const std::string& key, WebSocketClientConnection::State& s) {
  auto refuse = [](const std::string& why) {
    throw Error(ErrorKind::unavailable, "websocket_connect: " + why);
  };
  if (head.status != 101)
    refuse(fmt::format("the server answered HTTP {} instead of 101", head.status));
  const auto& h = head.headers;
  if (!iequals(h.get("Upgrade", ""), "websocket")) refuse("the 101 has no Upgrade: websocket");
  if (h.get("Sec-WebSocket-Accept", "") != ws::accept_key(key)) {
    refuse("the 101 has a wrong Sec-WebSocket-Accept");
  }
  if (auto p = h.get("Sec-WebSocket-Protocol")) {
    if (std::find(o.subprotocols.begin(), o.subprotocols.end(), std::string(*p)) ==
        o.subprotocols.end()) {
      refuse("the server chose a subprotocol that was not offered");
    }
    s.subprotocol = std::string(*p);
  }
  if (auto e = h.get("Sec-WebSocket-Extensions")) {
    auto params = o.compression ? ws::accept_deflate_response(*e) : std::nullopt;
    if (!params) refuse("the server answered with an extension that was not offered");
    s.deflate = params;
    s.decoder.allow_rsv1(true);
  }
  s.response_headers = h;
}

}  // namespace

Future<WebSocketClientConnection> websocket_connect(std::string url,
                                                    WebSocketConnectOptions options) {
  auto& loop = IOLoop::current();
  auto u = detail::parse_url(url, "websocket_connect", true);
  auto s = std::make_shared<WebSocketClientConnection::State>(loop, options);
  Clock::time_point until = Clock::now() + options.connect_timeout;
  if (u.tls)
    s->tls =
        detail::client_tls_context(options.ca_certs, options.validate_cert, "websocket_connect");
  s->conn = co_await detail::open_connection(loop, u, until, s->tls.get(), options.validate_cert,
                                             "websocket_connect");
  const std::string key = random_key();
  auto timed_out = std::make_shared<bool>(false);
  TimeoutHandle timer = loop.call_at(until, [conn = s->conn, timed_out] {
    *timed_out = true;
    asio::error_code ec;
    conn->socket.close(ec);
  });
  ResponseHead head;
  http_parser_init(&head.parser, HTTP_RESPONSE);
  head.parser.data = &head;
  std::string early;
  try {
    co_await detail::write_all(s->conn,
                               std::make_shared<std::string>(handshake_request(u, options, key)));
    auto buffer = std::make_shared<std::array<char, 16384>>();
    while (!head.complete) {
      std::size_t n = co_await detail::read_some(s->conn, buffer);
      if (n == 0)
        throw Error(ErrorKind::unavailable,
                    "websocket_connect: the server closed the connection during the handshake");
      std::size_t used =
          http_parser_execute(&head.parser, &ResponseHead::settings(), buffer->data(), n);
      auto err = HTTP_PARSER_ERRNO(&head.parser);
      if (err != HPE_OK && err != HPE_PAUSED) {
        throw Error(ErrorKind::unavailable,
                    fmt::format("websocket_connect: a malformed handshake response: {}",
                                http_errno_description(err)));
      }
      if (head.complete) early.assign(buffer->data() + used, n - used);
    }
  } catch (const Error& e) {
    if (!*timed_out) throw;
  } catch (const std::exception& e) {
    if (!*timed_out)
      throw Error(ErrorKind::unavailable, std::string("websocket_connect: ") + e.what());
  }
  timer.cancel();
  if (*timed_out) {
    throw Error(ErrorKind::timeout,
                fmt::format("websocket_connect: no handshake from {} within {} ms", url,
                            options.connect_timeout.count()));
  }
  check_response(head, options, key, *s);
  (void)s->reader(std::move(early));
  co_return WebSocketClientConnection(s);
}

Future<WebSocketClientConnection> websocket_connect(std::string url) {
  return websocket_connect(std::move(url), WebSocketConnectOptions{});
}

}  // namespace gale::web
