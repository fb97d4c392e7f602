// The client's side of a connection, shared by the HTTP client and websocket_connect: a URL's
// parts, a socket connected (and TLS-handshaken for https:// and wss://) within a deadline, and
// reads and writes as Futures.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"

namespace gale::web::detail {

struct ParsedUrl {
  bool tls = false;
  std::string scheme;
  std::string host;
  std::uint16_t port = 80;
  std::string target;  // path and query
  std::string key;     // scheme://host:port, for reuse
};

// An absolute URL of one of `schemes` ("http", "https", "ws", "wss"); `who` prefixes errors
// (Error(invalid_argument)).
ParsedUrl parse_url(const std::string& url, std::string_view who, bool websocket);

// A connection to a server: the socket, and over it TLS for https and wss.
struct ClientConn {
  explicit ClientConn(asio::io_context& context) : socket(context) {}
  asio::ip::tcp::socket socket;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls;
  Clock::time_point idle_since;

  template <class F>
  void with_stream(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(socket);
    }
  }
};
using ConnPtr = std::shared_ptr<ClientConn>;

// A TLS client context: the system's CAs (or the PEM file ca_certs), TLS 1.2+, the peer verified
// unless `validate` is off. Error(invalid_argument) when ca_certs cannot be read.
std::shared_ptr<asio::ssl::context> client_tls_context(const std::string& ca_certs, bool validate,
                                                       std::string_view who);

// Resolves, connects and (with `tls`) handshakes before `until`: Error(timeout) past it,
// Error(unavailable) when refused or the handshake fails.
Future<ConnPtr> open_connection(IOLoop& loop, const ParsedUrl& u, Clock::time_point until,
                                asio::ssl::context* tls, bool verify, std::string who);

Future<void> write_all(ConnPtr conn, std::shared_ptr<std::string> data);
// What one read gave (0 at the end of the stream).
Future<std::size_t> read_some(ConnPtr conn, std::shared_ptr<std::array<char, 16384>> buffer);

}  // namespace gale::web::detail
