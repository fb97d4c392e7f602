// Slowloris clients on a thread of their own: `n` connections that send a request line and then
// one header byte at a time, each every `interval`, never ending their headers. Every
// connection's first byte, what it received and when it was closed are kept.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace fault {

class Slowloris {
 public:
  using Clock = std::chrono::steady_clock;

  struct Conn {
    int fd = -1;
    Clock::time_point first_byte{};
    Clock::time_point answered{};  // when the first byte of an answer came
    Clock::time_point closed{};    // when the server closed it (EOF or reset)
    std::string received;
  };

  Slowloris(int port, std::size_t n, Clock::duration interval) : interval_(interval) {
    conns_.resize(n);
    for (auto& c : conns_) open_one(c, port);
    thread_ = std::thread([this] { run(); });
  }
  ~Slowloris() {
    finish(Clock::duration::zero());
    for (auto& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
  }
  Slowloris(const Slowloris&) = delete;
  Slowloris& operator=(const Slowloris&) = delete;

  // Connections that could not be opened (connect failed).
  std::size_t failed_to_open() const noexcept { return failed_; }
  std::size_t still_open() const noexcept { return open_.load(); }

  // Waits until the server has closed every connection or `limit` passed, then stops the
  // thread. Returns how many were still open.
  std::size_t finish(Clock::duration limit) {
    auto until = Clock::now() + limit;
    while (open_ > 0 && Clock::now() < until) std::this_thread::sleep_for(tick_);
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return open_;
  }
  // Read them after finish().
  const std::vector<Conn>& conns() const noexcept { return conns_; }
  Clock::time_point last_first_byte() const {
    Clock::time_point last{};
    for (const auto& c : conns_) last = std::max(last, c.first_byte);
    return last;
  }

 private:
  void open_one(Conn& c, int port) {
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c.fd < 0 || ::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (c.fd >= 0) ::close(c.fd);
      c.fd = -1;
      ++failed_;
      return;
    }
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    static const std::string line = "GET /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    c.first_byte = Clock::now();
    (void)::send(c.fd, line.data(), line.size(), MSG_NOSIGNAL);
    ++open_;
  }

  // Every tick: one more header byte to each connection whose turn it is; reads what arrives and
  // notes when the server closes a connection.
  void run() {
    const std::size_t per_tick = std::max<std::size_t>(
        1, conns_.size() * static_cast<std::size_t>(tick_ / std::chrono::milliseconds(1)) /
               static_cast<std::size_t>(interval_ / std::chrono::milliseconds(1)));
    std::size_t next = 0;
    std::vector<pollfd> fds;
    std::vector<std::size_t> index;
    while (!stop_ && open_ > 0) {
      for (std::size_t k = 0; k < per_tick; ++k, ++next) {
        auto& c = conns_[next % conns_.size()];
        if (c.fd >= 0 && c.closed == Clock::time_point{}) {
          (void)::send(c.fd, "a", 1, MSG_NOSIGNAL);
        }
      }
      fds.clear();
      index.clear();
      for (std::size_t i = 0; i < conns_.size(); ++i) {
        if (conns_[i].fd < 0 || conns_[i].closed != Clock::time_point{}) continue;
        fds.push_back(pollfd{conns_[i].fd, POLLIN, 0});
        index.push_back(i);
      }
      ::poll(fds.data(), fds.size(), static_cast<int>(tick_.count()));
      for (std::size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents != 0) read_from(conns_[index[k]]);
      }
    }
  }

  void read_from(Conn& c) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (c.received.empty()) c.answered = Clock::now();
        c.received.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      c.closed = Clock::now();  // EOF or reset
      --open_;
      return;
    }
  }

  static constexpr std::chrono::milliseconds tick_{20};
  Clock::duration interval_;
  std::vector<Conn> conns_;
  std::size_t failed_ = 0;
  std::atomic<std::size_t> open_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace fault
