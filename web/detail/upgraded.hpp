// What a connection becomes after its last HTTP response: a WebSocket, or an event stream. The
// socket moves to an UpgradedConnection (upgraded_connection.hpp), which keeps its place in the
// server (max_connections, shutdown) and its deadline lists; the protocol on top is an Upgraded,
// which it feeds what it reads and tells what happens to the socket. Output goes through a queue
// of segments: bytes of the connection's own, or bytes shared with other connections (a
// broadcast frame).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "gale/loop/future.hpp"

namespace gale::web {
class RequestHandler;
}

namespace gale::web::detail {

class Upgraded {
 public:
  virtual ~Upgraded() = default;
  // The request that upgraded is done (its access log line written): the protocol owns its
  // handler from now on, and starts.
  virtual void adopt(std::unique_ptr<RequestHandler> handler) = 0;
  // Bytes read from the socket (the thread's read buffer: they may be changed in place).
  virtual void on_data(char* data, std::size_t size) = 0;
  // The peer closed its side (end of input) or reset the connection.
  virtual void on_peer_closed() = 0;
  // A deadline of the connection's list passed: kWaitPing or kWaitPong (connection.hpp).
  virtual void on_timeout(int list) = 0;
  // The server shuts down (a WebSocket says 1001).
  virtual void on_shutdown() = 0;
  // The socket is closed, whoever closed it; called once, last.
  virtual void on_closed() noexcept = 0;
};

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

// The connection as an Upgraded protocol sees it.
class UpgradedSocket {
 public:
  virtual ~UpgradedSocket() = default;
  // Queues a segment and writes what the socket takes now.
  virtual void write(Segment segment) = 0;
  // Resolves once everything queued so far is handed to the socket (at once if it is).
  virtual Future<void> written() = 0;
  // Bytes queued and not yet handed to the socket.
  virtual std::size_t queued_bytes() const noexcept = 0;
  // Drops the queued segments that nothing of was written yet (their Futures fail).
  virtual void drop_unsent() noexcept = 0;
  // Reads (and hands on) input, or stops doing so; reading starts paused.
  virtual void read(bool on) = 0;
  // Puts the connection on deadline list kWaitPing or kWaitPong (from now), or on none (-1).
  virtual void wait(int list) noexcept = 0;
  // Closes once the queue is written (then drops input for a moment, as after an HTTP response).
  virtual void close_after_write() = 0;
  // Closes now.
  virtual void abort() noexcept = 0;
};

}  // namespace gale::web::detail
