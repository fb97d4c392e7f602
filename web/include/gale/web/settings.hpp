// Settings of an Application and its HTTP server. Limits and timeouts carry Tornado's names.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include "gale/web/tls_settings.hpp"

namespace gale::web {

struct Settings {
  // Error responses carry the exception's text (and unknown exceptions their type and message);
  // off in production, where a gale::Error answers with its client message or its kind's words
  // ("duplicate key", "service unavailable, retry later") and a 500 says only "Internal Server
  // Error". The full text always goes to the log with the request id.
  bool debug = false;
  // Opt-in messages for failures that name a constraint or index (gale::Error::constraint()): a
  // duplicate key on "users_email_key" answers "email already registered" rather than "duplicate
  // key". Names not listed stay hidden.
  std::map<std::string, std::string, std::less<>> constraint_messages{};
  // Trust X-Real-IP / X-Forwarded-For (remote_ip) and X-Forwarded-Proto (protocol): only behind a
  // proxy that sets them.
  bool xheaders = false;
  // gzip responses of at least gzip_min_size bytes when the client accepts gzip.
  bool gzip = false;
  std::size_t gzip_min_size = 1024;
  // One info line per request (warning for 4xx, error for 5xx) on the logger "gale.access".
  bool access_log = true;
  // Adds the route /metrics (Prometheus text format).
  bool metrics = false;
  // Adds a route that serves the application's OpenAPI 3.1 document (openapi.hpp) at this path
  // ("/openapi.json"); empty: none. Read when the Application is constructed.
  std::string openapi_path{};
  std::string api_title = "gale API";  // the document's info.title and info.version
  std::string api_version = "0.1.0";
  std::string server_header = "gale";

  // Limits. Over one: 431 (headers), 413 (body), 400 (malformed), then the connection closes.
  std::size_t max_header_size = 64 * 1024;       // request line + header fields
  std::size_t max_body_size = 10 * 1024 * 1024;  // decoded body, chunked or not
  std::size_t max_json_depth = 64;               // json_body() nesting levels
  std::size_t max_connections = 10000;           // further connections are closed at accept
  // Timeouts: from a request's first byte to its last header (on HTTPS also from the accept to the
  // end of the TLS handshake: a client that stalls in it is closed); from the end of the headers
  // to the end of the body; waiting for the next request on an open connection (and for a stalled
  // response write to make progress). Going over one gives 408 when possible, then closes.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds idle_connection_timeout{std::chrono::seconds(120)};
  // Graceful shutdown (SIGTERM/SIGINT): in-flight requests get this long to finish.
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(10)};
  // Application::listen() installs the SIGTERM/SIGINT handlers of the graceful shutdown.
  bool handle_signals = true;

  // HTTPS (tls_settings.hpp): off while tls.certfile is empty.
  TLSSettings tls{};

  // WebSockets and event streams (websocket.hpp, event_stream.hpp).
  // A message larger than this (once inflated) closes the WebSocket with 1009.
  std::size_t websocket_max_message_size = 10 * 1024 * 1024;
  // Bytes written and not yet taken by the socket, per connection: past this bound the consumer
  // is too slow; a WebSocket is closed with 1008, an event stream closed. One message larger than
  // the bound may still be queued alone.
  std::size_t websocket_max_queued_bytes = 4 * 1024 * 1024;
  // A WebSocket quiet for this long gets a ping (an event stream a keep-alive comment); a peer that
  // does not answer within websocket_ping_timeout (nor a close frame) is closed.
  std::chrono::milliseconds websocket_ping_interval{std::chrono::seconds(20)};
  std::chrono::milliseconds websocket_ping_timeout{std::chrono::seconds(20)};
  // permessage-deflate, when the client offers it; without context takeover (the server imposes
  // no_context_takeover on both sides) unless websocket_compression_context_takeover.
  bool websocket_compression = false;
  bool websocket_compression_context_takeover = false;
};

}  // namespace gale::web
