// NotesStore on MongoDB: a collection of notes (_id = the note's id string), a unique index on
// slug, and an index per sort order. Filters are built from typed values only: a client's string
// is always a string in BSON, never an operator. Writes go through version claims, so that two
// writers holding one ETag cannot both win, on MongoDB and on FerretDB alike.
#pragma once

#include <cstdint>
#include <string>

#include "crud/notes_store.hpp"
#include "crud/version_claims.hpp"
#include "gale/live/feed.hpp"
#include "gale/mongo/collection.hpp"

namespace crud {

class MongoNotesStore final : public NotesStore {
 public:
  // `claims` holds the version claims of the writes (see version_claims.hpp).
  MongoNotesStore(gale::mongo::Collection notes, gale::mongo::Collection claims);

  gale::Future<void> setup() override;
  gale::Future<void> insert(Note note) override;
  gale::Future<std::optional<Note>> find(std::string id) override;
  gale::Future<std::vector<Note>> list(ListQuery query) override;
  gale::Future<WriteResult> update(std::string id, NoteFields fields, std::string updated_at,
                                   Versions accept) override;
  gale::Future<WriteResult> remove(std::string id, Versions accept) override;

  // The notes' changes as a live feed (GET /notes/live): the collection's change stream (the
  // server's error when it has none, as FerretDB).
  gale::Future<gale::live::Feed> watch();
  // A note document (a change's fullDocument) as the API shows it.
  static nlohmann::json note_json(const gale::mongo::json& document);

 private:
  // The claim of a note's next version (version_claims.hpp), read from its current version.
  struct Claim {
    enum Outcome { taken, missing, stale, again } outcome;
    std::int64_t version;  // the version read
    WriteStatus status() const {
      return outcome == missing ? WriteStatus::not_found : WriteStatus::stale;
    }
  };
  // Reads the note and claims version + 1 for the caller's write; `again`: another writer holds
  // the claim, and an unconditional write should read the note again (after a pause); throws
  // busy() on the last attempt.
  gale::Future<Claim> claim_next_version(const std::string& id, const Versions& accept,
                                         int attempt);
  gale::Future<WriteResult> missing_or_stale(std::string id);
  gale::Future<std::optional<gale::mongo::json>> write_version(std::string id, NoteFields fields,
                                                               std::string updated_at,
                                                               std::int64_t version);

  gale::mongo::Collection notes_;
  VersionClaims claims_;
};

}  // namespace crud
