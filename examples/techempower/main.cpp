// The TechEmpower-style benchmark app: one process, one IOLoop by default (--workers N forks).
//
//   techempower --pg-uri 'postgresql://gale:gale@127.0.0.1:5432/gale?pool_max_size=16'
//               --mongo-uri 'mongodb://127.0.0.1:27017/?maxPoolSize=16' --port 8080
// Seed the tables first (bench/peers/seed.py; bench/run does it).
#include <cstdio>
#include <memory>
#include <optional>

#include "gale/loop/loop.hpp"
#include "gale/mongo/client.hpp"
#include "gale/web/web.hpp"
#include "techempower/app.hpp"

int main(int argc, char** argv) {
  gale::web::Options options("TechEmpower-style benchmark app");
  std::string mongo_database = "gale_bench";
  options.define("--mongo-database", mongo_database, "MongoDB database when the URI names none");
  options.parse(argc, argv);

  gale::web::Settings settings = options.settings();
  settings.access_log = false;  // as every TechEmpower entry: no per-request logging
  settings.max_connections = 20000;
  gale::web::Application app({}, settings);
  gale::web::HTTPServer server(app);
  server.bind(options.port, options.address);
  server.start(options.workers);  // clients below are made in each worker

  std::unique_ptr<gale::pg::Client> pg;
  std::optional<gale::mongo::Client> mongo;
  std::optional<gale::mongo::Database> db;
  try {
    if (!options.pg_uri.empty()) pg = std::make_unique<gale::pg::Client>(options.pg_uri);
    if (!options.mongo_uri.empty()) {
      mongo.emplace(options.mongo_uri);
      auto name = mongo->settings().database;
      db.emplace((*mongo)[name.empty() ? mongo_database : name]);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "techempower: %s\n", e.what());
    return 1;
  }
  techempower::add_routes(app, pg.get(), db ? &*db : nullptr);
  server.install_signal_handlers();
  std::fprintf(stderr, "techempower app on http://%s:%u/ (PostgreSQL: %s, MongoDB: %s)\n",
               options.address.c_str(), server.port(), pg ? "yes" : "no", db ? "yes" : "no");
  gale::IOLoop::current().start();
}
