// notes: a JSON CRUD API on PostgreSQL or MongoDB (docs/crud.md walks through it with curl).
//
//   crud --db pg --pg-uri postgresql://gale:gale@127.0.0.1:5432/gale --port 8888
//   crud --db mongo --mongo-uri mongodb://127.0.0.1:27017/gale --workers 2
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "crud/app.hpp"
#include "crud/deferred_store.hpp"
#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"

namespace {

// Each connection is a descriptor: take the hard limit on open files rather than the soft one
// (often 1024), as nginx's worker_rlimit_nofile or Go's runtime do.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  gale::web::Options options("notes: a JSON CRUD API on PostgreSQL or MongoDB");
  crud::BackendConfig config;
  options.define("--db", config.db, "the database: pg or mongo")
      ->check(CLI::IsMember({"pg", "mongo"}));
  options.define("--mongo-database", config.mongo_database,
                 "MongoDB database when the URI names none");
  options.define("--table", config.table, "table (PostgreSQL) or collection (MongoDB) of notes");
  double header_timeout = 30;
  options
      .define("--header-timeout", header_timeout,
              "seconds from a request's first byte to the end of its headers (then 408)")
      ->check(CLI::PositiveNumber);
  options.parse(argc, argv);
  config.pg_uri = options.pg_uri;
  config.mongo_uri = options.mongo_uri;
  raise_open_file_limit();

  gale::web::Settings settings = options.settings();
  settings.metrics = true;  // /metrics: requests, latencies, loop lag and the database pool
  settings.header_timeout = std::chrono::milliseconds(static_cast<long>(header_timeout * 1000));
  // The routes exist before the server starts; until the database is ready they answer 503.
  crud::DeferredStore store;
  gale::web::Application app({}, settings);
  crud::add_routes(app, store);
  gale::web::HTTPServer server(app);
  server.bind(options.port, options.address);
  server.start(options.workers);  // forks when workers != 1; what follows runs in each worker
  server.install_signal_handlers();

  try {
    crud::Backend backend(config);  // the process's one database client
    app.metrics().add_pool([&backend] { return backend.pool_stats(); });
    gale::IOLoop::current().run_sync([&backend] { return backend.store().setup(); },
                                     std::chrono::seconds(60));
    store.set(&backend.store());
    std::fprintf(stderr, "notes API on http://%s:%u/notes (%s)\n", options.address.c_str(),
                 server.port(), backend.describe().c_str());
    gale::IOLoop::current().start();  // SIGTERM/SIGINT: graceful shutdown, then exit 0
    store.set(nullptr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "notes: %s\n", e.what());
    return 1;
  }
}
