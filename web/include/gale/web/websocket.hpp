// WebSocketHandler: a route that upgrades to a WebSocket (RFC 6455, with permessage-deflate,
// RFC 7692), with Tornado's names and shape.
//
//   struct Echo : gale::web::WebSocketHandler {
//     gale::Future<void> on_message(std::string_view message, bool binary) override {
//       co_await write_message(message, binary);   // resolves once the socket took the frame
//     }
//   };
//   gale::web::Application app({{"/ws/{room}", gale::web::handler<Echo>()}});
//
// The handshake: prepare() runs first (authentication), then check_origin() (same origin by
// default: a cross-origin browser page gets 403), select_subprotocol(), and the 101 answer; then
// open(). A request that is not a valid handshake gets 400 (426 for a version other than 13).
// Messages arrive in order through on_message(): while one runs (a coroutine may wait on a
// database), the next is not read. Limits (Settings): websocket_max_message_size (1009 beyond it,
// compressed or not), websocket_max_queued_bytes (a consumer too slow to take what is written is
// closed with 1008), websocket_ping_interval / websocket_ping_timeout (a peer that does not answer
// a ping in time is closed). On SIGTERM each open socket gets a close frame with 1001.
//
// A handler lives as long as its connection; the coroutines it starts must end by on_close().
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/web/http_client.hpp"
#include "gale/web/request_handler.hpp"

namespace gale::web {

namespace detail {
class WebSocketSession;
}

// Close codes of RFC 6455 (7.4.1) that gale sends or that handlers commonly use.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;  // the server shuts down
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // received a close frame without a code
inline constexpr std::uint16_t abnormal = 1006;   // the connection ended without a close frame
inline constexpr std::uint16_t invalid_data = 1007;
inline constexpr std::uint16_t policy_violation = 1008;  // also: a consumer too slow
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

class WebSocketHandler : public RequestHandler {
 public:
  WebSocketHandler();
  ~WebSocketHandler() override;

  // The upgrade; not to be overridden (use prepare(), check_origin() and open()).
  Future<void> get(std::string_view arg) final;

  // --- the hooks
  // Whether a browser page from `origin` may connect. Default: requests without an Origin header
  // (not a browser), and those whose Origin's host[:port] is the request's Host.
  virtual bool check_origin(std::string_view origin);
  // The subprotocol to answer with, from those the client offered; none by default.
  virtual std::optional<std::string> select_subprotocol(const std::vector<std::string>& offered);
  // After the handshake; the route's first argument, as get() receives it.
  virtual Future<void> open(std::string_view arg);
  // A whole message (text is valid UTF-8), in order; the next is read once this one's Future is
  // done.
  virtual Future<void> on_message(std::string_view message, bool binary);
  virtual void on_ping(std::string_view data);  // answered with a pong already
  virtual void on_pong(std::string_view data);
  // The connection closed (close_code() says how), whoever closed it. Called once.
  virtual void on_close();

  // --- sending
  // Queues one message; resolves once its frame is handed to the socket (await it before the next
  // to follow the client's pace). Fails with Error(unavailable) once the socket is closed.
  Future<void> write_message(std::string_view message, bool binary);
  Future<void> write_message(std::string_view text);
  // A JSON value, serialized, as text (a template so that a string literal means text).
  template <class J>
  requires std::same_as<J, nlohmann::json> Future<void> write_message(const J& value) {
    return write_message(value.dump(), false);
  }
  void ping(std::string_view data);
  void ping();
  // Starts the close handshake (the socket closes when the peer answers, or after the ping
  // timeout).
  void close(std::uint16_t code, std::string_view reason);
  void close();

  // --- state
  bool closed() const noexcept;
  // The code and reason the peer closed with (or gale's own when it failed the connection: 1002,
  // 1007, 1008, 1009, 1006 for a connection lost without a close frame); empty while open.
  std::optional<std::uint16_t> close_code() const noexcept;
  const std::string& close_reason() const noexcept;
  const std::string& selected_subprotocol() const noexcept;
  bool compressed() const noexcept;  // permessage-deflate was negotiated

 private:
  friend class detail::WebSocketSession;
  friend class Broadcast;
  // The 101 response's head; the session it made is held by the caller until the upgrade.
  std::string handshake(std::string_view arg, std::shared_ptr<detail::WebSocketSession>& session);
  void release_sink() noexcept { sink_.reset(); }
  std::weak_ptr<detail::WebSocketSession> session_;
};

// The client side, as Tornado's websocket_connect: a connected WebSocket to read and write.
struct WebSocketConnectOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(20)};  // TCP, TLS and handshake
  std::size_t max_message_size = 10 * 1024 * 1024;
  std::vector<std::string> subprotocols{};
  bool compression = false;  // offer permessage-deflate
  HTTPHeaders headers{};     // extra handshake headers (Origin, Authorization, cookies)
  std::string ca_certs{};    // wss://: as HTTPRequest's
  bool validate_cert = true;
};

struct WebSocketMessage {
  std::string data;
  bool binary = false;
};

class WebSocketClientConnection {
 public:
  WebSocketClientConnection(WebSocketClientConnection&&) noexcept;
  WebSocketClientConnection& operator=(WebSocketClientConnection&&) noexcept;
  ~WebSocketClientConnection();  // closes with 1000 if still open

  // The next message; nullopt once the connection closed (close_code() says how). With a timeout:
  // Error(timeout) when none came in time (the connection stays open).
  Future<std::optional<WebSocketMessage>> read_message();
  Future<std::optional<WebSocketMessage>> read_message(std::chrono::milliseconds timeout);
  Future<void> write_message(std::string_view message, bool binary);
  Future<void> write_message(std::string_view text);
  Future<void> ping(std::string_view data);
  // Sends a close frame and waits (at most `timeout`) for the server's.
  Future<void> close(std::uint16_t code, std::string_view reason,
                     std::chrono::milliseconds timeout);
  Future<void> close();

  std::optional<std::uint16_t> close_code() const noexcept;
  const std::string& close_reason() const noexcept;
  const std::string& selected_subprotocol() const noexcept;
  const HTTPHeaders& response_headers() const noexcept;
  // Pongs received so far (the payloads of the last ones, for tests of ping/pong).
  std::size_t pongs() const noexcept;

  struct State;

 private:
  friend Future<WebSocketClientConnection> websocket_connect(std::string, WebSocketConnectOptions);
  explicit WebSocketClientConnection(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// Connects to ws:// or wss:// `url`: Error(timeout) past connect_timeout, Error(unavailable) when
// refused or the handshake fails (the HTTP status in the message).
Future<WebSocketClientConnection> websocket_connect(std::string url,
                                                    WebSocketConnectOptions options);
Future<WebSocketClientConnection> websocket_connect(std::string url);

}  // namespace gale::web
