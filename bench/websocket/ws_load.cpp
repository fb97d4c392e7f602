// The WebSocket benchmark's client (bench/websocket/run), the same for every server: plain Asio,
// one thread, raw frames (masked as RFC 6455 asks), so that the client costs little per message.
//
//   ws_load idle PORT N                 opens N sockets to /ws/idle, prints "ready", holds them
//                                       until its input closes
//   ws_load echo PORT CONNS SECONDS     CONNS sockets to /echo, each sending a 64-byte message and
//                                       waiting for it back; prints the messages echoed
//   ws_load broadcast PORT N ROUNDS     N sockets to /ws/room; each round POSTs a 256-byte message
//                                       to /rooms/room/messages and times its arrival on every
//                                       socket; prints p50, p99 and max per round (ms)
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <asio.hpp>

#include "ws_sockets.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string client_frame(int opcode, const std::string& payload) {
  std::string out;
  out.push_back(static_cast<char>(0x80 | opcode));
  std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  out.append(mask, 4);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return out;
}

using ws_bench::connect;
using ws_bench::open_sockets;
using ws_bench::Ptr;
using ws_bench::run_until;
using ws_bench::Socket;

// --- echo

// Sends a message, waits for it back, again, until the time is up.
struct Echoer {
  Ptr s;
  const std::string* frame;
  std::uint64_t* count;
  Clock::time_point until;

  void send() {
    asio::async_write(s->sock, asio::buffer(*frame),
                      [this](const asio::error_code& ec, std::size_t) {
                        if (!ec) wait();
                      });
  }
  void wait() {
    auto [len, at] = s->frame_at();
    if (len > 0) {
      s->in.erase(0, len);
      ++*count;
      if (Clock::now() < until) send();
      return;
    }
    s->sock.async_read_some(asio::buffer(s->buf),
                            [this](const asio::error_code& ec, std::size_t n) {
                              if (ec) return;
                              s->in.append(s->buf.data(), n);
                              wait();
                            });
  }
};

int run_echo(int port, int conns, int seconds) {
  asio::io_context io(1);
  auto sockets = open_sockets(io, port, "/echo", conns);
  const std::string frame = client_frame(1, std::string(64, 'e'));
  std::uint64_t count = 0;
  auto until = Clock::now() + std::chrono::seconds(seconds);
  std::vector<Echoer> echoers;
  echoers.reserve(sockets.size());
  for (auto& s : sockets) echoers.push_back(Echoer{s, &frame, &count, until});
  for (auto& e : echoers) e.send();
  io.restart();
  io.run_for(std::chrono::seconds(seconds + 5));
  std::printf("%llu\n", static_cast<unsigned long long>(count));
  return 0;
}

// --- broadcast

int run_broadcast(int port, int n, int rounds) {
  asio::io_context io(1);
  auto sockets = open_sockets(io, port, "/ws/room", n);
  std::string body(256, 'b');
  for (int round = 0; round < rounds; ++round) {
    std::vector<double> ms;
    ms.reserve(sockets.size());
    Clock::time_point t0;
    // The POST, on a connection of its own.
    auto post = std::make_shared<tcp::socket>(io);
    post->connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    std::string req = "POST /rooms/room/messages HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    // Arrivals through one epoll set, level-triggered, a recv per ready socket: the client's own
    // cost per socket stays near a system call, so that the spread is the server's.
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      epoll_event e{};
      e.events = EPOLLIN;
      e.data.u64 = i;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, sockets[i]->sock.native_handle(), &e);
    }
    t0 = Clock::now();
    asio::write(*post, asio::buffer(req));
    std::vector<bool> got(sockets.size(), false);
    std::array<epoll_event, 512> events{};
    std::array<char, 4096> buf{};
    auto until = Clock::now() + std::chrono::seconds(30);
    while (ms.size() < sockets.size() && Clock::now() < until) {
      int ready = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
      for (int k = 0; k < ready; ++k) {
        auto i = static_cast<std::size_t>(events[static_cast<std::size_t>(k)].data.u64);
        auto& s = sockets[i];
        ssize_t r = ::recv(s->sock.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
        if (r <= 0) continue;
        s->in.append(buf.data(), static_cast<std::size_t>(r));
        auto [len, at] = s->frame_at();
        if (len == 0 || got[i]) continue;
        s->in.erase(0, len);
        got[i] = true;
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    }
    ::close(ep);
    post->close();
    if (ms.size() < sockets.size()) {
      std::fprintf(stderr, "round %d: %zu of %zu received\n", round, ms.size(), sockets.size());
      return 1;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%.2f %.2f %.2f\n", ms[ms.size() / 2], ms[ms.size() * 99 / 100], ms.back());
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the next round starts quiet
  }
  return 0;
}

int run_idle(int port, int n) {
  asio::io_context io(1);
  auto sockets = open_sockets(io, port, "/ws/idle", n);
  std::printf("ready\n");
  std::fflush(stdout);
  std::string line;
  std::getline(std::cin, line);  // holds them until told
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: ws_load idle|echo|broadcast PORT ...\n");
    return 2;
  }
  std::string mode = argv[1];
  int port = std::atoi(argv[2]);
  if (mode == "idle") return run_idle(port, std::atoi(argv[3]));
  if (mode == "echo" && argc >= 5) return run_echo(port, std::atoi(argv[3]), std::atoi(argv[4]));
  if (mode == "broadcast" && argc >= 5)
    return run_broadcast(port, std::atoi(argv[3]), std::atoi(argv[4]));
  std::fprintf(stderr, "usage: ws_load idle|echo|broadcast PORT ...\n");
  return 2;
}
