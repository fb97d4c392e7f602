// Endpoint: what the server holds of one accepted socket, whatever it speaks: an HTTP connection,
// or what that connection became after an upgrade (a WebSocket, an event stream). The server keeps
// its endpoints on a list (max_connections, shutdown) and on deadline lists, and hands them the
// kernel's readiness events for their socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "gale/loop/io_loop.hpp"

namespace gale::web::detail {

// The deadline lists: a request's headers, its body, an idle keep-alive connection; after an
// upgrade, the time to the next ping (or keep-alive comment), and the time a peer has to answer
// (a pong, a close frame, a slow consumer's last chance); an HTTPS connection's TLS handshake.
enum Waiting {
  kWaitHeaders = 0,
  kWaitBody = 1,
  kWaitIdle = 2,
  kWaitPing = 3,
  kWaitPong = 4,
  kWaitHandshake = 5,
  kWaitLists = 6
};

// The size of a read, into the thread's one read buffer (nothing keeps it: parsers copy what they
// keep, a WebSocket unmasks in place and hands the payload on).
inline constexpr std::size_t kReadSize = 64 * 1024;
char* read_buffer() noexcept;

// After a last response or a close frame, input is read and dropped this long before the socket
// closes: closing with unread input would make the kernel reset the connection, which can destroy
// what was sent before the peer reads it.
inline constexpr auto kLingerTime = std::chrono::seconds(2);

class Endpoint : public std::enable_shared_from_this<Endpoint> {
 public:
  Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  virtual ~Endpoint() = default;

  // What the server's Readiness set reports for the socket (EPOLLIN, EPOLLOUT, hang-ups).
  virtual void on_events(std::uint32_t events) = 0;
  // A deadline of the list it is on passed (it is off the list now).
  virtual void on_timeout(int list) = 0;
  // The server drains.
  virtual void on_shutdown() = 0;
  virtual void close() noexcept = 0;

  // The endpoint's reference to itself: null once closed.
  const std::shared_ptr<Endpoint>& self() const noexcept { return self_; }

  // Hooks of the server's lists.
  Endpoint* prev = nullptr;
  Endpoint* next = nullptr;
  int list = -1;

 protected:
  int fd_ = -1;  // the socket (here, where the int before it leaves room)

 public:
  Clock::time_point deadline;
  Endpoint* all_prev = nullptr;
  Endpoint* all_next = nullptr;

 protected:
  std::shared_ptr<Endpoint> self_;  // while open
};

// Endpoints waiting with the same timeout, oldest deadline first (appending keeps the order).
struct DeadlineList {
  Endpoint* head = nullptr;
  Endpoint* tail = nullptr;
  Clock::duration timeout{};
};

}  // namespace gale::web::detail
