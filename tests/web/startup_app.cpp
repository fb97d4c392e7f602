// A program written as the README says, for the start-up tests (newuser_startup_test.cpp): Options,
// a database client made after app.listen(options) (so after the fork with --workers), the schema
// made at start-up, and /pid to tell the workers apart. Nothing catches a gale::Error here: what
// a start-up failure looks like is what the test checks.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include "gale/loop/loop.hpp"
#include "gale/pg/pg.hpp"
#include "gale/web/web.hpp"

namespace {

struct Pid : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    write_json({{"pid", static_cast<long>(getpid())}});
    return {};
  }
};

}  // namespace

int main(int argc, char** argv) {
  gale::web::Options options("startup_app: gale's start-up, as a user writes it");
  bool require_pg = false;
  options.cli().add_flag("--require-pg", require_pg, "a PostgreSQL URI is required");
  options.parse(argc, argv);
  if (require_pg && options.pg_uri.empty()) {
    options.usage_error("a PostgreSQL URI is required: --pg-uri, GALE_PG_URI or --pg-uri-file");
  }
  gale::web::Application app({{"/pid", gale::web::handler<Pid>()}}, options.settings());
  app.listen(options);  // forks with --workers != 1; what follows runs in each worker
  if (!options.pg_uri.empty()) {
    gale::pg::Client pg(options.pg_uri);  // a bad URI throws gale::Error(invalid_argument)
    gale::IOLoop::current().run_sync(
        [&] { return pg.execute_script("CREATE TEMP TABLE startup_check (id int)"); },
        std::chrono::seconds(30));  // a database that is down: gale::Error(unavailable)
  }
  gale::IOLoop::current().start();
}
