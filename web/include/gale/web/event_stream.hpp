// EventStreamHandler: Server-Sent Events (text/event-stream, the WHATWG HTML standard's
// EventSource), for browsers and curl where a WebSocket is more than needed.
//
//   struct Feed : gale::web::EventStreamHandler {
//     gale::Future<void> open(std::string_view) override {
//       auto since = last_event_id();             // the client reconnected after this event
//       co_await send("hello", "greeting", "1");  // data, event type, id
//     }
//   };
//
// The response is 200 text/event-stream, not cached, delimited by the connection's close. Every
// websocket_ping_interval a comment line keeps proxies from closing a quiet stream; what the
// client does not take counts against websocket_max_queued_bytes (a stream beyond it is closed).
// Data with line breaks becomes several data: lines. A Broadcast sends to event streams too.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gale/loop/future.hpp"
#include "gale/web/request_handler.hpp"

namespace gale::web {

namespace detail {
class EventStreamSession;
}

class EventStreamHandler : public RequestHandler {
 public:
  EventStreamHandler();
  ~EventStreamHandler() override;

  // Sends the head; not to be overridden (use prepare() and open()).
  Future<void> get(std::string_view arg) final;

  // After the head went out; the route's first argument, as get() receives it.
  virtual Future<void> open(std::string_view arg);
  // The client went away or the stream was closed. Called once.
  virtual void on_close();

  // The Last-Event-ID the client reconnected with (EventSource sends it), if any.
  std::optional<std::string> last_event_id() const;

  // One event; resolves once it is handed to the socket. Fails with Error(unavailable) once the
  // stream is closed; an id or event name with a line break is Error(invalid_argument).
  Future<void> send(std::string_view data);
  Future<void> send(std::string_view data, std::string_view event);
  Future<void> send(std::string_view data, std::string_view event, std::string_view id);
  // Tells the client how long to wait before it reconnects.
  Future<void> send_retry(std::chrono::milliseconds retry);
  // Ends the stream (EventSource reconnects unless told otherwise: answer it 204 next time).
  void close();
  bool closed() const noexcept;

 private:
  friend class detail::EventStreamSession;
  friend class Broadcast;
  void release_sink() noexcept { sink_.reset(); }
  std::weak_ptr<detail::EventStreamSession> session_;
};

}  // namespace gale::web
