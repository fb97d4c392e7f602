// Event: one step of a live feed (gale::live::Feed), the same for MongoDB and PostgreSQL.
//
// A change carries the database's change in one shape for both:
//   {"operationType": "insert" | "update" | "replace" | "delete",
//    "documentKey": {"_id": ...} (MongoDB) or {"<key column>": ...} (PostgreSQL),
//    "fullDocument": {...}}   (the document or row as written; absent on delete)
// A gap says that events may be missing before the next one (the feed could not resume where it
// was, the collection was dropped, ...): a consumer that keeps state reloads it. Its position, when
// not empty, is where the sequence goes on from: resuming after it misses nothing that follows.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace gale::live {

struct Event {
  enum class Kind : std::uint8_t { change, gap };

  Kind kind = Kind::change;
  // Resume after this event with FeedOptions::resume_after (MongoDB: the resume token as compact
  // JSON; PostgreSQL: the change log's sequence number). Text without line breaks, so it can be an
  // event stream's id.
  std::string position;
  nlohmann::json change;  // a change's content (null for a gap)
  std::string reason;     // a gap's cause, for logs and clients

  bool is_gap() const noexcept { return kind == Kind::gap; }
};

}  // namespace gale::live
