// The WebSocket benchmark's gale server: /echo sends each message back; /ws/{room} joins a room;
// POST /rooms/{room}/messages sends the body to every member (one Broadcast per room). The same
// routes as bench/peers/tornado_ws.py.
#include <map>
#include <memory>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"

namespace {

std::map<std::string, std::unique_ptr<gale::web::Broadcast>> rooms;

gale::web::Broadcast& room(std::string_view name) {
  auto& r = rooms[std::string(name)];
  if (!r) r = std::make_unique<gale::web::Broadcast>();
  return *r;
}

struct Echo : gale::web::WebSocketHandler {
  gale::Future<void> on_message(std::string_view message, bool binary) override {
    return write_message(message, binary);
  }
};

struct Member : gale::web::WebSocketHandler {
  gale::Future<void> open(std::string_view name) override {
    room(name).add(*this);
    return {};
  }
};

struct Post : gale::web::RequestHandler {
  gale::Future<void> post(std::string_view name) override {
    write_json({{"sent", room(name).send(body())}});
    return {};
  }
};

}  // namespace

int main(int argc, char** argv) {
  gale::web::Options options("bench_ws_server: echo and broadcast for bench/websocket/run");
  std::size_t max_connections = 20000;
  options.define("--max-connections", max_connections, "open connections");
  options.parse(argc, argv);
  auto settings = options.settings();
  settings.access_log = false;
  settings.max_connections = max_connections;
  settings.websocket_ping_interval = std::chrono::milliseconds(0);  // Tornado's default: no pings
  gale::web::Application app({{"/echo", gale::web::handler<Echo>()},
                              {"/ws/{room}", gale::web::handler<Member>()},
                              {"/rooms/{room}/messages", gale::web::handler<Post>()}},
                             settings);
  app.listen(options);
  gale::IOLoop::current().start();
}
