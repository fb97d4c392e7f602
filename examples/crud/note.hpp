// A note, as the API shows it, and the fields a client may write.
//
// Ids are UUIDv7 strings ("0190c4a2-7f3e-7b1c-9d4e-3a5b6c7d8e9f"), made by the application: one
// representation for both databases (PostgreSQL's uuid type, a string _id in MongoDB), unguessable,
// and ordered by creation time, so the newest-first list walks an index without a sequence or a
// round trip. Timestamps are UTC with milliseconds ("2026-01-02T03:04:05.678Z"), made by the
// application too, so both databases store and return the same values.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/web/json_fields.hpp"

namespace crud {

struct Note {
  std::string id;
  std::string slug;
  std::string title;
  std::string body;
  std::vector<std::string> tags;
  bool done = false;
  std::string created_at;
  std::string updated_at;
  std::int64_t version = 1;  // starts at 1, +1 on every write; the ETag is "<version>"

  static constexpr std::string_view json_name = "Note";

  static auto json_fields() {
    using gale::web::field;
    return gale::web::fields(
        field("id", &Note::id).description("a UUIDv7, made by the server"),
        field("slug", &Note::slug), field("title", &Note::title), field("body", &Note::body),
        field("tags", &Note::tags), field("done", &Note::done),
        field("created_at", &Note::created_at).description("UTC, milliseconds"),
        field("updated_at", &Note::updated_at).description("UTC, milliseconds"),
        field("version", &Note::version).minimum(1).description("+1 on every write; the ETag"));
  }
};

// GET /notes: a page of notes, and where the next one starts (null on the last page).
struct NotePage {
  std::vector<Note> items;
  std::optional<std::string> next_cursor;

  static constexpr std::string_view json_name = "NotePage";
  static auto json_fields() {
    using gale::web::field;
    return gale::web::fields(field("items", &NotePage::items),
                             field("next_cursor", &NotePage::next_cursor).nullable());
  }
};

// What a create, replace or patch sets; a field left empty is not written (patch) or was given
// its default by validation (create, replace).
struct NoteFields {
  std::optional<std::string> slug;
  std::optional<std::string> title;
  std::optional<std::string> body;
  std::optional<std::vector<std::string>> tags;
  std::optional<bool> done;
};

nlohmann::json to_json(const Note& note);

// The strong ETag of a note version: "\"3\"".
std::string etag_of(const Note& note);

}  // namespace crud
