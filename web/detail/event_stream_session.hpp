// The server's side of one event stream after its head: events out within the bound, keep-alive
// comments, input dropped (only its end matters). It owns its handler once open() returned; the
// connection owns it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "gale/loop/future.hpp"
#include "gale/web/detail/receiver.hpp"
#include "gale/web/detail/upgraded.hpp"

namespace gale::web {
class EventStreamHandler;
class Metrics;
class RequestHandler;
struct Settings;
}  // namespace gale::web

namespace gale::web::detail {

// An event in the text/event-stream format: "event:", "id:", one "data:" per line, a blank line.
std::string event_bytes(std::string_view data, std::string_view event, std::string_view id);

class EventStreamSession final : public Upgraded,
                                 public Receiver,
                                 public std::enable_shared_from_this<EventStreamSession> {
 public:
  EventStreamSession(EventStreamHandler& handler, const Settings& settings, Metrics& metrics);
  ~EventStreamSession() override;

  void attach(UpgradedSocket* socket) noexcept;
  void adopt(std::unique_ptr<RequestHandler> owner) override;
  void handler_gone() noexcept { handler_ = nullptr; }

  Future<void> write(std::string bytes);
  void receive(SharedFrames& frames) override;
  void close();
  bool closed() const noexcept { return closed_ || closing_; }

  void on_data(char* data, std::size_t size) override;
  void on_peer_closed() override;
  void on_timeout(int list) override;
  void on_shutdown() override;
  void on_closed() noexcept override;

 private:
  void arm_keepalive() noexcept;
  void too_slow();

  EventStreamHandler* handler_;
  std::unique_ptr<RequestHandler> owner_;
  UpgradedSocket* socket_ = nullptr;
  const Settings& settings_;
  Metrics& metrics_;
  bool attached_ = false;
  bool opened_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool on_close_called_ = false;
};

}  // namespace gale::web::detail
