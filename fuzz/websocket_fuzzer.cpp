// The WebSocket path: bytes a client sends, a handshake (the upgrade request: its headers, the
// extension offers, subprotocols, origins) and then frames, through the server's own connection
// code, the frame decoder, permessage-deflate, message assembly and UTF-8 checks, control frames
// and the close handshake, into an echo handler. The connection is one end of a socketpair, as in
// http_request_fuzzer.cpp; the harness writes the input, closes its side for writing and reads
// until the server closes.
//
// Findings, besides crashes and leaks: a hang (the loop gives up after 5 s), output that is not an
// HTTP/1.1 response, and after a 101, output that is not well-formed server frames (masked, a
// reserved opcode, a control frame over 125 bytes, a close frame with a code that may not be sent).
#include <sys/socket.h>
#include <asio/local/stream_protocol.hpp>
#include <asio/write.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "gale/loop/log.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/connection.hpp"
#include "gale/web/detail/websocket_frame.hpp"
#include "gale/web/websocket.hpp"
#include "peer_exchange.hpp"

namespace {

using gale_fuzz::Exchange;
using gale_fuzz::finding;
using gale_fuzz::Peer;

using namespace gale::web;
namespace ws = gale::web::detail::ws;

struct Echo : WebSocketHandler {
  gale::Future<void> on_message(std::string_view message, bool binary) override {
    if (message == "close") {
      close(4000, "asked");
      co_return;
    }
    co_await write_message(message, binary);
  }
  std::optional<std::string> select_subprotocol(const std::vector<std::string>& offered) override {
    return offered.front();
  }
};

Settings harness_settings() {
  Settings s;
  s.access_log = false;
  s.handle_signals = false;
  s.max_header_size = 4096;
  s.websocket_max_message_size = 8192;
  s.websocket_max_queued_bytes = 65536;
  s.websocket_compression = true;
  return s;
}

struct Harness {
  Harness()
      : app({{"/ws", handler<Echo>()}}, harness_settings()),
        core(std::make_shared<detail::ServerCore>(app, loop)) {}
  gale::IOLoop loop;
  Application app;
  std::shared_ptr<detail::ServerCore> core;
};

// After the 101: every frame the server sent must be well-formed (a cut last frame is fine: the
// connection may end in the middle of one).
void check_frames(std::string_view out, const std::string& response) {
  std::size_t pos = 0;
  while (out.size() - pos >= 2) {
    auto b0 = static_cast<unsigned char>(out[pos]);
    auto b1 = static_cast<unsigned char>(out[pos + 1]);
    int opcode = b0 & 0x0F;
    if ((b1 & 0x80) != 0) finding("a masked server frame", response);
    if ((b0 & 0x30) != 0) finding("RSV2 or RSV3 in a server frame", response);
    if (opcode > 0xA || (opcode > 2 && opcode < 8)) finding("a reserved opcode", response);
    std::size_t at = pos + 2;
    std::uint64_t len = b1 & 0x7F;
    if (len == 126 || len == 127) {
      std::size_t n = len == 126 ? 2 : 8;
      if (out.size() - at < n) return;
      len = 0;
      for (std::size_t i = 0; i < n; ++i)
        len = (len << 8) | static_cast<unsigned char>(out[at + i]);
      at += n;
    }
    if (opcode >= 8 && len > 125) finding("a control frame over 125 bytes", response);
    if (out.size() - at < len) return;
    if (opcode == 8 && len >= 2) {
      auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(out[at]) << 8) |
                                             static_cast<unsigned char>(out[at + 1]));
      if (!ws::valid_close_code(code)) finding("a close code that may not be sent", response);
    }
    if (opcode == 8 && len == 1) finding("a close frame of one byte", response);
    pos = at + len;
  }
}

void check_response(const std::string& response) {
  if (response.empty()) return;
  if (response.rfind("HTTP/1.1 ", 0) != 0)
    finding("the output is not an HTTP/1.1 response", response);
  if (response.rfind("HTTP/1.1 101 ", 0) != 0) return;
  auto end = response.find("\r\n\r\n");
  if (end == std::string::npos) finding("a 101 without the end of its head", response);
  check_frames(std::string_view(response).substr(end + 4), response);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gale::log::set_level(gale::log::Level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness* h = new Harness();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  detail::Socket server_side(h->loop.context().get_executor());
  server_side.assign(asio::ip::tcp::v4(), fds[0]);
  std::make_shared<detail::Connection>(h->core, std::move(server_side))->start();
  auto exchange = std::make_shared<Exchange>(h->loop.context(), fds[1], input);
  exchange->start();
  try {
    h->loop.run_sync([&] { return exchange->done.get_future(); }, std::chrono::seconds(5));
  } catch (const gale::Error&) {
    finding("the server never closed the connection", exchange->response);
  }
  check_response(exchange->response);
  return 0;
}
