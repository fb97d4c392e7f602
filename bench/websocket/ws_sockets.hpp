// The benchmarks' WebSocket client sockets (ws_load, live_load): a handshake, then whole frames
// out of what is read, many at once on one io_context. Benchmark code, not part of gale.
#pragma once

#include <asio.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ws_bench {

using asio::ip::tcp;

// One WebSocket: handshake, then whole frames out of what is read.
struct Socket : std::enable_shared_from_this<Socket> {
  explicit Socket(asio::io_context& io) : sock(io) {}
  tcp::socket sock;
  std::string in;
  std::array<char, 4096> buf{};
  bool open = false;

  // The length of the first whole frame in `in` and its payload's offset, or 0.
  std::pair<std::size_t, std::size_t> frame_at() const {
    if (in.size() < 2) return {0, 0};
    std::size_t len = static_cast<unsigned char>(in[1]) & 0x7F, at = 2;
    if (len == 126) {
      if (in.size() < 4) return {0, 0};
      len = (static_cast<unsigned char>(in[2]) << 8) | static_cast<unsigned char>(in[3]);
      at = 4;
    } else if (len == 127) {
      if (in.size() < 10) return {0, 0};
      len = 0;
      for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<unsigned char>(in[i]);
      at = 10;
    }
    if (in.size() < at + len) return {0, 0};
    return {at + len, at};
  }
};
using Ptr = std::shared_ptr<Socket>;

inline void connect(asio::io_context& io, int port, const std::string& path, std::vector<Ptr>& out,
                    std::size_t& ready) {
  auto s = std::make_shared<Socket>(io);
  out.push_back(s);
  s->sock.async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
      [s, path, &ready](const asio::error_code& ec) {
        if (ec) {
          std::cerr << "connect: " << ec.message() << "\n";
          std::exit(1);
        }
        s->sock.set_option(tcp::no_delay(true));
        auto req = std::make_shared<std::string>(
            "GET " + path +
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        asio::async_write(
            s->sock, asio::buffer(*req),
            [s, req, &ready](const asio::error_code& wec, std::size_t) {
              if (wec) std::exit(1);
              auto read_head = std::make_shared<std::function<void()>>();
              *read_head = [s, read_head, &ready] {
                s->sock.async_read_some(
                    asio::buffer(s->buf),
                    [s, read_head, &ready](const asio::error_code& rec, std::size_t n) {
                      if (rec) {
                        std::cerr << "handshake: " << rec.message() << "\n";
                        std::exit(1);
                      }
                      s->in.append(s->buf.data(), n);
                      auto end = s->in.find("\r\n\r\n");
                      if (end == std::string::npos) return (*read_head)();
                      if (s->in.rfind("HTTP/1.1 101", 0) != 0) {
                        std::cerr << "no 101: " << s->in.substr(0, 40) << "\n";
                        std::exit(1);
                      }
                      s->in.erase(0, end + 4);
                      s->open = true;
                      ++ready;
                    });
              };
              (*read_head)();
            });
      });
}

// Runs the context until `done` (it stops whenever it runs out of work: restarted each time).
template <class F>
inline void run_until(asio::io_context& io, F done) {
  while (!done()) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
}

inline std::vector<Ptr> open_sockets(asio::io_context& io, int port, const std::string& path,
                                     int n) {
  std::vector<Ptr> sockets;
  std::size_t ready = 0;
  for (int i = 0; i < n; ++i) {
    connect(io, port, path, sockets, ready);
    if (i % 500 == 499) run_until(io, [&] { return ready == sockets.size(); });
  }
  run_until(io, [&] { return ready == sockets.size(); });
  return sockets;
}

}  // namespace ws_bench
