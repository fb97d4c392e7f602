// Listener: an async stream of NOTIFY messages for LISTEN channels, on a connection of its own
// (not one of the pool's).
//
//   auto events = co_await pg.listen("jobs");
//   while (true) {
//     auto n = co_await events.next();       // or next(5s): Error(timeout) when nothing came
//     if (n.gap) { resync(); continue; }     // notifications may have been lost here
//     handle(n.channel, n.payload);
//   }
//
// When its connection breaks, the listener reconnects (with backoff), LISTENs again and queues a
// Notification with gap = true. At most max_queued notifications wait for the consumer; beyond
// that new ones are dropped until the consumer catches up, where it finds a gap marker.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/pg/notification.hpp"

namespace gale::pg {

namespace detail {
struct ListenerState;
struct ConnectConfig;
}  // namespace detail

class Listener {
 public:
  static constexpr std::size_t max_queued = 10'000;

  Listener(Listener&&) noexcept = default;
  Listener& operator=(Listener&&) noexcept = default;
  ~Listener();

  // The next notification (or gap marker). Error(unavailable) once the listener is closed.
  Future<Notification> next();
  // The same, failing with Error(timeout) if nothing comes within `timeout`.
  Future<Notification> next(Clock::duration timeout);
  // Notifications waiting for the consumer.
  std::size_t queued() const noexcept;
  // Notifications dropped because the queue was full.
  std::size_t dropped() const noexcept;
  // Times the connection was re-established.
  std::size_t reconnects() const noexcept;
  int backend_pid() const noexcept;
  void close() noexcept;

  static Future<Listener> start(std::shared_ptr<const detail::ConnectConfig> config,
                                std::vector<std::string> channels);

 private:
  explicit Listener(std::shared_ptr<detail::ListenerState> state) noexcept
      : state_(std::move(state)) {}
  std::shared_ptr<detail::ListenerState> state_;
};

}  // namespace gale::pg
