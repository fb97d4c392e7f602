#include "crud/app.hpp"

#include "crud/handlers.hpp"
#include "crud/mongo_notes_store.hpp"
#include "crud/pg_notes_store.hpp"
#include "gale/loop/error.hpp"

namespace crud {

void add_routes(gale::web::Application& app, NotesStore& store) {
  app.add_route("/notes", gale::web::handler<NotesHandler>(&store));
  app.add_route("/notes/{id}", gale::web::handler<NoteHandler>(&store));
}

Backend::Backend(const BackendConfig& config) {
  auto missing = [](const char* what) {
    return gale::Error(gale::ErrorKind::invalid_argument,
                       std::string("no ") + what + " connection string: give --" + what +
                           "-uri or GALE_" + (what[0] == 'p' ? "PG" : "MONGO") + "_URI");
  };
  if (config.db == "pg") {
    if (config.pg_uri.empty()) throw missing("pg");
    pg_ = std::make_unique<gale::pg::Client>(config.pg_uri);
    auto store = std::make_unique<PgNotesStore>(*pg_, config.table);
    pg_store_ = store.get();
    store_ = std::move(store);
    description_ = "PostgreSQL " + pg_->address() + ", table " + config.table;
  } else if (config.db == "mongo") {
    if (config.mongo_uri.empty()) throw missing("mongo");
    mongo_.emplace(config.mongo_uri);
    std::string database = mongo_->settings().database;
    if (database.empty()) database = config.mongo_database;
    auto db = (*mongo_)[database];
    auto store = std::make_unique<MongoNotesStore>(db[config.table], db[config.table + "_claims"]);
    mongo_store_ = store.get();
    store_ = std::move(store);
    description_ = "MongoDB, collection " + database + "." + config.table;
  } else {
    throw gale::Error(gale::ErrorKind::invalid_argument,
                      "unknown database '" + config.db + "' (pg or mongo)");
  }
}

Backend::~Backend() = default;

gale::PoolStats Backend::pool_stats() const {
  return pg_ ? pg_->pool_stats() : mongo_->pool_stats();
}

gale::Future<gale::live::Feed> Backend::watch() {
  return pg_store_ ? pg_store_->watch() : mongo_store_->watch();
}

namespace {
nlohmann::json same_note(const nlohmann::json& document) {
  return document;  // the change log keeps the API's JSON already
}
}  // namespace

Backend::NoteJson Backend::note_json() const noexcept {
  return pg_store_ ? &same_note : &MongoNotesStore::note_json;
}

std::string Backend::describe() const {
  return description_;
}

}  // namespace crud
