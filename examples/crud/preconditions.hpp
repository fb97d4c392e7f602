// Conditional requests: a note's ETag is its version ("\"3\""). If-Match on PUT, PATCH and DELETE
// makes the write conditional (412 when the note has moved on); If-None-Match on GET answers 304
// when the client's copy is current.
#pragma once

#include <string_view>

#include "crud/note.hpp"
#include "crud/notes_store.hpp"

namespace crud {

// The versions If-Match accepts: empty for no header or "*" (the write is unconditional). Entries
// that are not strong ETags of a version ("W/\"3\"", "abc") match nothing, so a header made only
// of those yields {0}, a version no note has: the write then answers 412 (or 404).
Versions accepted_versions(std::string_view if_match);

// True if If-None-Match names the note's current ETag (or is "*").
bool none_match(std::string_view if_none_match, const Note& note);

}  // namespace crud
