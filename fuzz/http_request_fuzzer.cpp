// The HTTP request path: bytes a client sends, through the server's own connection code (the
// parser, the header/body limits, keep-alive and pipelining), the router (templates, typed and
// path parameters, a regex route) and the handlers (query arguments, json_body(), errors through
// write_error, /metrics). The connection is one end of a socketpair given to
// gale::web::detail::Connection as its socket; the harness writes the input to the other end,
// closes it for writing and reads every response until the server closes.
//
// Findings, besides crashes and leaks: a hang (the loop gives up after 5 s), output that is not an
// HTTP/1.1 response, and a 500 from a route that never fails (a server fault on bad input: it
// should have been a 4xx).
#include <sys/socket.h>
#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gale/loop/log.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/connection.hpp"
#include "gale/web/http_error.hpp"
#include "peer_exchange.hpp"

namespace {

using gale_fuzz::Exchange;
using gale_fuzz::finding;
using gale_fuzz::Peer;

using namespace gale::web;
using namespace std::chrono_literals;

struct Root : RequestHandler {
  gale::Future<void> get(std::string_view) override {
    write("ok");
    co_return;
  }
};

struct Items : RequestHandler {
  gale::Future<void> post(std::string_view) override {
    auto body = json_body();
    nlohmann::json out = {{"created", body}};
    write_json(out);
    co_return;
  }
  gale::Future<void> get(std::string_view) override {
    // get_arguments() gives text (400 for invalid UTF-8); query_arguments() would give raw bytes.
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, value] : request().query_arguments()) {
      out["args"].push_back(get_arguments(name));
    }
    write_json(out);
    co_return;
  }
};

struct Item : RequestHandler {
  gale::Future<void> get(std::string_view) override {
    nlohmann::json out = {{"id", path_int("id")}, {"q", get_argument("q", "")}};
    write_json(out);
    co_return;
  }
  gale::Future<void> put(std::string_view) override {
    auto body = json_body();
    nlohmann::json out = {{"id", path_int("id")}, {"body", body}};
    write_json(out);
    co_return;
  }
  gale::Future<void> delete_(std::string_view) override {
    set_status(204);
    co_return;
  }
};

// Answers after a suspension: the connection keeps pipelined bytes aside meanwhile.
struct Later : RequestHandler {
  gale::Future<void> get(std::string_view name) override {
    co_await gale::sleep(0ms);
    // Header values are bytes (HTTP allows obs-text): only their size goes into JSON.
    nlohmann::json out = {{"name", std::string(name)}, {"ua", header("User-Agent").size()}};
    write_json(out);
  }
};

// Errors whose messages carry what the client sent.
struct Fail : RequestHandler {
  gale::Future<void> get(std::string_view kind) override {
    if (kind == "boom") throw std::runtime_error("boom: " + get_argument("why", ""));
    if (kind == "http") throw HTTPError(418, "teapot: " + get_argument("why", ""));
    throw gale::Error(gale::ErrorKind::not_found, "no such thing: " + std::string(kind));
  }
};

struct Files : RequestHandler {
  gale::Future<void> get(std::string_view rest) override {
    write(rest);
    co_return;
  }
};

struct Regex : RequestHandler {
  gale::Future<void> get(std::string_view first) override {
    nlohmann::json out = {{"n", std::string(first)}, {"w", *path_args().find("2")}};
    write_json(out);
    co_return;
  }
};

Settings harness_settings() {
  Settings s;
  s.debug = true;  // error messages carry the exception's text
  s.access_log = false;
  s.metrics = true;
  s.gzip = true;
  s.gzip_min_size = 64;
  s.max_header_size = 4096;
  s.max_body_size = 4096;
  s.max_json_depth = 16;
  s.handle_signals = false;
  return s;
}

struct Harness {
  Harness()
      : app({{"/", handler<Root>()},
             {"/items", handler<Items>()},
             {"/items/{id:int}", handler<Item>()},
             {"/later/{name}", handler<Later>()},
             {"/fail/{kind}", handler<Fail>()},
             {"/files/{rest:path}", handler<Files>()},
             {"^/re/([0-9]+)/(\\w+)$", handler<Regex>()}},
            harness_settings()),
        core(std::make_shared<detail::ServerCore>(app, loop)) {}

  gale::IOLoop loop;
  Application app;
  std::shared_ptr<detail::ServerCore> core;
};

// The status codes of the responses in `out`, read one after the other by their Content-Length
// (a status line quoted inside a body, say an error message echoing the input, is not one). Stops
// at a response it cannot delimit (chunked).
std::vector<int> statuses(std::string_view out) {
  std::vector<int> codes;
  std::size_t pos = 0;
  while (pos < out.size() && out.compare(pos, 9, "HTTP/1.1 ") == 0) {
    codes.push_back(std::atoi(std::string(out.substr(pos + 9, 3)).c_str()));
    auto end = out.find("\r\n\r\n", pos);
    if (end == std::string_view::npos) break;
    std::string head(out.substr(pos, end - pos));
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto length = head.find("\r\ncontent-length: ");
    if (length == std::string::npos) break;
    pos = end + 4 + std::strtoull(head.c_str() + length + 18, nullptr, 10);
  }
  return codes;
}

void check_response(std::string_view input, const std::string& response) {
  if (!response.empty() && response.rfind("HTTP/1.1 ", 0) != 0) {
    finding("the output is not an HTTP/1.1 response", response);
  }
  for (int code : statuses(response)) {
    if (code == 500 && input.find("/fail/boom") == std::string_view::npos) {
      finding("a 500 from a route that never fails", response);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gale::log::set_level(gale::log::Level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness* h = new Harness();  // lives as long as the process, as a server's would
  std::string_view input(reinterpret_cast<const char*>(data), size);
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  detail::Socket server_side(h->loop.context().get_executor());
  server_side.assign(asio::ip::tcp::v4(), fds[0]);
  std::make_shared<detail::Connection>(h->core, std::move(server_side))->start();
  auto exchange = std::make_shared<Exchange>(h->loop.context(), fds[1], input);
  exchange->start();
  try {
    h->loop.run_sync([&] { return exchange->done.get_future(); }, std::chrono::seconds(5));
  } catch (const gale::Error& e) {
    finding("the server never closed the connection", exchange->response);
  }
  check_response(input, exchange->response);
  return 0;
}
