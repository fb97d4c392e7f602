// The TechEmpower-style application: /json and /plaintext always; the PostgreSQL tests when a
// pg client is given, the MongoDB tests (under /mongo/) when a database is given.
#pragma once

#include "gale/mongo/database.hpp"
#include "gale/pg/client.hpp"
#include "gale/web/application.hpp"

namespace techempower {

// Clients and database must outlive `app`.
void add_routes(gale::web::Application& app, gale::pg::Client* pg, gale::mongo::Database* mongo);

}  // namespace techempower
