// The database tests on MongoDB: collections world ({_id, randomNumber}) and fortune
// ({_id, message}), as seeded by bench/peers/seed.py.
#pragma once

#include "gale/mongo/database.hpp"
#include "gale/web/request_handler.hpp"

namespace techempower {

class MongoDbHandler : public gale::web::RequestHandler {
 public:
  explicit MongoDbHandler(gale::mongo::Database* db) : db_(*db) {}
  gale::Future<void> get(std::string_view) override;

 private:
  gale::mongo::Database& db_;
};

class MongoQueriesHandler : public gale::web::RequestHandler {
 public:
  explicit MongoQueriesHandler(gale::mongo::Database* db) : db_(*db) {}
  gale::Future<void> get(std::string_view) override;

 private:
  gale::mongo::Database& db_;
};

class MongoUpdatesHandler : public gale::web::RequestHandler {
 public:
  explicit MongoUpdatesHandler(gale::mongo::Database* db) : db_(*db) {}
  gale::Future<void> get(std::string_view) override;

 private:
  gale::mongo::Database& db_;
};

class MongoFortunesHandler : public gale::web::RequestHandler {
 public:
  explicit MongoFortunesHandler(gale::mongo::Database* db) : db_(*db) {}
  gale::Future<void> get(std::string_view) override;

 private:
  gale::mongo::Database& db_;
};

}  // namespace techempower
