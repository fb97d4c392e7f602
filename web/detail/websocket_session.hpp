// The server's side of one WebSocket after the 101: frames in (decoded, checked, assembled into
// messages, inflated), messages out (framed, compressed, queued within the bound), control frames,
// the close handshake, pings, and the handler's hooks. It owns its handler once the handshake is
// done; the connection owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gale/loop/future.hpp"
#include "gale/web/detail/receiver.hpp"
#include "gale/web/detail/upgraded_connection.hpp"
#include "gale/web/detail/utf8.hpp"
#include "gale/web/detail/websocket_deflate.hpp"
#include "gale/web/detail/websocket_frame.hpp"

namespace gale::web {
class Metrics;
class RequestHandler;
class WebSocketHandler;
struct Settings;
}  // namespace gale::web

namespace gale::web::detail {

class WebSocketSession final : public UpgradedConnection, public Receiver, public ws::FrameSink {
 public:
  WebSocketSession(WebSocketHandler& handler, std::optional<ws::DeflateParams> deflate);
  ~WebSocketSession() override;

  // The connection took the socket after the 101 (counted as an open WebSocket from here on).
  void attach() noexcept;
  // The handshake is done and open() returned: the session owns its handler from now on and
  // starts reading.
  void adopt(std::unique_ptr<RequestHandler> owner) override;
  // The handler goes away before the session (open() failed, the connection closed meanwhile).
  void handler_gone() noexcept { handler_ = nullptr; }

  Future<void> send_message(std::string_view message, bool binary);
  // A broadcast's frame: shared, not copied; no Future (a slow receiver is closed, not awaited).
  void receive(SharedFrames& frames) override;
  void send_ping(std::string_view data);
  void start_close(std::uint16_t code, std::string_view reason);

  bool closed() const noexcept { return state_ != State::open; }
  const std::optional<std::uint16_t>& close_code() const noexcept { return close_code_; }
  const std::string& close_reason() const noexcept;
  void set_subprotocol(std::string name) { rare().subprotocol = std::move(name); }
  const std::string& subprotocol() const noexcept;
  bool compressed() const noexcept { return deflate_.has_value(); }

  // Endpoint
  void on_timeout(int which) override;
  void on_shutdown() override;

  // ws::FrameSink
  bool on_frame_begin(const ws::FrameHeader& header) override;
  bool on_frame_data(char* data, std::size_t size) override;
  bool on_frame_end() override;

 protected:
  // UpgradedConnection
  void on_data(char* data, std::size_t size) override;
  void on_peer_closed() override;
  void on_closed() noexcept override;

 private:
  enum class State : std::uint8_t { open, closing, closed };

  void decode(char* data, std::size_t size);
  bool take_data(const char* data, std::size_t size);
  bool end_message();
  bool deliver(std::string message, bool binary);
  void message_done(const Future<void>& done);
  bool on_control();
  void on_close_frame();
  void send_control(ws::Opcode opcode, std::string_view payload);
  void send_close(std::uint16_t code, std::string_view reason);
  bool fail(std::uint16_t code, std::string reason);
  bool room_for(std::size_t bytes);
  void release_handler() noexcept;
  void arm_ping() noexcept;
  std::shared_ptr<WebSocketSession> me() {
    return std::static_pointer_cast<WebSocketSession>(shared_from_this());
  }

  WebSocketHandler* handler_;
  std::unique_ptr<RequestHandler> owner_;
  ws::FrameDecoder decoder_;
  std::optional<ws::DeflateParams> deflate_;
  std::string message_;  // the data message being read
  // What most idle sockets never need, made on first use: an idle WebSocket stays small.
  struct Rare {
    std::string control;  // the control frame being read
    std::string backlog;  // input behind a message still being handled
    std::string close_reason;
    std::string subprotocol;  // the one select_subprotocol() chose
    std::unique_ptr<ws::Inflater> inflater;
    std::unique_ptr<ws::Deflater> deflater;  // with context takeover only
  };
  Rare& rare();
  void trim_rare() noexcept;
  ws::Inflater& inflater();
  std::unique_ptr<Rare> rare_;
  std::optional<std::uint16_t> close_code_;
  Utf8Stream utf8_;
  ws::Opcode message_opcode_ = ws::Opcode::text;
  ws::Opcode frame_opcode_ = ws::Opcode::continuation;  // the frame being read
  bool frame_fin_ = false;
  State state_ = State::open;
  bool message_compressed_ = false;
  bool in_message_ = false;  // a data message's frames are arriving
  bool busy_ = false;        // on_message's Future is pending: input waits
  bool awaiting_pong_ = false;
  bool close_received_ = false;
  bool opened_ = false;
  bool on_close_called_ = false;
};

}  // namespace gale::web::detail
