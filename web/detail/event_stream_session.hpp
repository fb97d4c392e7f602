// The server's side of one event stream after its head: events out within the bound, keep-alive
// comments, input dropped (only its end matters). It owns its handler once open() returned; the
// connection owns it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "gale/loop/future.hpp"
#include "gale/web/detail/receiver.hpp"
#include "gale/web/detail/upgraded_connection.hpp"

namespace gale::web {
class EventStreamHandler;
class Metrics;
class RequestHandler;
struct Settings;
}  // namespace gale::web

namespace gale::web::detail {

// An event in the text/event-stream format: "event:", "id:", one "data:" per line, a blank line.
std::string event_bytes(std::string_view data, std::string_view event, std::string_view id);

class EventStreamSession final : public UpgradedConnection, public Receiver {
 public:
  explicit EventStreamSession(EventStreamHandler& handler);
  ~EventStreamSession() override;

  // The connection took the socket after the head (counted as an open stream from here on).
  void attach() noexcept;
  void adopt(std::unique_ptr<RequestHandler> owner) override;
  void handler_gone() noexcept { handler_ = nullptr; }

  Future<void> send_event(std::string bytes);
  void receive(SharedFrames& frames) override;
  // Ends the stream once what is queued is written.
  void end_stream();
  bool closed() const noexcept { return closed_ || closing_; }

  void on_timeout(int which) override;
  void on_shutdown() override;

 protected:
  void on_data(char* data, std::size_t size) override;
  void on_peer_closed() override;
  void on_closed() noexcept override;

 private:
  void arm_keepalive() noexcept;
  void too_slow();

  EventStreamHandler* handler_;
  std::unique_ptr<RequestHandler> owner_;
  bool attached_ = false;
  bool opened_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool on_close_called_ = false;
};

}  // namespace gale::web::detail
