// Wiring: the notes routes on an Application, and the database behind them. A Backend holds the
// process's one database client and the store on it; make it once per process (after
// HTTPServer::start(n) forked the workers), never per request.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "crud/notes_store.hpp"
#include "gale/live/feed.hpp"
#include "gale/mongo/client.hpp"
#include "gale/pg/client.hpp"
#include "gale/web/application.hpp"

namespace crud {

class PgNotesStore;
class MongoNotesStore;

// GET/POST /notes and GET/PUT/PATCH/DELETE /notes/{id} on `store` (which must outlive `app`).
void add_routes(gale::web::Application& app, NotesStore& store);

struct BackendConfig {
  std::string db = "pg";  // "pg" or "mongo"
  std::string pg_uri;
  std::string mongo_uri;
  std::string mongo_database = "gale";  // when the URI names none
  std::string table = "notes";          // table or collection
};

class Backend {
 public:
  // Creates the client of config.db (Error(invalid_argument) for an unknown db or a missing URI).
  explicit Backend(const BackendConfig& config);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  NotesStore& store() noexcept { return *store_; }
  // The notes' changes (live.hpp): Error when the database has no way to give them (a MongoDB
  // server without change streams).
  gale::Future<gale::live::Feed> watch();
  // What live_change() needs to show a change's document as a note.
  using NoteJson = nlohmann::json (*)(const nlohmann::json& document);
  NoteJson note_json() const noexcept;
  gale::PoolStats pool_stats() const;
  // "PostgreSQL user@host:port/db" or "MongoDB host:port/db", for the start-up line.
  std::string describe() const;

 private:
  std::unique_ptr<gale::pg::Client> pg_;
  std::optional<gale::mongo::Client> mongo_;
  std::unique_ptr<NotesStore> store_;
  PgNotesStore* pg_store_ = nullptr;
  MongoNotesStore* mongo_store_ = nullptr;
  std::string description_;
};

}  // namespace crud
