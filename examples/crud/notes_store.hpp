// NotesStore: what the handlers need from a database. One implementation per database
// (PgNotesStore, MongoNotesStore), created once per process at start-up; handlers see only this.
//
// Writes are conditional in one statement (PostgreSQL) or one filter (MongoDB): "update where
// id = $1 and version is one of If-Match's", so of two writers holding the same ETag exactly one
// wins, and the other learns it is stale.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crud/list_query.hpp"
#include "crud/note.hpp"
#include "gale/loop/future.hpp"

namespace crud {

// The versions a conditional write accepts (from If-Match); empty: any.
using Versions = std::vector<std::int64_t>;

enum class WriteStatus {
  done,
  not_found,  // no note with that id
  stale,      // the note exists, but its version is not one of those accepted
};

struct WriteResult {
  WriteStatus status = WriteStatus::done;
  std::optional<Note> note;  // the note as written (updates)
};

class NotesStore {
 public:
  virtual ~NotesStore() = default;

  // Creates the table or collection and its indexes if they are missing (idempotent, safe to run
  // from several processes at once).
  virtual gale::Future<void> setup() = 0;

  // Inserts a note (id, timestamps and version already set). A taken slug: Error(duplicate).
  virtual gale::Future<void> insert(Note note) = 0;
  virtual gale::Future<std::optional<Note>> find(std::string id) = 0;
  // At most query.limit + 1 notes in the query's order, after query.after (the extra one tells
  // whether there is a next page).
  virtual gale::Future<std::vector<Note>> list(ListQuery query) = 0;
  // Sets the fields given, updated_at, and version + 1, if the version is one of `accept`.
  virtual gale::Future<WriteResult> update(std::string id, NoteFields fields,
                                           std::string updated_at, Versions accept) = 0;
  virtual gale::Future<WriteResult> remove(std::string id, Versions accept) = 0;
};

}  // namespace crud
