#include "gale/web/detail/websocket_session.hpp"

#include <openssl/rand.h>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"
#include "gale/web/broadcast.hpp"
#include "gale/web/detail/endpoint.hpp"
#include "gale/web/headers.hpp"
#include "gale/web/metrics.hpp"
#include "gale/web/request.hpp"
#include "gale/web/settings.hpp"
#include "gale/web/websocket.hpp"

namespace gale::web::detail {
namespace {

Error closed_error() {
  return Error(ErrorKind::unavailable, "the WebSocket is closed");
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason.substr(0, 123));  // a control frame carries at most 125 bytes
  return p;
}

// The request stays with the handler for the WebSocket's life (request() in on_message: cookies,
// the path, the client's address). It keeps what a handler may read, without the handshake's own
// fields (Sec-WebSocket-*, Upgrade, Connection, which mean nothing once it is done) and without
// room to spare: most of an idle WebSocket's memory was its request.
void compact(HTTPServerRequest& r) {
  auto& fields = r.headers.fields();
  std::erase_if(fields, [](const HTTPHeaders::Field& f) {
    return iequals(f.first, "Upgrade") || iequals(f.first, "Connection") ||
           (f.first.size() > 14 &&
            iequals(std::string_view(f.first).substr(0, 14), "Sec-WebSocket-"));
  });
  fields.shrink_to_fit();
  for (auto& [name, value] : fields) {
    name.shrink_to_fit();
    value.shrink_to_fit();
  }
  r.body = std::string();
  r.uri.shrink_to_fit();
}

}  // namespace

WebSocketSession::WebSocketSession(WebSocketHandler& handler,
                                   std::optional<ws::DeflateParams> deflate)
    : handler_(&handler), decoder_(true, deflate.has_value()), deflate_(deflate) {}

void WebSocketSession::attach() noexcept {
  ++metrics().long_lived().websockets;
}

WebSocketSession::~WebSocketSession() {
  leave_broadcasts();
}

void WebSocketSession::adopt(std::unique_ptr<RequestHandler> owner) {
  owner_ = std::move(owner);
  opened_ = true;
  if (handler_ != nullptr) {
    handler_->release_sink();  // the HTTP connection goes: this session has the socket
    compact(handler_->request());
  }
  if (state_ == State::closed) {  // the connection closed while open() ran
    on_closed();
    return;
  }
  if (socket_open()) {
    read(true);
    arm_ping();
  }
}

// The next ping is due websocket_ping_interval from now (0: no pings).
void WebSocketSession::arm_ping() noexcept {
  if (socket_open()) wait(settings().websocket_ping_interval.count() > 0 ? kWaitPing : -1);
}

WebSocketSession::Rare& WebSocketSession::rare() {
  if (!rare_) rare_ = std::make_unique<Rare>();
  return *rare_;
}

ws::Inflater& WebSocketSession::inflater() {
  auto& i = rare().inflater;
  if (!i) i = std::make_unique<ws::Inflater>(!deflate_->client_no_context_takeover);
  return *i;
}

// Lets go of the rare state once it holds nothing that lasts (a ping answered, a backlog read).
void WebSocketSession::trim_rare() noexcept {
  if (!rare_ || in_message_ || !rare_->backlog.empty() || !rare_->close_reason.empty() ||
      !rare_->subprotocol.empty() || rare_->deflater) {
    return;
  }
  if (rare_->inflater && !deflate_->client_no_context_takeover) return;
  rare_.reset();
}

const std::string& WebSocketSession::close_reason() const noexcept {
  static const std::string none;
  return rare_ ? rare_->close_reason : none;
}

const std::string& WebSocketSession::subprotocol() const noexcept {
  static const std::string none;
  return rare_ ? rare_->subprotocol : none;
}

// --- input

void WebSocketSession::on_data(char* data, std::size_t size) {
  if (state_ == State::closed) return;
  if (busy_ || (rare_ && !rare_->backlog.empty())) {
    rare().backlog.append(data, size);
    return;
  }
  decode(data, size);
}

void WebSocketSession::decode(char* data, std::size_t size) {
  auto self = shared_from_this();  // a handler may close the socket (and let go of it) inside
  std::size_t used = decoder_.feed(data, size, *this);
  if (decoder_.error() != nullptr) {
    fail(ws::kCloseProtocolError, decoder_.error());
    return;
  }
  if (used < size && busy_ && state_ != State::closed)
    rare().backlog.assign(data + used, size - used);
}

bool WebSocketSession::on_frame_begin(const ws::FrameHeader& header) {
  if (close_received_) return false;  // nothing counts after a close frame
  frame_opcode_ = header.opcode;
  frame_fin_ = header.fin;
  if (ws::is_control(header.opcode)) {
    rare().control.clear();
    return true;
  }
  if (header.opcode != ws::Opcode::continuation) {
    message_opcode_ = header.opcode;
    message_compressed_ = header.rsv1;
    in_message_ = true;
    message_.clear();
    utf8_.reset();
  }
  return true;
}

bool WebSocketSession::on_frame_data(char* data, std::size_t size) {
  if (ws::is_control(frame_opcode_)) {
    rare().control.append(data, size);
    return true;
  }
  return take_data(data, size);
}

// Payload bytes of a data message: inflated when compressed, within the size bound, and, for
// text, checked as UTF-8 as they come (a message split inside a character is fine).
bool WebSocketSession::take_data(const char* data, std::size_t size) {
  if (state_ != State::open) return true;  // after our close frame: read and dropped
  const std::size_t limit = settings().websocket_max_message_size;
  const std::size_t before = message_.size();
  if (message_compressed_) {
    if (!inflater().feed(data, size, message_, limit)) {
      return message_.size() > limit
                 ? fail(ws::kCloseTooBig, "a message inflates beyond websocket_max_message_size")
                 : fail(ws::kCloseInvalidData, "a compressed message that does not inflate");
    }
  } else {
    if (size > limit - before) {
      return fail(ws::kCloseTooBig, "a message larger than websocket_max_message_size");
    }
    message_.append(data, size);
  }
  if (message_opcode_ == ws::Opcode::text &&
      !utf8_.feed(std::string_view(message_).substr(before))) {
    return fail(ws::kCloseInvalidData, "a text message that is not valid UTF-8");
  }
  return true;
}

bool WebSocketSession::on_frame_end() {
  if (ws::is_control(frame_opcode_)) return on_control();
  if (!frame_fin_ || state_ != State::open) return true;
  return end_message();
}

bool WebSocketSession::end_message() {
  if (message_compressed_) {
    const std::size_t before = message_.size();
    const std::size_t limit = settings().websocket_max_message_size;
    bool ok = inflater().finish(message_, limit);  // a message of no bytes has none made yet
    if (!ok) {
      return message_.size() > limit
                 ? fail(ws::kCloseTooBig, "a message inflates beyond websocket_max_message_size")
                 : fail(ws::kCloseInvalidData, "a compressed message that does not inflate");
    }
    if (message_opcode_ == ws::Opcode::text &&
        !utf8_.feed(std::string_view(message_).substr(before))) {
      return fail(ws::kCloseInvalidData, "a text message that is not valid UTF-8");
    }
  }
  if (message_opcode_ == ws::Opcode::text && !utf8_.complete()) {
    return fail(ws::kCloseInvalidData, "a text message that ends inside a UTF-8 sequence");
  }
  std::string message = std::move(message_);
  message_ = std::string();  // an idle socket keeps no buffer
  in_message_ = false;
  trim_rare();
  return deliver(std::move(message), message_opcode_ == ws::Opcode::binary);
}

// Hands a message to on_message; false (decoding pauses) while its Future is pending.
bool WebSocketSession::deliver(std::string message, bool binary) {
  ++metrics().long_lived().messages_in;
  if (handler_ == nullptr) return true;
  Future<void> done;
  auto text = std::make_shared<std::string>(std::move(message));  // alive until on_message ends
  try {
    done = handler_->on_message(*text, binary);
  } catch (...) {
    done = make_exceptional_future<void>(std::current_exception());
  }
  if (!done.valid() || done.done()) {
    message_done(done);
    return state_ == State::open;
  }
  busy_ = true;
  if (socket_open()) read(false);
  done.add_done_callback([self = me(), text](const Future<void>& f) {
    self->message_done(f);
    if (self->state_ == State::closed) return self->release_handler();
    // What came in meanwhile, then the socket again.
    std::string backlog;
    if (self->rare_) backlog = std::exchange(self->rare_->backlog, std::string());
    if (!backlog.empty()) self->decode(backlog.data(), backlog.size());
    self->trim_rare();
    if (!self->busy_ && self->socket_open() && self->state_ != State::closed) {
      self->read(true);
    }
  });
  return false;
}

void WebSocketSession::message_done(const Future<void>& done) {
  busy_ = false;
  if (!done.valid() || done.exception() == nullptr) return;
  log::error("gale.web", "on_message failed ({}): {}",
             handler_ != nullptr ? handler_->request().request_id : std::string("-"),
             describe(done.exception()));
  fail(ws::kCloseInternal, "the server failed to handle a message");
}

// --- control frames

bool WebSocketSession::on_control() {
  auto self = shared_from_this();
  switch (frame_opcode_) {
    case ws::Opcode::ping:
      if (state_ == State::open) send_control(ws::Opcode::pong, rare().control);
      if (handler_ != nullptr) handler_->on_ping(rare().control);
      trim_rare();
      return true;
    case ws::Opcode::pong:
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        if (state_ == State::open) arm_ping();
      }
      if (handler_ != nullptr) handler_->on_pong(rare().control);
      trim_rare();
      return true;
    default:
      on_close_frame();
      return false;
  }
}

void WebSocketSession::on_close_frame() {
  close_received_ = true;
  if (rare().control.size() == 1) {
    fail(ws::kCloseProtocolError, "a close frame with a one-byte payload");
    return;
  }
  std::uint16_t code = ws::kCloseNoStatus;
  std::string reason;
  if (rare().control.size() >= 2) {
    code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(rare().control[0]) << 8) |
                                      static_cast<std::uint8_t>(rare().control[1]));
    reason = rare().control.substr(2);
    if (!ws::valid_close_code(code)) {
      fail(ws::kCloseProtocolError, "a close frame with an invalid code");
      return;
    }
    if (!valid_utf8(reason)) {
      fail(ws::kCloseInvalidData, "a close reason that is not valid UTF-8");
      return;
    }
  }
  if (!close_code_) {
    close_code_ = code;
    rare().close_reason = std::move(reason);
  }
  if (state_ == State::open) {  // the peer started it: answer with its code, then close
    if (code == ws::kCloseNoStatus) {
      send_control(ws::Opcode::close, {});
    } else {
      send_close(code, {});
    }
    state_ = State::closing;
  }
  if (socket_open()) close_after_write();  // the server closes the TCP connection first
}

// --- output

void WebSocketSession::send_control(ws::Opcode opcode, std::string_view payload) {
  if (!socket_open()) return;
  Segment s;
  ws::append_header(s.own, opcode, true, false, payload.size());
  s.own.append(payload);
  write(std::move(s));
}

void WebSocketSession::send_close(std::uint16_t code, std::string_view reason) {
  send_control(ws::Opcode::close, close_payload(code, reason));
}

// Whether `bytes` more may be queued; if not, the consumer is too slow: closed with 1008.
bool WebSocketSession::room_for(std::size_t bytes) {
  std::size_t queued = socket_open() ? queued_bytes() : 0;
  if (queued == 0 || queued + bytes <= settings().websocket_max_queued_bytes) return true;
  ++metrics().long_lived().slow_consumers;
  log::warning("gale.web",
               "closing a WebSocket that does not take what is written ({} bytes queued, "
               "bound {}) ({})",
               queued, settings().websocket_max_queued_bytes,
               handler_ != nullptr ? handler_->request().request_id : std::string("-"));
  if (socket_open()) drop_unsent();
  fail(ws::kClosePolicy, "too slow to take the messages sent");
  return false;
}

Future<void> WebSocketSession::send_message(std::string_view message, bool binary) {
  if (state_ != State::open || !socket_open()) return make_exceptional_future<void>(closed_error());
  Segment s;
  const auto opcode = binary ? ws::Opcode::binary : ws::Opcode::text;
  if (deflate_) {
    std::string body;
    if (deflate_->server_no_context_takeover) {
      ws::Deflater(deflate_->server_max_window_bits, false).compress(message, body);
    } else {
      if (!rare().deflater)
        rare().deflater = std::make_unique<ws::Deflater>(deflate_->server_max_window_bits, true);
      rare().deflater->compress(message, body);
    }
    ws::append_header(s.own, opcode, true, true, body.size());
    s.own.append(body);
  } else {
    s.own.reserve(ws::header_size(message.size(), false) + message.size());
    ws::append_header(s.own, opcode, true, false, message.size());
    s.own.append(message);
  }
  if (!room_for(s.own.size())) return make_exceptional_future<void>(closed_error());
  ++metrics().long_lived().messages_out;
  write(std::move(s));
  return socket_open() ? written() : make_exceptional_future<void>(closed_error());
}

void WebSocketSession::receive(SharedFrames& frames) {
  if (state_ != State::open || !socket_open()) return;
  const auto& frame = frames.websocket_frame(deflate_.has_value());
  if (!room_for(frame->size())) return;
  ++metrics().long_lived().messages_out;
  Segment s;
  s.shared = frame;
  write(std::move(s));
}

void WebSocketSession::send_ping(std::string_view data) {
  if (state_ == State::open) send_control(ws::Opcode::ping, data.substr(0, 125));
}

void WebSocketSession::start_close(std::uint16_t code, std::string_view reason) {
  if (state_ != State::open) return;
  state_ = State::closing;
  send_close(code, reason);
  if (socket_open()) wait(kWaitPong);  // the peer's close frame is due by then
}

// Fails the connection: a close frame with `code`, then the socket closes.
bool WebSocketSession::fail(std::uint16_t code, std::string reason) {
  if (state_ == State::closed) return false;
  log::info("gale.web", "closing a WebSocket with {}: {} ({})", code, reason,
            handler_ != nullptr ? handler_->request().request_id : std::string("-"));
  if (!close_code_) {
    close_code_ = code;
    rare().close_reason = reason;
  }
  if (state_ == State::open) send_close(code, reason);
  state_ = State::closing;
  if (socket_open()) close_after_write();
  if (socket_open()) wait(kWaitPong);  // the peer has that long to take it
  return false;
}

// --- the socket's events

void WebSocketSession::on_peer_closed() {
  if (!close_code_) {
    close_code_ = ws::kCloseAbnormal;
    rare().close_reason = "the connection ended without a close frame";
  }
  if (socket_open()) abort();
}

void WebSocketSession::on_timeout(int which) {
  if (!socket_open() || state_ == State::closed) return;
  if (which == kWaitPing) {
    if (busy_ || state_ != State::open) return arm_ping();
    std::array<unsigned char, 4> nonce{};
    RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
    send_ping(std::string_view(reinterpret_cast<const char*>(nonce.data()), nonce.size()));
    awaiting_pong_ = true;
    return wait(kWaitPong);
  }
  if (awaiting_pong_ && state_ == State::open) {
    ++metrics().long_lived().ping_timeouts;
    log::info("gale.web", "closing a WebSocket whose peer did not answer a ping within {} ms ({})",
              settings().websocket_ping_timeout.count(),
              handler_ != nullptr ? handler_->request().request_id : std::string("-"));
    close_code_ = ws::kCloseAbnormal;
    rare().close_reason = "no pong within websocket_ping_timeout";
  }
  abort();  // a dead peer, or no close frame in time after ours
}

void WebSocketSession::on_shutdown() {
  start_close(ws::kCloseGoingAway, "the server is shutting down");
}

void WebSocketSession::on_closed() noexcept {
  if (state_ != State::closed) {
    state_ = State::closed;
    if (!close_code_) close_code_ = ws::kCloseAbnormal;
    --metrics().long_lived().websockets;
    ++metrics().long_lived().closes[*close_code_];
    leave_broadcasts();
  }
  if (!opened_ || on_close_called_ || handler_ == nullptr) return;
  on_close_called_ = true;
  try {
    handler_->on_close();
  } catch (...) {
    log::error("gale.web", "on_close failed: {}", describe(std::current_exception()));
  }
  if (!busy_) release_handler();
}

void WebSocketSession::release_handler() noexcept {
  auto owner = std::move(owner_);  // the handler goes; this session may go with the last reference
  handler_ = nullptr;
}

}  // namespace gale::web::detail
