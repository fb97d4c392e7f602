// The connection as a handler sees it: where the bytes of a response go.
#pragma once

#include <memory>
#include <string>

#include "gale/loop/future.hpp"
#include "gale/loop/unique_function.hpp"
#include "gale/web/detail/buffer_pool.hpp"

namespace gale::web {
struct HTTPServerRequest;
class RequestHandler;
}  // namespace gale::web

namespace gale::web::detail {

class UpgradedConnection;

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // Queues bytes of the current response, in order: `bytes`, then `tail` (a large body, written
  // with `bytes` in one gather write instead of being copied behind them). `last` ends the
  // response, after which the connection closes unless `keep_alive`.
  virtual void send(std::string bytes, std::string tail, bool last, bool keep_alive) = 0;
  // Resolves once everything queued so far has been written (fails if the connection closed).
  virtual Future<void> drained() = 0;
  // Closes the connection without ending the response (an error after the headers went out).
  virtual void abort() noexcept = 0;
  // The server is shutting down: responses should say "Connection: close".
  virtual bool closing() const noexcept = 0;
  // Where the bytes of a response are built: buffers that earlier responses gave back.
  virtual BufferPool& buffers() noexcept = 0;
  // Takes back a request whose handler is done, for the server to reuse.
  virtual void recycle(std::unique_ptr<HTTPServerRequest> request) noexcept = 0;
  // The client closed its side of the connection or reset it, or the connection is closed: the
  // response will not be read.
  virtual bool peer_gone() const noexcept = 0;
  // Tells `handler` once when the peer is gone (at once if it already is): its
  // notify_connection_close(); null stops watching.
  virtual void watch_peer(RequestHandler* handler) noexcept = 0;
  // After the last HTTP response (a 101, an event stream's head, sent): `up` takes the socket
  // and the connection's place, reading paused. False if the connection is closed.
  virtual bool upgrade(const std::shared_ptr<UpgradedConnection>& up) = 0;
  // What upgrade() handed the socket to (null without one).
  virtual std::shared_ptr<UpgradedConnection> upgraded() const noexcept = 0;
};

}  // namespace gale::web::detail
