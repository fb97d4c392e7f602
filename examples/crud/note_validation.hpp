// What a client may send to create, replace or patch a note, declared once
// (gale/web/json_fields.hpp): the web layer parses and validates a body against these types,
// answers 400 listing every failing field, and shows them in the JSON Schema of the API.
//
//   slug   required (create, replace): 1-100 characters of a-z, 0-9 and '-', unique
//   title  required (create, replace): 1-200 characters, not blank
//   body   a string of at most 100,000 characters (default "")
//   tags   at most 20 distinct strings of 1-50 characters (default [])
//   done   true or false (default false)
// id, version, created_at and updated_at are read-only: accepted (a client may send back what it
// read) and ignored. Any other field is refused, so a typo is not silently dropped. No string may
// contain NUL (PostgreSQL's text cannot hold it, and both databases must agree). A patch gives at
// least one field.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crud/note.hpp"
#include "gale/web/json_fields.hpp"

namespace crud {

// The constraints of each field, shared by NoteInput and NotePatch.
gale::web::Rules slug_rules();
gale::web::Rules title_rules();
gale::web::Rules body_rules();
gale::web::Rules tags_rules();

inline std::vector<std::string> read_only_fields() {
  return {"id", "version", "created_at", "updated_at"};
}

// POST /notes and PUT /notes/{id}: the whole note.
struct NoteInput {
  std::string slug;
  std::string title;
  std::string body;
  std::vector<std::string> tags;
  bool done = false;

  static constexpr std::string_view json_name = "NoteInput";
  static auto json_fields() {
    using gale::web::field;
    return gale::web::fields(field("slug", &NoteInput::slug, slug_rules()),
                             field("title", &NoteInput::title, title_rules()),
                             field("body", &NoteInput::body, body_rules()).optional(),
                             field("tags", &NoteInput::tags, tags_rules()).optional(),
                             field("done", &NoteInput::done).optional())
        .ignore(read_only_fields());
  }
};

// PATCH /notes/{id}: the fields given, at least one.
struct NotePatch {
  std::optional<std::string> slug;
  std::optional<std::string> title;
  std::optional<std::string> body;
  std::optional<std::vector<std::string>> tags;
  std::optional<bool> done;

  static constexpr std::string_view json_name = "NotePatch";
  static auto json_fields() {
    using gale::web::field;
    return gale::web::fields(field("slug", &NotePatch::slug, slug_rules()),
                             field("title", &NotePatch::title, title_rules()),
                             field("body", &NotePatch::body, body_rules()),
                             field("tags", &NotePatch::tags, tags_rules()),
                             field("done", &NotePatch::done))
        .ignore(read_only_fields())
        .require_any("nothing to change: give at least one of slug, title, body, tags, done");
  }
};

NoteFields fields_of(NoteInput input);
NoteFields fields_of(NotePatch patch);

}  // namespace crud
