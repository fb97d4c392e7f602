// The smallest gale app: a JSON hello on the web layer. Try: hello --port 8888; curl
// localhost:8888/
#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"

struct Hello : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    write_json({{"hello", get_argument("name", "world")}});
    co_return;
  }
};

int main(int argc, char** argv) {
  gale::web::Options options("hello: the smallest gale app");
  options.parse(argc, argv);
  gale::web::Application app({{"/", gale::web::handler<Hello>()}}, options.settings());
  app.listen(options);              // --port, --address, --workers
  gale::IOLoop::current().start();  // SIGTERM/SIGINT: graceful shutdown, then exit 0
}
