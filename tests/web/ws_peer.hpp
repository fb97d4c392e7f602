// A WebSocket peer for tests that send exact bytes: its handshake and frames are written here by
// hand (masked or not, fragmented, malformed on purpose), and what the server sends back is read
// frame by frame. It runs on the test's loop, beside the server, with a deadline on every read.
#pragma once

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/web/detail/client_socket.hpp"

namespace gale::testing {

struct WsFrame {
  bool fin = true;
  bool rsv1 = false;
  int opcode = 0;
  std::string payload;
  // A close frame's code (0 when it has none).
  int close_code() const {
    if (opcode != 8 || payload.size() < 2) return 0;
    return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
  }
};

// One frame as a client sends it (masked unless told otherwise). `rsv`: the three reserved bits.
inline std::string ws_frame(int opcode, std::string_view payload, bool fin = true,
                            bool masked = true, int rsv = 0) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | ((rsv & 7) << 4) | opcode));
  const char mask_bit = masked ? static_cast<char>(0x80) : 0;
  std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | static_cast<char>(n)));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  }
  std::array<unsigned char, 4> mask{};
  if (masked) {
    RAND_bytes(mask.data(), 4);
    out.append(reinterpret_cast<const char*>(mask.data()), 4);
  }
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(static_cast<char>(payload[i] ^ (masked ? mask[i % 4] : 0)));
  }
  return out;
}

inline std::string close_payload(int code, std::string_view reason = {}) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason);
  return p;
}

class WsPeer {
 public:
  // Connects and sends the handshake for `path` with `extra` header lines ("Name: value\r\n").
  static Future<WsPeer> connect(std::uint16_t port, std::string path, std::string extra = {}) {
    return connect_with(port, std::move(path), std::move(extra), std::string());
  }
  // The same, with `after` (frames, say) in the same write right behind the handshake.
  static Future<WsPeer> connect_with(std::uint16_t port, std::string path, std::string extra,
                                     std::string after) {
    WsPeer p;
    web::detail::ParsedUrl u;
    u.host = "127.0.0.1";
    u.port = port;
    p.s_->conn = co_await web::detail::open_connection(
        IOLoop::current(), u, Clock::now() + std::chrono::seconds(5), nullptr, false, "test");
    co_await p.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                    extra + "\r\n" + after);
    auto& buf = p.s_->buf;
    while (buf.find("\r\n\r\n") == std::string::npos) {
      if (!co_await p.fill(std::chrono::seconds(5))) break;
    }
    auto end = buf.find("\r\n\r\n");
    p.head_ = buf.substr(0, end == std::string::npos ? buf.size() : end + 4);
    buf.erase(0, p.head_.size());
    co_return p;
  }

  // A plain HTTP request instead of a handshake (an event stream, say); read_until() reads on.
  static Future<WsPeer> raw(std::uint16_t port, std::string request) {
    WsPeer p;
    web::detail::ParsedUrl u;
    u.host = "127.0.0.1";
    u.port = port;
    p.s_->conn = co_await web::detail::open_connection(
        IOLoop::current(), u, Clock::now() + std::chrono::seconds(5), nullptr, false, "test");
    co_await p.send(std::move(request));
    co_return p;
  }

  // Everything read so far, once it holds `needle` (or when `timeout` passed, or the end came).
  Future<std::string> read_until(std::string needle,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto until = Clock::now() + timeout;
    while (s_->buf.find(needle) == std::string::npos && Clock::now() < until) {
      if (!co_await fill(until - Clock::now()) && s_->ended) break;
    }
    co_return s_->buf;
  }

  const std::string& head() const { return head_; }
  int status() const { return head_.size() > 12 ? std::stoi(head_.substr(9, 3)) : 0; }

  Future<void> send(std::string bytes) {
    return web::detail::write_all(s_->conn, std::make_shared<std::string>(std::move(bytes)));
  }

  // The next frame from the server; nullopt once the connection ended (or after `timeout`).
  Future<std::optional<WsFrame>> read_frame(
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto until = Clock::now() + timeout;
    for (;;) {
      if (auto f = take()) co_return f;
      if (Clock::now() >= until) co_return std::nullopt;
      if (!co_await fill(until - Clock::now())) co_return std::nullopt;
    }
  }

  // The next frame that is not a ping (pings answered), or nullopt.
  Future<std::optional<WsFrame>> read_data_or_close() {
    for (;;) {
      auto f = co_await read_frame();
      if (!f || f->opcode != 9) co_return f;
      co_await send(ws_frame(10, f->payload));
    }
  }

  // Whether the server closed the TCP connection within `timeout` (frames before the end dropped).
  Future<bool> ended(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      s_->buf.clear();
      if (!co_await fill(until - Clock::now())) co_return s_->ended;
    }
    co_return false;
  }

  void close_socket() {
    asio::error_code ec;
    s_->conn->socket.close(ec);
  }

 private:
  // Reads more within `timeout`: false when nothing came (the connection ended, or the time
  // passed: a read still pending is kept for the next call, never doubled).
  Future<bool> fill(Clock::duration timeout) {
    auto s = s_;
    if (s->ended) co_return false;
    if (!s->pending) {  // a buffer only while a read is out: an idle peer holds none
      s->buffer = std::make_shared<std::array<char, 16384>>();
      s->pending = web::detail::read_some(s->conn, s->buffer);
    }
    try {
      std::size_t n = co_await gale::with_timeout(timeout, *s->pending);
      s->pending.reset();
      if (n == 0) s->ended = true;
      s->buf.append(s->buffer->data(), n);
      s->buffer.reset();
      co_return n > 0;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::timeout) co_return false;
      s->pending.reset();
      s->ended = true;
      co_return false;
    } catch (const std::exception&) {
      s->pending.reset();
      s->ended = true;
      co_return false;
    }
  }

  std::optional<WsFrame> take() {
    auto& buf_ = s_->buf;
    if (buf_.size() < 2) return std::nullopt;
    auto b0 = static_cast<unsigned char>(buf_[0]);
    auto b1 = static_cast<unsigned char>(buf_[1]);
    std::size_t at = 2;
    std::uint64_t len = b1 & 0x7F;
    if (len == 126) {
      if (buf_.size() < 4) return std::nullopt;
      len = (static_cast<unsigned char>(buf_[2]) << 8) | static_cast<unsigned char>(buf_[3]);
      at = 4;
    } else if (len == 127) {
      if (buf_.size() < 10) return std::nullopt;
      len = 0;
      for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<unsigned char>(buf_[i]);
      at = 10;
    }
    if (buf_.size() < at + len) return std::nullopt;
    WsFrame f;
    f.fin = (b0 & 0x80) != 0;
    f.rsv1 = (b0 & 0x40) != 0;
    f.opcode = b0 & 0x0F;
    f.payload = buf_.substr(at, len);
    buf_.erase(0, at + len);
    return f;
  }

  struct State {
    web::detail::ConnPtr conn;
    std::string buf;
    std::shared_ptr<std::array<char, 16384>> buffer;
    std::optional<Future<std::size_t>> pending;
    bool ended = false;
  };
  std::shared_ptr<State> s_ = std::make_shared<State>();
  std::string head_;
};

}  // namespace gale::testing
