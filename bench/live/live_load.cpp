// The change-event latency benchmark's client (bench/live/run), the same for every server: N
// WebSockets to /live, each message's receipt time taken on CLOCK_MONOTONIC (the clock of the
// writer's acknowledgement times, bench/live/writer.py, in another process on this machine).
// The handshake is ws_load's (bench/websocket/ws_load.cpp); arrivals come through one epoll set,
// a recv per ready socket, so that the client's own cost per socket stays near a system call.
//
//   live_load PORT N OUT    opens N sockets, prints "ready", then records every message until each
//                           socket has had the end marker ({"seq": -1, ...}) or its input closes;
//                           writes one line per message to OUT: "socket seq receipt-ns"; prints
//                           how many messages it recorded
// A message is JSON with a "seq" field of integer value; a message without one counts as "other".
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <asio.hpp>

#include "../websocket/ws_sockets.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

using asio::ip::tcp;

using ws_bench::connect;
using ws_bench::open_sockets;
using ws_bench::Ptr;
using ws_bench::run_until;
using ws_bench::Socket;

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The integer after "seq": in a text payload; false when there is none.
bool seq_of(const char* p, std::size_t n, std::int64_t& seq) {
  static constexpr char key[] = "\"seq\":";
  const std::string_view text(p, n);
  auto at = text.find(key);
  if (at == std::string_view::npos) return false;
  at += sizeof key - 1;
  while (at < n && text[at] == ' ') ++at;
  if (at >= n || (text[at] != '-' && (text[at] < '0' || text[at] > '9'))) return false;
  seq = std::strtoll(std::string(text.substr(at, 24)).c_str(), nullptr, 10);
  return true;
}

struct Receipt {
  std::uint32_t socket;
  std::int64_t seq;
  std::int64_t ns;
};

int run(int port, int n, const char* out_path) {
  asio::io_context io(1);
  auto sockets = open_sockets(io, port, "/live", n);
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, sockets[i]->sock.native_handle(), &e);
  }
  const std::uint64_t kStdin = ~std::uint64_t{0};
  epoll_event in{};
  in.events = EPOLLIN;
  in.data.u64 = kStdin;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in);
  std::printf("ready\n");
  std::fflush(stdout);

  std::vector<Receipt> receipts;
  receipts.reserve(1 << 20);
  std::vector<bool> ended(sockets.size(), false);
  std::size_t n_ended = 0, others = 0;
  bool input_open = true;
  std::array<epoll_event, 512> events{};
  std::array<char, 65536> buf{};
  while (input_open && n_ended < sockets.size()) {
    int ready = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    for (int k = 0; k < ready; ++k) {
      auto id = events[static_cast<std::size_t>(k)].data.u64;
      if (id == kStdin) {
        ssize_t r = ::read(0, buf.data(), buf.size());
        if (r <= 0) input_open = false;
        continue;
      }
      auto& s = sockets[id];
      ssize_t r = ::recv(s->sock.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (r <= 0) {
        if (r == 0) {
          std::fprintf(stderr, "live_load: socket %llu closed by the server\n",
                       static_cast<unsigned long long>(id));
          ::epoll_ctl(ep, EPOLL_CTL_DEL, s->sock.native_handle(), nullptr);
          if (!ended[id]) ended[id] = true, ++n_ended;
        }
        continue;
      }
      const std::int64_t now = monotonic_ns();  // every frame of this read arrived by now
      s->in.append(buf.data(), static_cast<std::size_t>(r));
      for (;;) {
        auto [len, at] = s->frame_at();
        if (len == 0) break;
        const int opcode = s->in[0] & 0x0F;
        std::int64_t seq = 0;
        if (opcode == 1 && seq_of(s->in.data() + at, len - at, seq)) {
          if (seq < 0) {
            if (!ended[id]) ended[id] = true, ++n_ended;
          } else {
            receipts.push_back({static_cast<std::uint32_t>(id), seq, now});
          }
        } else {
          ++others;
        }
        s->in.erase(0, len);
      }
    }
  }
  ::close(ep);
  if (n_ended < sockets.size())
    std::fprintf(stderr, "live_load: %zu of %zu sockets had the end marker\n", n_ended,
                 sockets.size());
  std::FILE* out = std::fopen(out_path, "w");
  if (!out) {
    std::perror(out_path);
    return 1;
  }
  for (const auto& r : receipts)
    std::fprintf(out, "%u %lld %lld\n", r.socket, static_cast<long long>(r.seq),
                 static_cast<long long>(r.ns));
  std::fclose(out);
  std::printf("%zu %zu\n", receipts.size(), others);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: live_load PORT N OUT\n");
    return 2;
  }
  return run(std::atoi(argv[1]), std::atoi(argv[2]), argv[3]);
}
