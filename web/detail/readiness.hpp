// Readiness: the sockets of a server's connections in an edge-triggered epoll set of their own,
// which is one descriptor in the loop's reactor. A connection learns that its socket has something
// to read (or room to write) from the kernel, and keeps that until a read comes back short, as
// nginx does. Through Asio a connection would try a read every time it waits for the next request,
// and that read fails on a keep-alive connection nearly always: one system call per request for
// nothing (235 ns on this machine, 4% of a /json request).
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include <asio/io_context.hpp>

namespace gale::web::detail {

class Readiness {
 public:
  // Called with each batch of events: epoll_event::data.ptr is what add() was given.
  using Handler = std::function<void(std::span<const epoll_event>)>;

  Readiness(asio::io_context& context, Handler handler);
  ~Readiness();
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // Watches `fd` for input, output and hang-ups (edge-triggered); closing the fd removes it.
  // Throws gale::Error(unavailable) if the kernel refuses.
  void add(int fd, void* data);
  // What the events of `fd` carry from now on (re-armed: its present state is reported again).
  void modify(int fd, void* data);
  // Stops watching: no handler call after this one.
  void close() noexcept;

 private:
  struct State;
  void open();
  void control(int operation, int fd, void* data);
  static constexpr int kRounds = 4;
  static void wait(const std::shared_ptr<State>& state);
  static int take(State& state);

  asio::io_context& context_;
  Handler handler_;
  std::shared_ptr<State> state_;
};

}  // namespace gale::web::detail
