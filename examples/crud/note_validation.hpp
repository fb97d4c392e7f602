// Validation of the JSON a client sends to create, replace or patch a note. A failure is
// HTTPError(400) naming the failing field ("field 'title' is required").
//
//   slug   required (create, replace): 1-100 characters of a-z, 0-9 and '-', unique
//   title  required (create, replace): 1-200 characters, not blank
//   body   a string of at most 100,000 characters (default "")
//   tags   at most 20 distinct strings of 1-50 characters (default [])
//   done   true or false (default false)
// id, version, created_at and updated_at are read-only: accepted (a client may send back what it
// read) and ignored. Any other field is refused, so a typo is not silently dropped. No string may
// contain NUL (PostgreSQL's text cannot hold it, and both databases must agree).
#pragma once

#include <nlohmann/json.hpp>

#include "crud/note.hpp"

namespace crud {

enum class WriteMode {
  create,   // POST: required fields, defaults for the rest
  replace,  // PUT: the same, the whole note is replaced
  patch,    // PATCH: only the fields given, at least one
};

NoteFields parse_note_fields(const nlohmann::json& body, WriteMode mode);

}  // namespace crud
