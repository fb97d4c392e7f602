// VersionClaims: makes "exactly one writer moves a note from version v to v + 1" hold on servers
// whose conditional writes are not atomic.
//
// Why: MongoDB applies a findAndModify's filter and update atomically, so a filter on
// {_id, version} would be enough. FerretDB 1.24 (the SQLite handler this project runs) does not:
// it reads the matching documents, then writes them back by _id, so two writers holding the same
// ETag can both "win" (measured: up to 8 of 8 racing writers). What FerretDB does enforce
// atomically is a unique key on insert. So a writer first inserts the claim
// {_id: "<note id>:<v + 1>"}: of all writers that read version v, exactly one inserts it, and only
// that one writes. The claim of the version before is deleted once the write is done (the latest
// stays, so a writer that read v late still finds v + 1 taken). A claim whose writer died before
// writing expires after `ttl` and may then be taken over.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "gale/loop/future.hpp"
#include "gale/mongo/collection.hpp"

namespace crud {

class VersionClaims {
 public:
  explicit VersionClaims(gale::mongo::Collection claims,
                         std::chrono::milliseconds ttl = std::chrono::seconds(30))
      : claims_(std::move(claims)), ttl_(ttl) {}

  // True if this caller now holds version `version` of the note; false if another writer does.
  gale::Future<bool> take(std::string note_id, std::int64_t version);
  // Gives a claim up (the write failed, or the next version is written).
  gale::Future<void> release(std::string note_id, std::int64_t version);
  // Forgets every claim of a deleted note.
  gale::Future<void> release_all(std::string note_id);

 private:
  gale::Future<bool> insert(std::string note_id, std::int64_t version);

  gale::mongo::Collection claims_;
  std::chrono::milliseconds ttl_;
};

}  // namespace crud
