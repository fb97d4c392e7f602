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

}  // namespace

gale::web::RouteDoc NotesHandler::api_doc() {
  using gale::web::OperationDoc;
  nlohmann::json sorts = {"created_at",  "-created_at", "updated_at",
                          "-updated_at", "title",       "-title"};
  return gale::web::RouteDoc()
      .get(OperationDoc("List notes: filtered, sorted, a page at a time")
               .query("limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxPageSize}},
                      "notes per page (default 20)")
               .query("done", {{"type", "boolean"}}, "only notes done (true) or not (false)")
               .query("tag", {{"type", "array"}, {"items", {{"type", "string"}}}},
                      "only notes with every tag given (repeat it)")
               .query("sort", {{"type", "string"}, {"enum", sorts}},
                      "the order, '-' for descending (default -created_at)")
               .query("cursor", {{"type", "string"}}, "next_cursor of the previous page")
               .returns<NotePage>(200, "a page of notes")
               .errors({400}))
      .post(OperationDoc("Create a note")
                .body<NoteInput>()
                .returns<Note>(201, "the note created (Location and ETag headers)")
                .errors({400, 409, 413, 415}));
}

gale::web::RouteDoc NoteHandler::api_doc() {
  using gale::web::OperationDoc;
  const char* if_match = "the note's ETag: the write happens only if it still matches (else 412)";
  return gale::web::RouteDoc()
      .get(OperationDoc("Read a note")
               .header("If-None-Match", "an ETag: 304 when the note still has it")
               .returns<Note>(200, "the note (ETag header)")
               .returns(304, "the note has not changed")
               .errors({404}))
      .put(OperationDoc("Replace a note")
               .header("If-Match", if_match)
               .body<NoteInput>()
               .returns<Note>(200, "the note as replaced")
               .errors({400, 404, 409, 412, 413, 415}))
      .patch(OperationDoc("Change the fields given")
                 .header("If-Match", if_match)
                 .body<NotePatch>()
                 .returns<Note>(200, "the note as changed")
                 .errors({400, 404, 409, 412, 413, 415}))
      .delete_(OperationDoc("Delete a note")
                   .header("If-Match", if_match)
                   .returns(204, "deleted")
                   .errors({404, 412}));
}

// GET /notes
gale::Future<void> NotesHandler::get(std::string_view) {
  ListArguments args{get_optional_argument("limit"), get_optional_argument("done"),
                     get_optional_argument("sort"), get_optional_argument("cursor"),
                     get_arguments("tag")};
  ListQuery query = parse_list_query(args);
  std::vector<Note> notes = co_await store_.list(query);
  NotePage page;
  if (notes.size() > static_cast<std::size_t>(query.limit)) {
    notes.resize(static_cast<std::size_t>(query.limit));
    page.next_cursor = next_cursor(query, notes.back());
  }
  page.items = std::move(notes);
  write_json(page);
}

// POST /notes
gale::Future<void> NotesHandler::post(std::string_view) {
  NoteFields fields = fields_of(json_body<NoteInput>());
  Millis created = now();
  Note note{new_note_id(created),      std::move(*fields.slug),   std::move(*fields.title),
            std::move(*fields.body),   std::move(*fields.tags),   *fields.done,
            format_timestamp(created), format_timestamp(created), 1};
  co_await store_.insert(note);
  set_status(201);
  set_header("Location", "/notes/" + note.id);
  set_header("ETag", etag_of(note));
  write_json(note);
}

std::string NoteHandler::checked_id(std::string_view id) const {
  // Anything that is not an id names no note: 404, without asking the database.
  if (!is_note_id(id)) no_such_note(id);
  return std::string(id);
}

void NoteHandler::answer(const Note& note) {
  set_header("ETag", etag_of(note));
  write_json(note);
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
  NoteFields fields = mode == WriteMode::patch ? fields_of(json_body<NotePatch>())
                                               : fields_of(json_body<NoteInput>());
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
