#include "gale/web/testing.hpp"

#include <fmt/format.h>

#include <exception>
#include <future>

namespace gale::web::testing {

TestServer::TestServer(Application& app)
    : server_(std::make_unique<HTTPServer>(app)), client_(std::make_unique<HTTPClient>()) {
  server_->listen(0, "127.0.0.1");
}

TestServer::~TestServer() {
  client_->close();
}

std::string TestServer::url(std::string_view path) const {
  return fmt::format("http://127.0.0.1:{}{}", port(), path);
}

namespace {
HTTPRequest json_request(std::string method, const nlohmann::json& body) {
  HTTPRequest r;
  r.method = std::move(method);
  r.body = body.dump();
  r.headers.add("Content-Type", "application/json");
  return r;
}
}  // namespace

Future<HTTPResponse> TestServer::fetch(std::string_view path) {
  return fetch(path, HTTPRequest());
}

Future<HTTPResponse> TestServer::fetch(std::string_view path, HTTPRequest request) {
  request.url = url(path);
  if (!request.raise_error) request.raise_error = false;
  return client_->fetch(std::move(request));
}

Future<HTTPResponse> TestServer::fetch(std::string_view path, std::string method,
                                       const nlohmann::json& body) {
  return fetch(path, json_request(std::move(method), body));
}

HTTPResponse TestServer::fetch_sync(std::string_view path) {
  return fetch_sync(path, HTTPRequest(), kTimeout);
}

HTTPResponse TestServer::fetch_sync(std::string_view path, HTTPRequest request) {
  return fetch_sync(path, std::move(request), kTimeout);
}

HTTPResponse TestServer::fetch_sync(std::string_view path, HTTPRequest request,
                                    std::chrono::milliseconds timeout) {
  auto future = fetch(path, std::move(request));
  return IOLoop::current().run_sync([&] { return future; }, timeout);
}

HTTPResponse TestServer::fetch_sync(std::string_view path, std::string method,
                                    const nlohmann::json& body) {
  return fetch_sync(path, json_request(std::move(method), body), kTimeout);
}

ThreadedServer::ThreadedServer(Application& app) {
  std::promise<std::uint16_t> ready;
  auto started = ready.get_future();
  thread_ = std::thread([this, &app, &ready] {
    try {
      loop_ = std::make_unique<IOLoop>();
      loop_->make_current();
      server_ = std::make_unique<HTTPServer>(app);
      server_->listen(0, "127.0.0.1");
      ready.set_value(server_->port());
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    loop_->start();
    server_.reset();
    loop_.reset();
  });
  try {
    port_ = started.get();
  } catch (...) {
    thread_.join();
    throw;
  }
}

ThreadedServer::~ThreadedServer() {
  stop();
}

void ThreadedServer::call(const std::function<void(HTTPServer&)>& fn) {
  std::promise<void> done;
  auto finished = done.get_future();
  loop_->add_callback([&] {
    try {
      fn(*server_);
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  finished.get();
}

void ThreadedServer::stop() {
  if (!thread_.joinable()) return;
  loop_->stop();
  thread_.join();
}

}  // namespace gale::web::testing
