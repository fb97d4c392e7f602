#include "techempower/app.hpp"

#include "techempower/mongo_handlers.hpp"
#include "techempower/pg_handlers.hpp"
#include "techempower/plain_handlers.hpp"

namespace techempower {

void add_routes(gale::web::Application& app, gale::pg::Client* pg, gale::mongo::Database* mongo) {
  using gale::web::handler;
  app.add_route("/json", handler<JsonHandler>());
  app.add_route("/plaintext", handler<PlaintextHandler>());
  if (pg != nullptr) {
    app.add_route("/db", handler<PgDbHandler>(pg));
    app.add_route("/queries", handler<PgQueriesHandler>(pg));
    app.add_route("/updates", handler<PgUpdatesHandler>(pg));
    app.add_route("/fortunes", handler<PgFortunesHandler>(pg));
  }
  if (mongo != nullptr) {
    app.add_route("/mongo/db", handler<MongoDbHandler>(mongo));
    app.add_route("/mongo/queries", handler<MongoQueriesHandler>(mongo));
    app.add_route("/mongo/updates", handler<MongoUpdatesHandler>(mongo));
    app.add_route("/mongo/fortunes", handler<MongoFortunesHandler>(mongo));
  }
}

}  // namespace techempower
