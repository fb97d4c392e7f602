// WebSocketHandler: the handshake (RFC 6455, 4.2) and the handler's side of the session.
#include <algorithm>
#include <array>
#include <cctype>

#include "gale/loop/error.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/response_sink.hpp"
#include "gale/web/detail/websocket_session.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/websocket.hpp"

namespace gale::web {
namespace {

// Whether a comma-separated header value holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::vector<std::string> split_list(const std::vector<std::string_view>& values) {
  std::vector<std::string> out;
  for (auto value : values) {
    while (!value.empty()) {
      auto comma = value.find(',');
      std::string_view item = value.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return out;
}

// A Sec-WebSocket-Key: base64 of 16 bytes.
bool valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  }
  return true;
}

// The origin's host[:port] ("https://a.example:8443/x" -> "a.example:8443"), lower case.
std::string origin_host(std::string_view origin) {
  auto scheme = origin.find("://");
  if (scheme != std::string_view::npos) origin.remove_prefix(scheme + 3);
  origin = origin.substr(0, origin.find('/'));
  std::string out(origin);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

WebSocketHandler::WebSocketHandler() = default;

WebSocketHandler::~WebSocketHandler() {
  if (auto s = session_.lock()) s->handler_gone();
}

bool WebSocketHandler::check_origin(std::string_view origin) {
  return origin_host(origin) == origin_host(request().host());
}

std::optional<std::string> WebSocketHandler::select_subprotocol(const std::vector<std::string>&) {
  return std::nullopt;
}

Future<void> WebSocketHandler::open(std::string_view) {
  return make_ready_future();
}
Future<void> WebSocketHandler::on_message(std::string_view, bool) {
  return make_ready_future();
}
void WebSocketHandler::on_ping(std::string_view) {}
void WebSocketHandler::on_pong(std::string_view) {}
void WebSocketHandler::on_close() {}

// Checks the handshake and answers 101, or throws the HTTPError that says why not.
std::string WebSocketHandler::handshake(std::string_view,
                                        std::shared_ptr<detail::WebSocketSession>& session) {
  const auto& r = request();
  const auto& h = r.headers;
  if (r.method != "GET" || r.version != "HTTP/1.1") {
    throw HTTPError(400, "a WebSocket handshake is a GET over HTTP/1.1");
  }
  if (!has_token(h.get("Upgrade", ""), "websocket") ||
      !has_token(h.get("Connection", ""), "upgrade")) {
    throw HTTPError(400, "not a WebSocket handshake (Upgrade: websocket, Connection: Upgrade)");
  }
  if (h.get("Sec-WebSocket-Version", "") != "13") {
    throw HTTPError(426, "only WebSocket version 13 is supported")
        .with_header("Sec-WebSocket-Version", "13");
  }
  auto key = h.get("Sec-WebSocket-Key", "");
  if (!valid_key(key)) throw HTTPError(400, "a missing or malformed Sec-WebSocket-Key");
  if (auto origin = h.get("Origin"); origin && !check_origin(*origin)) {
    throw HTTPError(403, "cross-origin WebSocket refused");
  }
  std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      detail::ws::accept_key(key) + "\r\n";
  auto offered = split_list(h.get_all("Sec-WebSocket-Protocol"));
  std::string subprotocol;
  if (!offered.empty()) {
    if (auto chosen = select_subprotocol(offered)) {
      if (std::find(offered.begin(), offered.end(), *chosen) == offered.end()) {
        throw Error(ErrorKind::internal, "select_subprotocol chose one the client did not offer");
      }
      subprotocol = *chosen;
      head += "Sec-WebSocket-Protocol: " + subprotocol + "\r\n";
    }
  }
  std::optional<detail::ws::DeflateParams> deflate;
  const auto& s = settings();
  if (s.websocket_compression) {
    std::string offers;
    for (auto v : h.get_all("Sec-WebSocket-Extensions"))
      offers += std::string(offers.empty() ? "" : ",") + std::string(v);
    if (auto n = detail::ws::negotiate_deflate(offers, s.websocket_compression_context_takeover)) {
      deflate = n->params;
      head += "Sec-WebSocket-Extensions: " + n->response + "\r\n";
    }
  }
  head += "\r\n";
  session = std::make_shared<detail::WebSocketSession>(*this, deflate);
  if (!subprotocol.empty()) session->set_subprotocol(std::move(subprotocol));
  session_ = session;
  return head;
}

Future<void> WebSocketHandler::get(std::string_view arg) {
  std::shared_ptr<detail::WebSocketSession> session;
  std::string head = handshake(arg, session);
  set_status(101);
  headers_sent_ = true;
  finished_ = true;
  sink_->send(std::move(head), {}, false, true);
  if (!sink_->upgrade(session)) return make_ready_future();  // the client went away meanwhile
  session->attach();
  return open(arg);
}

// --- sending, closing, state

Future<void> WebSocketHandler::write_message(std::string_view message, bool binary) {
  if (auto s = session_.lock()) return s->send_message(message, binary);
  return make_exceptional_future<void>(Error(ErrorKind::unavailable, "the WebSocket is closed"));
}
Future<void> WebSocketHandler::write_message(std::string_view text) {
  return write_message(text, false);
}
void WebSocketHandler::ping(std::string_view data) {
  if (auto s = session_.lock()) s->send_ping(data);
}
void WebSocketHandler::ping() {
  ping({});
}
void WebSocketHandler::close(std::uint16_t code, std::string_view reason) {
  if (auto s = session_.lock()) s->start_close(code, reason);
}
void WebSocketHandler::close() {
  close(close_code::normal, {});
}
bool WebSocketHandler::closed() const noexcept {
  auto s = session_.lock();
  return !s || s->closed();
}
std::optional<std::uint16_t> WebSocketHandler::close_code() const noexcept {
  auto s = session_.lock();
  return s ? s->close_code() : std::nullopt;
}
const std::string& WebSocketHandler::close_reason() const noexcept {
  static const std::string none;
  auto s = session_.lock();
  return s ? s->close_reason() : none;
}
const std::string& WebSocketHandler::selected_subprotocol() const noexcept {
  static const std::string none;
  auto s = session_.lock();
  return s ? s->subprotocol() : none;
}
bool WebSocketHandler::compressed() const noexcept {
  auto s = session_.lock();
  return s && s->compressed();
}

}  // namespace gale::web
