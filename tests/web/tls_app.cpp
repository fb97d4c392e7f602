// The program of the HTTPS tests (tls_peers.py): Options with --certfile and the other TLS flags,
// and one route of each kind, to see what a handler sees over TLS: / answers the request's
// protocol and client certificate subject, /ws echoes WebSocket messages, /events sends two
// Server-Sent Events. --handshake-timeout-ms sets TLSSettings::handshake_timeout (the
// stalled-handshake test); --header-timeout-ms Settings::header_timeout.
#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"

namespace {

struct Who : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    write_json({{"protocol", request().protocol},
                {"client", std::string(request().client_certificate_subject())}});
    return {};
  }
};

struct Echo : gale::web::WebSocketHandler {
  bool check_origin(std::string_view) override { return true; }
  gale::Future<void> on_message(std::string_view message, bool binary) override {
    co_await write_message(message, binary);
  }
};

struct Events : gale::web::EventStreamHandler {
  gale::Future<void> open(std::string_view) override {
    co_await send("one");
    co_await send("two", "second", "2");
  }
};

}  // namespace

int main(int argc, char** argv) {
  gale::web::Options options("tls_app: what a handler sees over HTTPS");
  int header_timeout_ms = 30000;
  options.define("--header-timeout-ms", header_timeout_ms, "Settings::header_timeout");
  int handshake_timeout_ms = 10000;
  options.define("--handshake-timeout-ms", handshake_timeout_ms, "TLSSettings::handshake_timeout");
  options.parse(argc, argv);
  gale::web::Settings settings = options.settings();
  settings.header_timeout = std::chrono::milliseconds(header_timeout_ms);
  settings.tls.handshake_timeout = std::chrono::milliseconds(handshake_timeout_ms);
  gale::web::Application app({{"/", gale::web::handler<Who>()},
                              {"/ws", gale::web::handler<Echo>()},
                              {"/events", gale::web::handler<Events>()}},
                             settings);
  app.listen(options);
  gale::IOLoop::current().start();
}
