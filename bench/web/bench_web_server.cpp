// The TechEmpower-style endpoints on one IOLoop (one process, one thread):
//   /json       builds and serializes {"message":"Hello, World!"} per request
//   /plaintext  "Hello, World!"
// Usage: bench_web_server --port N  (access log off; GALE_LOG_LEVEL=warning keeps it quiet).
#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"

namespace {

struct JsonHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    // Built per request, as TechEmpower asks; operator[] costs 3 allocations where the
    // initializer-list form {{"message", "..."}} costs 9 (nlohmann builds it via temporaries).
    nlohmann::json message;
    message["message"] = "Hello, World!";
    write_json(message);
    return gale::make_ready_future();
  }
};

struct PlaintextHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    write("Hello, World!");
    return gale::make_ready_future();
  }
};

}  // namespace

int main(int argc, char** argv) {
  gale::web::Options options("gale web benchmark server");
  options.parse(argc, argv);
  gale::web::Settings settings = options.settings();
  settings.access_log = false;
  settings.max_connections = 20000;
  settings.idle_connection_timeout = std::chrono::minutes(10);
  gale::web::Application app({{"/json", gale::web::handler<JsonHandler>()},
                              {"/plaintext", gale::web::handler<PlaintextHandler>()}},
                             settings);
  app.listen(options.port, options.address);
  gale::IOLoop::current().start();
}
