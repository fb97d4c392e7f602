// notes: a JSON CRUD API on PostgreSQL or MongoDB (docs/crud.md walks through it with curl).
//
//   crud --db pg --pg-uri postgresql://gale:gale@127.0.0.1:5432/gale --port 8888
//   crud --db mongo --mongo-uri mongodb://127.0.0.1:27017/gale --workers 2
//   crud ... --cors-origins https://notes.example    (pages of that origin may call the API)
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "crud/app.hpp"
#include "crud/cors.hpp"
#include "crud/deferred_store.hpp"
#include "crud/live.hpp"
#include "gale/loop/log.hpp"
#include "gale/loop/loop.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/web/openapi.hpp"
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

// Feeds the relay from the database's changes, in the background: while the database cannot be
// reached it tries again (and /notes/live answers 503); a database that gives no changes (a
// MongoDB server without change streams) turns live updates off (501), and the API runs on.
gale::Future<void> start_live(crud::Backend& backend, crud::Live& live) {
  while (!live.relay.running()) {
    std::optional<gale::live::Feed> feed;
    gale::ErrorKind kind = gale::ErrorKind::internal;
    std::string failure;
    try {
      feed.emplace(co_await backend.watch());
    } catch (const std::exception& e) {
      kind = gale::kind_of(std::current_exception());
      failure = e.what();
    }
    if (feed) {
      auto note_json = backend.note_json();
      live.relay.start(std::move(*feed), [note_json](const nlohmann::json& change) {
        return crud::live_change(change, note_json);
      });
    } else if (kind == gale::ErrorKind::unavailable || kind == gale::ErrorKind::timeout) {
      gale::log::warning("crud", "live updates wait for the database: {}", failure);
      co_await gale::sleep(std::chrono::seconds(2));
    } else {
      live.off = failure;
      gale::log::warning("crud", "live updates are off (/notes/live answers 501): {}", failure);
      co_return;
    }
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
  bool live_updates = true;
  options.define("--live", live_updates,
                 "serve /notes/live from the database's changes (true/false; on PostgreSQL a "
                 "change log on the table, read through the pool)");
  std::vector<std::string> cors_origins;
  options
      .define("--cors-origins", cors_origins,
              "origins whose pages may call the API (CORS), comma-separated: "
              "https://notes.example,http://localhost:3000, or * for any")
      ->delimiter(',');
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
  settings.openapi_path = "/openapi.json";  // the API's OpenAPI 3.1 document
  settings.api_title = "gale notes API";
  settings.api_version = "1.0.0";
  settings.header_timeout = std::chrono::milliseconds(static_cast<long>(header_timeout * 1000));
  // The routes exist before the server starts; until the database is ready they answer 503.
  crud::DeferredStore store;
  crud::Live live;  // GET /notes/live: the database's changes, pushed (crud/live.hpp)
  gale::web::Application app({}, settings);
  crud::add_cors(app, cors_origins);  // request ids are on in every gale app (X-Request-Id)
  crud::add_live_routes(app, live);
  crud::add_routes(app, store);
  if (!options.openapi_out.empty()) {  // --openapi-out: the document, no server
    gale::web::write_openapi(app, options.openapi_out);
    return 0;
  }
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
    if (live_updates) {
      auto live_started = start_live(backend, live);
    } else {
      live.off = "turned off with --live false";
    }
    std::fprintf(stderr, "notes API on http://%s:%u/notes (%s)\n", options.address.c_str(),
                 server.port(), backend.describe().c_str());
    gale::IOLoop::current().start();  // SIGTERM/SIGINT: graceful shutdown, then exit 0
    gale::IOLoop::current().run_sync([&live] { return live.relay.stop(); },
                                     std::chrono::seconds(10));
    store.set(nullptr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "notes: %s\n", e.what());
    return 1;
  }
}
