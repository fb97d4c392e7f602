// The client side of a harness that feeds the server one connection's bytes over a socketpair:
// Exchange writes the input, shuts down its sending side (the end of input), and keeps every byte
// the server answers until the server closes; `done` is set then. finding() reports what a
// harness found wrong, with the start of the answer, and aborts (libFuzzer's crash).
#pragma once

#include <asio/local/stream_protocol.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "gale/loop/future.hpp"

namespace gale_fuzz {

using Peer = asio::local::stream_protocol::socket;

struct Exchange : std::enable_shared_from_this<Exchange> {
  Exchange(asio::io_context& ctx, int fd, std::string_view input) : peer(ctx), request(input) {
    peer.assign(asio::local::stream_protocol(), fd);
  }
  void start() {
    auto self = shared_from_this();
    asio::async_write(peer, asio::buffer(request), [self](const asio::error_code&, std::size_t) {
      asio::error_code ignored;
      self->peer.shutdown(Peer::shutdown_send, ignored);
    });
    read();
  }
  void read() {
    auto self = shared_from_this();
    peer.async_read_some(asio::buffer(buffer), [self](const asio::error_code& ec, std::size_t n) {
      self->response.append(self->buffer.data(), n);
      if (ec) {
        self->done.set_value();
      } else {
        self->read();
      }
    });
  }
  Peer peer;
  std::string request;
  std::string response;
  std::array<char, 16384> buffer{};
  gale::Promise<void> done;
};

[[noreturn]] inline void finding(const char* what, const std::string& response) {
  std::fprintf(stderr, "%s; the server sent %zu bytes:\n%.*s\n", what, response.size(),
               static_cast<int>(std::min<std::size_t>(response.size(), 2000)), response.data());
  std::abort();
}

}  // namespace gale_fuzz
