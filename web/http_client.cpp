#include "gale/web/http_client.hpp"

#include <fmt/format.h>
#include <http_parser.h>
#include <sys/socket.h>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

#include <array>

#include "gale/loop/fork_guard.hpp"
#include "gale/web/detail/client_socket.hpp"
#include "gale/web/status.hpp"

namespace gale::web {
namespace {

using asio::ip::tcp;
using detail::ConnPtr;
using detail::ParsedUrl;
using detail::read_some;
using detail::write_all;

std::string serialize(const HTTPRequest& req, const ParsedUrl& u) {
  std::string out = fmt::format("{} {} HTTP/1.1\r\n", req.method, u.target);
  if (!req.headers.contains("Host")) {
    bool default_port = u.port == (u.tls ? 443 : 80);
    out += default_port ? fmt::format("Host: {}\r\n", u.host)
                        : fmt::format("Host: {}:{}\r\n", u.host, u.port);
  }
  for (const auto& [name, value] : req.headers.fields()) {
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      throw Error(ErrorKind::invalid_argument, fmt::format("fetch: unsafe header '{}'", name));
    }
    out += fmt::format("{}: {}\r\n", name, value);
  }
  bool body_method = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (!req.headers.contains("Content-Length") && (body_method || !req.body.empty())) {
    out += fmt::format("Content-Length: {}\r\n", req.body.size());
  }
  out += "\r\n";
  out += req.body;
  return out;
}

// The response parser's state.
struct Reading {
  http_parser parser;
  HTTPResponse* response = nullptr;
  std::size_t max_body = 0;
  bool head = false;
  bool done = false;
  bool too_large = false;
  bool last_was_value = false;

  static Reading& of(http_parser* p) { return *static_cast<Reading*>(p->data); }
  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings x;
      http_parser_settings_init(&x);
      x.on_status = [](http_parser* p, const char* at, std::size_t n) {
        of(p).response->reason.append(at, n);
        return 0;
      };
      x.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
        Reading& r = of(p);
        auto& f = r.response->headers.fields();
        if (f.empty() || r.last_was_value) {
          f.emplace_back(std::string(at, n), std::string());
        } else {
          f.back().first.append(at, n);
        }
        r.last_was_value = false;
        return 0;
      };
      x.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
        Reading& r = of(p);
        r.response->headers.fields().back().second.append(at, n);
        r.last_was_value = true;
        return 0;
      };
      x.on_headers_complete = [](http_parser* p) {
        Reading& r = of(p);
        r.response->code = p->status_code;
        // 1xx (e.g. 100 Continue) is not the response: wait for the next one.
        return r.head ? 1 : 0;
      };
      x.on_body = [](http_parser* p, const char* at, std::size_t n) {
        Reading& r = of(p);
        if (r.response->body.size() + n > r.max_body) {
          r.too_large = true;
          return -1;
        }
        r.response->body.append(at, n);
        return 0;
      };
      x.on_message_complete = [](http_parser* p) {
        Reading& r = of(p);
        if (p->status_code >= 100 && p->status_code < 200) {
          r.response->headers.clear();
          r.response->reason.clear();
          return 0;
        }
        r.done = true;
        http_parser_pause(p, 1);
        return 0;
      };
      return x;
    }();
    return s;
  }
};

bool idempotent(std::string_view m) noexcept {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

// Whether a kept-alive socket is still usable: open, and the server sent nothing (not even EOF).
bool still_open(tcp::socket& s) noexcept {
  char byte = 0;
  ssize_t n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

HTTPClientError::HTTPClientError(HTTPResponse response)
    : Error(kind_for_status(response.code),
            fmt::format("HTTP {}: {} ({})", response.code,
                        response.reason.empty() ? reason_phrase(response.code)
                                                : std::string_view(response.reason),
                        response.effective_url)),
      response_(std::move(response)) {}

struct HTTPClient::State : std::enable_shared_from_this<HTTPClient::State> {
  State(Options o, IOLoop& l) : options(o), loop(l) {}
  Options options;
  IOLoop& loop;
  ForkGuard guard;
  std::map<std::string, std::vector<ConnPtr>> idle;
  std::map<std::string, std::shared_ptr<asio::ssl::context>> tls_contexts;

  // The TLS settings of a request, made once per (verification, CA file).
  asio::ssl::context& tls_context(const HTTPRequest& req) {
    std::string key = (req.validate_cert ? "verify:" : "noverify:") + req.ca_certs;
    auto& ctx = tls_contexts[key];
    if (!ctx) ctx = detail::client_tls_context(req.ca_certs, req.validate_cert, "fetch");
    return *ctx;
  }

  ConnPtr take(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& conns = it->second;
    while (!conns.empty()) {
      ConnPtr c = std::move(conns.back());
      conns.pop_back();
      bool fresh = Clock::now() - c->idle_since < options.idle_timeout;
      // A TLS socket may hold session tickets: it counts as open; a stale one is retried.
      if (fresh && (c->tls || still_open(c->socket))) return c;
      asio::error_code ec;
      c->socket.close(ec);
    }
    return nullptr;
  }

  void give_back(const std::string& key, ConnPtr c) {
    auto& conns = idle[key];
    if (conns.size() >= options.max_idle_per_host) return;  // dropped: closes
    c->idle_since = Clock::now();
    conns.push_back(std::move(c));
  }

  Future<HTTPResponse> run(HTTPRequest req);
  Future<ConnPtr> open(const ParsedUrl& u, Clock::time_point deadline, const HTTPRequest& req) {
    Clock::time_point until = std::min(deadline, Clock::now() + req.connect_timeout);
    return detail::open_connection(loop, u, until, u.tls ? &tls_context(req) : nullptr,
                                   req.validate_cert, "fetch");
  }
};

Future<HTTPResponse> HTTPClient::State::run(HTTPRequest req) {
  guard.check("gale::web::HTTPClient");
  auto self = shared_from_this();  // keeps the state alive across suspensions
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + req.request_timeout;
  ParsedUrl u = detail::parse_url(req.url, "fetch", false);
  if (u.tls) u.key += (req.validate_cert ? "#verify:" : "#noverify:") + req.ca_certs;
  auto wire = std::make_shared<std::string>(serialize(req, u));
  auto buffer = std::make_shared<std::array<char, 16384>>();
  for (int attempt = 0;; ++attempt) {
    ConnPtr conn = attempt == 0 ? take(u.key) : nullptr;
    bool reused = conn != nullptr;
    if (!conn) conn = co_await open(u, deadline, req);
    auto timed_out = std::make_shared<bool>(false);
    TimeoutHandle timer = loop.call_at(deadline, [conn, timed_out] {
      *timed_out = true;
      asio::error_code ec;
      conn->socket.close(ec);
    });
    HTTPResponse response;
    response.effective_url = req.url;
    response.reused_connection = reused;
    Reading reading;
    http_parser_init(&reading.parser, HTTP_RESPONSE);
    reading.parser.data = &reading;
    reading.response = &response;
    reading.max_body = req.max_body_size;
    reading.head = req.method == "HEAD";
    bool received = false;
    bool failed = false;
    std::string failure;
    try {
      co_await write_all(conn, wire);
      while (!reading.done) {
        std::size_t n = co_await read_some(conn, buffer);
        received = received || n > 0;
        http_parser_execute(&reading.parser, &Reading::settings(), buffer->data(), n);
        auto err = HTTP_PARSER_ERRNO(&reading.parser);
        if (reading.too_large) {
          throw Error(
              ErrorKind::invalid_argument,
              fmt::format("fetch: the response body is larger than {} bytes", req.max_body_size));
        }
        if (err != HPE_OK && err != HPE_PAUSED) {
          throw Error(ErrorKind::unavailable,
                      fmt::format("fetch: malformed response: {}", http_errno_description(err)));
        }
        if (n == 0 && !reading.done) {
          throw Error(ErrorKind::unavailable,
                      "fetch: the server closed the connection before the response was complete");
        }
      }
    } catch (const Error& e) {
      failed = true;
      failure = e.what();
      if (e.kind() == ErrorKind::invalid_argument) throw;
    } catch (const std::exception& e) {
      failed = true;
      failure = e.what();
    }
    timer.cancel();
    if (failed) {
      asio::error_code ec;
      conn->socket.close(ec);
      if (*timed_out) {
        throw Error(ErrorKind::timeout,
                    fmt::format("fetch: {} {} timed out after {} ms", req.method, req.url,
                                req.request_timeout.count()));
      }
      if (reused && !received && idempotent(req.method)) continue;  // the server dropped it
      throw Error(ErrorKind::unavailable, failure);
    }
    if (http_should_keep_alive(&reading.parser) != 0) {
      give_back(u.key, conn);
    } else {
      asio::error_code ec;
      conn->socket.close(ec);
    }
    response.request_time_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (req.raise_error.value_or(true) && response.code >= 400)
      throw HTTPClientError(std::move(response));
    co_return response;
  }
}

HTTPClient::HTTPClient(Options options)
    : state_(std::make_shared<State>(options, IOLoop::current())) {}

HTTPClient::~HTTPClient() {
  close();
}

HTTPClient& HTTPClient::instance() {
  // One per loop, owned by it: its idle sockets belong to that loop's io_context and must close
  // before it goes (a thread-local client outlived the loop and closed them on a freed context).
  struct Shared {
    HTTPClient client;
    std::uint64_t generation = fork_generation();
  };
  static const char key = 0;
  auto& slot = IOLoop::current().local(&key);
  auto* shared = static_cast<Shared*>(slot.get());
  if (shared == nullptr || shared->generation != fork_generation()) {
    slot = std::make_shared<Shared>();
    shared = static_cast<Shared*>(slot.get());
  }
  return shared->client;
}

Future<HTTPResponse> HTTPClient::fetch(HTTPRequest request) {
  return state_->run(std::move(request));
}

void HTTPClient::close() noexcept {
  for (auto& [key, conns] : state_->idle) {
    for (auto& c : conns) {
      asio::error_code ec;
      c->socket.close(ec);
    }
  }
  state_->idle.clear();
}

std::size_t HTTPClient::idle_connections() const noexcept {
  std::size_t n = 0;
  for (const auto& [key, conns] : state_->idle) n += conns.size();
  return n;
}

}  // namespace gale::web
