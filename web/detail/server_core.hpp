// ServerCore: what the connections of one server share: the listening socket, the set of open
// endpoints (max_connections, drain on shutdown), the deadline lists checked on one tick, the
// readiness set their sockets are in, and the pools of request objects and buffers.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <memory>
#include <span>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/web/detail/buffer_pool.hpp"
#include "gale/web/detail/endpoint.hpp"
#include "gale/web/detail/readiness.hpp"
#include "gale/web/request.hpp"

namespace gale::web {
class Application;
struct Settings;
}  // namespace gale::web

namespace gale::web::detail {

class TlsContext;

// The io_context's own executor type, not the type-erased any_io_executor: no executor copies
// through a virtual table on every operation.
using Socket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;
using Acceptor = asio::basic_socket_acceptor<asio::ip::tcp, asio::io_context::executor_type>;

inline constexpr std::size_t kSpareRequests = 64;

class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(Application& app, IOLoop& loop);
  ~ServerCore();

  void start_accepting();
  void stop_accepting() noexcept;
  // Drain: close idle connections now, the others once their response is out, all after `drain`.
  Future<void> shutdown(Clock::duration drain);
  void close_all() noexcept;
  // SIGTERM/SIGINT: graceful shutdown; SIGHUP on an HTTPS server: reload_tls().
  void install_signal_handlers();
  // HTTPS: reads the certificate files again; new handshakes use them, open connections keep
  // theirs. A file that does not load is logged and the certificates in use stay. Reads the files
  // on the loop (a few small files).
  bool reload_tls() noexcept;

  void add(Endpoint* c) noexcept;
  void remove(Endpoint* c) noexcept;
  // `now` takes the place of `old` (an upgrade): the count stays.
  void replace(Endpoint* old, Endpoint* now) noexcept;
  // Puts c on a deadline list (no-op if it is on that one already); untrack takes it off.
  void track(Endpoint* c, Waiting list) noexcept;
  void untrack(Endpoint* c) noexcept;
  // Request objects, reused: a keep-alive request allocates none (at most kSpareRequests kept).
  std::unique_ptr<HTTPServerRequest> take_request();
  void recycle(std::unique_ptr<HTTPServerRequest> request) noexcept;

  Application& app;
  const Settings& settings;
  IOLoop& loop;
  Acceptor acceptor;
  bool closing = false;
  std::size_t count = 0;
  BufferPool buffers;
  Readiness readiness;
  std::shared_ptr<const TlsContext> tls;  // HTTPS: what new connections handshake with

 private:
  void accept();
  void arm_timer() noexcept;
  void on_timer();
  void check_drained();
  void on_signal(int signal);
  void on_ready(std::span<const epoll_event> events);

  asio::steady_timer timer_;
  bool timer_armed_ = false;
  Clock::duration tick_{};
  std::array<DeadlineList, kWaitLists> lists_;
  Endpoint* first_ = nullptr;  // every open connection, for shutdown
  bool accepting_ = false;
  std::vector<Promise<void>> drain_waiters_;
  TimeoutHandle drain_timer_;
  std::unique_ptr<asio::signal_set> signals_;
  int signals_seen_ = 0;
  std::vector<std::unique_ptr<HTTPServerRequest>> spare_requests_;
  std::vector<std::shared_ptr<Endpoint>> batch_;  // the connections of the events being handled
};

}  // namespace gale::web::detail
