// HTTPServerRequest: one parsed HTTP request, as Tornado's tornado.httputil.HTTPServerRequest.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/web/headers.hpp"

namespace gale::web {

// Percent-decoding; with plus_as_space (query strings, forms) '+' becomes ' '. Malformed escapes
// are kept as they are, as browsers and Tornado do.
std::string url_unescape(std::string_view text, bool plus_as_space = true);
// Parses "a=1&b=two" into decoded (name, value) pairs, in order; a name without '=' gets "".
std::vector<std::pair<std::string, std::string>> parse_query_string(std::string_view query);

struct HTTPServerRequest {
  std::string method;   // "GET"
  std::string uri;      // as sent: "/notes/1?full=1"
  std::string version;  // "HTTP/1.1"
  HTTPHeaders headers;
  std::string body;
  std::string remote_ip;          // the peer, or X-Real-IP / X-Forwarded-For with xheaders
  std::string protocol = "http";  // "https" over TLS; X-Forwarded-Proto's value with xheaders
  std::string request_id;         // X-Request-Id if the client sent a sane one, else generated
  std::chrono::steady_clock::time_point start_time;
  bool keep_alive = false;  // the connection stays open after this response

  // "/notes/1" (still percent-encoded) and "full=1".
  std::string_view path() const noexcept;
  std::string_view query() const noexcept;
  // The Host header, or "" when the client sent none.
  std::string_view host() const noexcept { return headers.get("Host", ""); }

  // Query arguments, decoded, in order; parsed on first use. Raw bytes, not checked as UTF-8 (the
  // handler's get_argument() checks).
  const std::vector<std::pair<std::string, std::string>>& query_arguments() const;
  // Arguments of an application/x-www-form-urlencoded body; parsed on first use.
  const std::vector<std::pair<std::string, std::string>>& body_arguments() const;

  // HTTPS with client certificates (TLSSettings::client_ca): the subject of the certificate the
  // client presented and the server verified, in RFC 2253's form ("CN=alice,O=Example"); "" when
  // the client presented none, or over plain HTTP.
  std::string_view client_certificate_subject() const noexcept;
  void set_client_certificate_subject(std::string subject);

  // Milliseconds since the request arrived (its headers were complete).
  double elapsed_ms() const noexcept;

  // Back to a fresh request (equal to a default-constructed one), keeping the storage of small
  // fields: the server reuses request objects.
  void reset() noexcept;

 private:
  // Made on first use: a request that reads no arguments (and a WebSocket, which keeps its
  // request as long as it is open) pays one pointer for them, and for the client certificate.
  struct Arguments {
    std::optional<std::vector<std::pair<std::string, std::string>>> query;
    std::optional<std::vector<std::pair<std::string, std::string>>> body;
    std::string client_certificate_subject;
  };
  Arguments& arguments() const;
  mutable std::unique_ptr<Arguments> arguments_;
};

}  // namespace gale::web
