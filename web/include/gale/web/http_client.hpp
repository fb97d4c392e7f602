// An async HTTP/1.1 client on the loop, as Tornado's AsyncHTTPClient: for calling other services
// from handlers, and for tests.
//
//   auto r = co_await gale::web::fetch("http://127.0.0.1:8080/notes/1");
//   gale::web::HTTPRequest req{.url = url, .method = "POST", .body = R"({"title": "x"})"};
//   req.headers.add("Content-Type", "application/json");
//   auto created = co_await gale::web::HTTPClient::instance().fetch(req);
//
// Connections are kept alive and reused per host:port (a bounded number per host). Every fetch has
// a deadline (connect_timeout, request_timeout: Error(timeout)) and a bound on the response body
// (Error(invalid_argument) past max_body_size). With raise_error (the default, as in Tornado) a
// status >= 400 throws HTTPClientError, which carries the response. https:// goes over TLS
// (OpenSSL through asio::ssl), with the certificate and host name verified unless validate_cert
// is off.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gale/loop/error.hpp"
#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/web/headers.hpp"

namespace gale::web {

struct HTTPRequest {
  std::string url{};
  std::string method = "GET";
  HTTPHeaders headers{};
  std::string body{};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(20)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(20)};
  std::size_t max_body_size = 64 * 1024 * 1024;
  // A status >= 400 throws HTTPClientError. Unset: the fetcher's default, on for
  // HTTPClient::fetch and gale::web::fetch (as Tornado's), off for testing::TestServer::fetch (as
  // AsyncHTTPTestCase.fetch).
  std::optional<bool> raise_error{};
  // https: verify the server's certificate and name (off: no verification at all), against the
  // system's CAs or the PEM file ca_certs.
  bool validate_cert = true;
  std::string ca_certs{};
};

struct HTTPResponse {
  int code = 0;
  std::string reason;
  HTTPHeaders headers;
  std::string body;
  std::string effective_url;
  double request_time_ms = 0;
  bool reused_connection = false;  // the request went over a kept-alive connection

  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// A response with a status >= 400 (raise_error). kind(): 400 invalid_argument, 401 unauthorized,
// 403 forbidden, 404 not_found, 409 conflict, 503 unavailable, 504 timeout, else internal.
class HTTPClientError : public Error {
 public:
  explicit HTTPClientError(HTTPResponse response);
  const HTTPResponse& response() const noexcept { return response_; }
  int code() const noexcept { return response_.code; }

 private:
  HTTPResponse response_;
};

class HTTPClient {
 public:
  struct Options {
    std::size_t max_idle_per_host = 16;
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  };

  explicit HTTPClient(Options options);
  HTTPClient() : HTTPClient(Options{}) {}
  ~HTTPClient();
  HTTPClient(const HTTPClient&) = delete;
  HTTPClient& operator=(const HTTPClient&) = delete;

  // The client shared by everything on this thread's loop (like AsyncHTTPClient()).
  static HTTPClient& instance();

  Future<HTTPResponse> fetch(HTTPRequest request);
  Future<HTTPResponse> fetch(std::string url) {
    HTTPRequest r;
    r.url = std::move(url);
    return fetch(std::move(r));
  }
  // Closes the idle connections.
  void close() noexcept;
  std::size_t idle_connections() const noexcept;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

inline Future<HTTPResponse> fetch(HTTPRequest request) {
  return HTTPClient::instance().fetch(std::move(request));
}
inline Future<HTTPResponse> fetch(std::string url) {
  return HTTPClient::instance().fetch(std::move(url));
}

}  // namespace gale::web
