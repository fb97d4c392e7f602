// The database tests on PostgreSQL: tables world (id, randomnumber) and fortune (id, message).
// Every query is its own statement with its own Sync: the driver pipelines the queries that a
// request sends at once (gather), and a failing one disturbs no other.
#pragma once

#include "gale/pg/client.hpp"
#include "gale/web/request_handler.hpp"

namespace techempower {

class PgDbHandler : public gale::web::RequestHandler {
 public:
  explicit PgDbHandler(gale::pg::Client* pg) : pg_(*pg) {}
  gale::Future<void> get(std::string_view) override;

 private:
  gale::pg::Client& pg_;
};

class PgQueriesHandler : public gale::web::RequestHandler {
 public:
  explicit PgQueriesHandler(gale::pg::Client* pg) : pg_(*pg) {}
  gale::Future<void> get(std::string_view) override;

 private:
  gale::pg::Client& pg_;
};

class PgUpdatesHandler : public gale::web::RequestHandler {
 public:
  explicit PgUpdatesHandler(gale::pg::Client* pg) : pg_(*pg) {}
  gale::Future<void> get(std::string_view) override;

 private:
  gale::pg::Client& pg_;
};

class PgFortunesHandler : public gale::web::RequestHandler {
 public:
  explicit PgFortunesHandler(gale::pg::Client* pg) : pg_(*pg) {}
  gale::Future<void> get(std::string_view) override;

 private:
  gale::pg::Client& pg_;
};

}  // namespace techempower
