// Test support: an Application on 127.0.0.1 and a free port, as Tornado's AsyncHTTPTestCase.
//
//   gale::web::Application app({{"/hello", gale::web::handler<Hello>()}});
//   gale::web::testing::TestServer server(app);         // on the current loop
//   auto r = server.fetch_sync("/hello");                // runs the loop until the response
//   CHECK(r.code == 200);
//
// ThreadedServer runs the Application on a loop of its own thread, for tests that talk to it with
// blocking sockets (raw bytes, slow clients, thousands of connections).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "gale/loop/io_loop.hpp"
#include "gale/web/application.hpp"
#include "gale/web/http_client.hpp"
#include "gale/web/http_server.hpp"

namespace gale::web::testing {

class TestServer {
 public:
  explicit TestServer(Application& app);
  ~TestServer();

  std::uint16_t port() const { return server_->port(); }
  std::string url(std::string_view path) const;
  HTTPServer& server() noexcept { return *server_; }
  HTTPClient& client() noexcept { return *client_; }

  // Fetches path on this server; raise_error is off unless the request turns it on (as
  // AsyncHTTPTestCase.fetch): a 4xx or 5xx is a response to look at.
  Future<HTTPResponse> fetch(std::string_view path);
  Future<HTTPResponse> fetch(std::string_view path, HTTPRequest request);
  // A request with a JSON body (Content-Type: application/json):
  //   server.fetch_sync("/notes", "POST", {{"title", "x"}})
  Future<HTTPResponse> fetch(std::string_view path, std::string method, const nlohmann::json& body);

  // fetch() and run the loop until it is done (at most `timeout`, 10 s when not given).
  HTTPResponse fetch_sync(std::string_view path);
  HTTPResponse fetch_sync(std::string_view path, HTTPRequest request);
  HTTPResponse fetch_sync(std::string_view path, HTTPRequest request,
                          std::chrono::milliseconds timeout);
  HTTPResponse fetch_sync(std::string_view path, std::string method, const nlohmann::json& body);

  static HTTPRequest with_raise_error(bool raise) {
    HTTPRequest r;
    r.raise_error = raise;
    return r;
  }

 private:
  static constexpr std::chrono::milliseconds kTimeout{std::chrono::seconds(10)};

  std::unique_ptr<HTTPServer> server_;
  std::unique_ptr<HTTPClient> client_;
};

class ThreadedServer {
 public:
  // The Application is used on the server's thread only, from construction until destruction.
  explicit ThreadedServer(Application& app);
  ~ThreadedServer();  // stops the loop and joins

  std::uint16_t port() const noexcept { return port_; }
  // Runs fn(server) on the server's thread and waits for it.
  void call(const std::function<void(HTTPServer&)>& fn);
  // Stops the loop and joins (the destructor does it too).
  void stop();

 private:
  std::unique_ptr<IOLoop> loop_;
  std::unique_ptr<HTTPServer> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

}  // namespace gale::web::testing
