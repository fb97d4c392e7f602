// UpgradedConnection: a connection after its last HTTP response (a 101, an event stream's head),
// and the base of the protocols that run on it (WebSocketSession, EventStreamSession). At the
// upgrade it takes the HTTP connection's place in the server (its socket, its count against
// max_connections, its readiness events), and the HTTP connection, with its parser, request and
// response state, goes away: a WebSocket idle for hours is this one object, its handler and the
// request the handler keeps. It reads for its protocol when asked to and writes a queue of
// segments, owned or shared with other sockets (a broadcast frame), within the protocol's bound.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/web/detail/endpoint.hpp"

namespace gale::web {
class Metrics;
class RequestHandler;
struct Settings;
}  // namespace gale::web

namespace gale::web::detail {

class ServerCore;
class TlsStream;

// One piece of output: owned bytes, or bytes shared with other connections; `done`, if set, is
// resolved once the whole piece has been handed to the socket.
struct Segment {
  std::string own;
  std::shared_ptr<const std::string> shared;
  std::size_t sent = 0;
  std::optional<Promise<void>> done;

  std::size_t size() const noexcept { return shared ? shared->size() : own.size(); }
  const char* data() const noexcept { return shared ? shared->data() : own.data(); }
};

class UpgradedConnection : public Endpoint {
 public:
  ~UpgradedConnection() override;

  // The upgrade (Connection::upgrade): the socket `fd`, the HTTP connection's until now, with its
  // TLS session if it has one, and its place in the server (`replaced`'s); `unsent`: the rest of
  // the last response, written first; `readable` / `peer_closed`: what the HTTP connection knew of
  // its input. Reading starts paused.
  void take_over(std::shared_ptr<ServerCore> core, int fd, std::unique_ptr<TlsStream> tls,
                 std::string unsent, bool readable, bool peer_closed, Endpoint* replaced);
  // Bytes that came right behind the request that upgraded: the protocol's first input.
  void early_input(const char* data, std::size_t size);
  bool peer_gone() const noexcept { return peer_closed_ || fd_ < 0; }
  // A handler whose open() is still running hears of a peer that goes away.
  void watch_peer(RequestHandler* handler) noexcept;

  // The request that upgraded is done (its access log line written): the protocol owns its
  // handler from now on, and starts.
  virtual void adopt(std::unique_ptr<RequestHandler> handler) = 0;

  // Endpoint (on_timeout and on_shutdown are the protocol's)
  void on_events(std::uint32_t events) final;
  void close() noexcept final;

 protected:
  UpgradedConnection();

  // --- what the protocol hears
  // Bytes read from the socket (the thread's read buffer: they may be changed in place).
  virtual void on_data(char* data, std::size_t size) = 0;
  // The peer closed its side (end of input) or reset the connection.
  virtual void on_peer_closed() = 0;
  // The socket is closed, whoever closed it; called once, last.
  virtual void on_closed() noexcept = 0;

  // --- what the protocol does with the socket
  // Whether it has one: taken over and not closed yet.
  bool socket_open() const noexcept { return fd_ >= 0; }
  // The server's, once taken over.
  const Settings& settings() const noexcept;
  Metrics& metrics() const noexcept;
  // Queues a segment and writes what the socket takes now.
  void write(Segment segment);
  // Resolves once everything queued so far is handed to the socket (at once if it is).
  Future<void> written();
  // Bytes queued and not yet handed to the socket.
  std::size_t queued_bytes() const noexcept { return queued_; }
  // Drops the queued segments that nothing of was written yet (their Futures fail).
  void drop_unsent() noexcept;
  // Reads (and hands on) input, or stops doing so.
  void read(bool on);
  // Puts the connection on deadline list kWaitPing or kWaitPong (from now), or on none (-1).
  void wait(int list) noexcept;
  // Closes once the queue is written (then drops input for a moment, as after an HTTP response).
  void close_after_write();
  // Closes now.
  void abort() noexcept;

 private:
  void read_now();
  bool send_now(Segment& segment);
  void flush();
  void segments_written(std::size_t count) noexcept;
  void linger();
  void drop_input();
  void peer_went_away() noexcept;
  // The socket's calls, through the TLS session over HTTPS.
  ssize_t receive(char* data, std::size_t size);
  ssize_t send_parts(const iovec* parts, std::size_t count);

  std::shared_ptr<ServerCore> core_;
  std::vector<Segment> segments_;
  std::unique_ptr<std::string> early_;  // input read before the protocol asked for it
  RequestHandler* peer_watch_ = nullptr;
  std::size_t queued_ = 0;          // bytes in segments_ not yet handed to the socket
  std::unique_ptr<TlsStream> tls_;  // wss and event streams over HTTPS only
  bool reads_ = false;              // the protocol wants input
  bool readable_ = false;     // the kernel said there is input, and no read came back short since
  bool writing_ = false;      // segments wait for room in the socket
  bool peer_closed_ = false;  // end of input (or a reset) seen
  bool close_after_write_ = false;
  bool lingering_ = false;
};

}  // namespace gale::web::detail
