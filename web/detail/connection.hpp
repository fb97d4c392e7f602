// The server's side of one HTTP/1.1 connection, and the state the connections of one server share.
//
// A connection owns its socket's descriptor; the server's Readiness set says when it has input or
// room for output. It reads only while it waits for a request, into the loop's shared buffer; the
// parser copies the request line, headers and body into an HTTPServerRequest and pauses at the end
// of each request. The request goes to the Application; its response bytes come back through
// send(). A handler that finishes at once lets the parser go on with pipelined requests in the
// same read, and their responses leave in one write; one that suspends keeps the unparsed bytes
// aside until it finishes, so responses always go out in request order.
#pragma once

#include <http_parser.h>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/web/detail/readiness.hpp"
#include "gale/web/detail/response_sink.hpp"
#include "gale/web/request.hpp"

namespace gale::web {
class Application;
struct Settings;
}  // namespace gale::web

namespace gale::web::detail {

class Connection;

// The io_context's own executor type, not the type-erased any_io_executor: no executor copies
// through a virtual table on every operation.
using Socket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;
using Acceptor = asio::basic_socket_acceptor<asio::ip::tcp, asio::io_context::executor_type>;

// Connections waiting with the same timeout, oldest deadline first (appending keeps the order).
struct DeadlineList {
  Connection* head = nullptr;
  Connection* tail = nullptr;
  Clock::duration timeout{};
};

// The deadline lists: a request's headers, its body, an idle keep-alive connection; after an
// upgrade, the time to the next ping (or keep-alive comment), and the time a peer has to answer
// (a pong, a close frame, a slow consumer's last chance).
enum Waiting {
  kWaitHeaders = 0,
  kWaitBody = 1,
  kWaitIdle = 2,
  kWaitPing = 3,
  kWaitPong = 4,
  kWaitLists = 5
};

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
  void install_signal_handlers();

  void add(Connection* c) noexcept;
  void remove(Connection* c) noexcept;
  // Puts c on a deadline list (no-op if it is on that one already); untrack takes it off.
  void track(Connection* c, Waiting list) noexcept;
  void untrack(Connection* c) noexcept;
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
  Connection* first_ = nullptr;  // every open connection, for shutdown
  bool accepting_ = false;
  std::vector<Promise<void>> drain_waiters_;
  TimeoutHandle drain_timer_;
  std::unique_ptr<asio::signal_set> signals_;
  int signals_seen_ = 0;
  std::vector<std::unique_ptr<HTTPServerRequest>> spare_requests_;
  std::vector<std::shared_ptr<Connection>> batch_;  // the connections of the events being handled
};

class Connection final : public ResponseSink,
                         public UpgradedSocket,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<ServerCore> core, Socket socket);
  ~Connection() override;

  void start();
  void close() noexcept;
  // What the server's Readiness set reports for the socket (EPOLLIN, EPOLLOUT, hang-ups).
  void on_events(std::uint32_t events);
  // The connection's reference to itself: null once closed.
  const std::shared_ptr<Connection>& self() const noexcept { return self_; }
  void on_timeout(int list);
  // The server drains: an idle connection closes now, a busy one after its response.
  void on_shutdown();

  void send(std::string bytes, std::string tail, bool last, bool keep_alive) override;
  Future<void> drained() override;
  void abort() noexcept override;
  bool closing() const noexcept override;
  BufferPool& buffers() noexcept override { return core_->buffers; }
  void recycle(std::unique_ptr<HTTPServerRequest> request) noexcept override {
    core_->recycle(std::move(request));
  }
  bool peer_gone() const noexcept override { return peer_closed_ || phase_ == Phase::closed; }
  void watch_peer(RequestHandler* handler) noexcept override;
  UpgradedSocket* upgrade(std::shared_ptr<Upgraded> protocol) override;

  // UpgradedSocket
  void write(Segment segment) override;
  Future<void> written() override;
  std::size_t queued_bytes() const noexcept override { return up_ ? up_->queued : 0; }
  void drop_unsent() noexcept override;
  void read(bool on) override;
  void wait(int list) noexcept override;
  void close_after_write() override;

  // Hooks of the server's lists.
  Connection* prev = nullptr;
  Connection* next = nullptr;
  int list = -1;
  Clock::time_point deadline;
  Connection* all_prev = nullptr;
  Connection* all_next = nullptr;

 private:
  enum class Phase : std::uint8_t { idle, headers, body, handling, upgraded, lingering, closed };
  friend struct ParserCallbacks;

  void wait_read();
  void read_now();
  void feed(const char* data, std::size_t size);
  void after_feed();
  void dispatch();
  void resume();
  void fail(int status, std::string message);
  void parse_error();
  void flush();
  bool write_some();
  void on_writable();
  void on_written();
  void linger();
  HTTPServerRequest& request();
  bool nothing_to_write() const noexcept {
    return out_.size() == out_sent_ && tail_.size() == tail_sent_;
  }
  void send_interim(std::string_view bytes);
  void peer_went_away() noexcept;
  void read_upgraded();
  void flush_segments();
  void segments_written(std::size_t from, std::size_t to) noexcept;

  std::shared_ptr<ServerCore> core_;
  std::shared_ptr<Connection> self_;  // while open
  int fd_ = -1;
  http_parser parser_;
  Phase phase_ = Phase::idle;
  bool reading_ = false;      // wants input
  bool writing_ = false;      // has output the socket did not take
  bool readable_ = false;     // the kernel said there is input, and no read came back short since
  bool peer_closed_ = false;  // the peer hung up: read to the end, which says so
  bool in_dispatch_ = false;
  bool close_after_write_ = false;
  bool last_was_value_ = false;
  int error_status_ = 0;
  std::size_t header_bytes_ = 0;
  std::unique_ptr<HTTPServerRequest> req_;
  std::string error_message_;
  std::string remote_ip_;
  std::string pending_;  // unparsed bytes that wait for the running handler to finish
  RequestHandler* peer_watch_ = nullptr;  // a suspended handler, told when the peer goes
  std::string out_;   // response bytes not yet handed to the socket (from out_sent_ on)
  std::string tail_;  // and after them a large body, gathered into the same write
  std::size_t out_sent_ = 0;
  std::size_t tail_sent_ = 0;
  std::vector<Promise<void>> drain_waiters_;
  // After an upgrade: the protocol, and its output (made at the upgrade: HTTP connections,
  // kept alive by the thousand, pay one pointer for it).
  struct Upgrade {
    std::shared_ptr<Upgraded> protocol;
    std::vector<Segment> segments;
    std::size_t queued = 0;  // bytes in segments not yet handed to the socket
    bool reads = false;      // the protocol wants input
  };
  std::unique_ptr<Upgrade> up_;
};

}  // namespace gale::web::detail
