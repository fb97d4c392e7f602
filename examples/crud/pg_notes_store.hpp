// NotesStore on PostgreSQL: a table of notes (uuid primary key, unique slug, text[] tags), with
// the indexes the list's sort orders and tag filter use. Every value travels as a parameter.
#pragma once

#include <string>

#include "crud/notes_store.hpp"
#include "gale/live/feed.hpp"
#include "gale/pg/client.hpp"

namespace crud {

class PgNotesStore final : public NotesStore {
 public:
  // `table`: [a-z_][a-z0-9_]* (the tests use a table of their own); Error(invalid_argument) else.
  PgNotesStore(gale::pg::Client& pg, std::string table = "notes");

  gale::Future<void> setup() override;
  gale::Future<void> insert(Note note) override;
  gale::Future<std::optional<Note>> find(std::string id) override;
  gale::Future<std::vector<Note>> list(ListQuery query) override;
  gale::Future<WriteResult> update(std::string id, NoteFields fields, std::string updated_at,
                                   Versions accept) override;
  gale::Future<WriteResult> remove(std::string id, Versions accept) override;

  // The notes' changes as a live feed (GET /notes/live): puts a change log on the table (a
  // trigger; idempotent) whose documents are the API's note JSON, and watches it.
  gale::Future<gale::live::Feed> watch();

 private:
  gale::Future<WriteResult> missing_or_stale(std::string id);

  gale::pg::Client& pg_;
  std::string table_;
  // Statements, built once with the table's name.
  std::string insert_sql_, find_sql_, exists_sql_, update_sql_, delete_sql_;
};

}  // namespace crud
