#include "crud/handlers.hpp"

#include <chrono>

#include "crud/list_query.hpp"
#include "crud/note_id.hpp"
#include "crud/preconditions.hpp"
#include "crud/timestamp.hpp"
#include "gale/web/http_error.hpp"

namespace crud {
namespace {

using gale::web::HTTPError;

Millis now() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

[[noreturn]] void no_such_note(std::string_view id) {
  throw HTTPError(404, "no note with id '" + std::string(id.substr(0, 64)) + "'");
}

// Bodies must be JSON; a client that says otherwise gets 415 rather than a parse error.
nlohmann::json json_request(const gale::web::RequestHandler& h) {
  std::string_view type = h.header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  bool json =
      type.empty() || type == "application/json" || (type.size() > 5 && type.ends_with("+json"));
  if (!json) throw HTTPError(415, "the body must be JSON (Content-Type: application/json)");
  return h.json_body();
}

}  // namespace

// GET /notes
gale::Future<void> NotesHandler::get(std::string_view) {
  ListArguments args{get_optional_argument("limit"), get_optional_argument("done"),
                     get_optional_argument("sort"), get_optional_argument("cursor"),
                     get_arguments("tag")};
  ListQuery query = parse_list_query(args);
  std::vector<Note> notes = co_await store_.list(query);
  nlohmann::json page;
  page["next_cursor"] = nullptr;
  if (notes.size() > static_cast<std::size_t>(query.limit)) {
    notes.resize(static_cast<std::size_t>(query.limit));
    page["next_cursor"] = next_cursor(query, notes.back());
  }
  page["items"] = nlohmann::json::array();
  for (const auto& n : notes) page["items"].push_back(to_json(n));
  write_json(page);
}

// POST /notes
gale::Future<void> NotesHandler::post(std::string_view) {
  NoteFields fields = parse_note_fields(json_request(*this), WriteMode::create);
  Millis created = now();
  Note note{new_note_id(created),      std::move(*fields.slug),   std::move(*fields.title),
            std::move(*fields.body),   std::move(*fields.tags),   *fields.done,
            format_timestamp(created), format_timestamp(created), 1};
  co_await store_.insert(note);
  set_status(201);
  set_header("Location", "/notes/" + note.id);
  set_header("ETag", etag_of(note));
  write_json(to_json(note));
}

std::string NoteHandler::checked_id(std::string_view id) const {
  // Anything that is not an id names no note: 404, without asking the database.
  if (!is_note_id(id)) no_such_note(id);
  return std::string(id);
}

void NoteHandler::answer(const Note& note) {
  set_header("ETag", etag_of(note));
  write_json(to_json(note));
}

// GET /notes/{id}
gale::Future<void> NoteHandler::get(std::string_view id_arg) {
  auto note = co_await store_.find(checked_id(id_arg));
  if (!note) no_such_note(id_arg);
  if (auto inm = request().headers.get("If-None-Match"); inm && none_match(*inm, *note)) {
    set_status(304);
    set_header("ETag", etag_of(*note));
    co_return;
  }
  answer(*note);
}

// PUT /notes/{id}
gale::Future<void> NoteHandler::put(std::string_view id) {
  co_await write_note(checked_id(id), WriteMode::replace);
}

// PATCH /notes/{id}
gale::Future<void> NoteHandler::patch(std::string_view id) {
  co_await write_note(checked_id(id), WriteMode::patch);
}

gale::Future<void> NoteHandler::write_note(std::string id, WriteMode mode) {
  NoteFields fields = parse_note_fields(json_request(*this), mode);
  Versions accept = accepted_versions(header("If-Match"));
  WriteResult r = co_await store_.update(id, std::move(fields), format_timestamp(now()), accept);
  if (r.status == WriteStatus::not_found) no_such_note(id);
  if (r.status == WriteStatus::stale) {
    throw HTTPError(412,
                    "the note has changed since you read it (If-Match does not match its ETag)");
  }
  answer(*r.note);
}

// DELETE /notes/{id}
gale::Future<void> NoteHandler::delete_(std::string_view id_arg) {
  std::string id = checked_id(id_arg);
  WriteResult r = co_await store_.remove(id, accepted_versions(header("If-Match")));
  if (r.status == WriteStatus::not_found) no_such_note(id);
  if (r.status == WriteStatus::stale) {
    throw HTTPError(412,
                    "the note has changed since you read it (If-Match does not match its ETag)");
  }
  set_status(204);
}

}  // namespace crud
