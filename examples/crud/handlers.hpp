// The HTTP API of the notes service. Handlers parse and validate the request, call the NotesStore
// (whichever database is behind it), and answer JSON; errors travel as exceptions to the web
// layer's write_error (one JSON envelope for all).
//
//   GET    /notes          list: {"items": [...], "next_cursor": "..." | null} (list_query.hpp)
//   POST   /notes          create: 201, Location, ETag (the body: NoteInput, note_validation.hpp)
//   GET    /notes/{id}     one note, ETag; If-None-Match: 304
//   PUT    /notes/{id}     replace (NoteInput; If-Match: 412 when stale)
//   PATCH  /notes/{id}     change the fields given (NotePatch; If-Match)
//   DELETE /notes/{id}     204 (If-Match)
#pragma once

#include "crud/note.hpp"
#include "crud/note_validation.hpp"
#include "crud/notes_store.hpp"
#include "gale/web/api_doc.hpp"
#include "gale/web/request_handler.hpp"

namespace crud {

class NotesHandler : public gale::web::RequestHandler {
 public:
  explicit NotesHandler(NotesStore* store) : store_(*store) {}
  static gale::web::RouteDoc api_doc();  // for the OpenAPI document
  gale::Future<void> get(std::string_view) override;
  gale::Future<void> post(std::string_view) override;

 private:
  NotesStore& store_;
};

enum class WriteMode { replace, patch };  // PUT, PATCH

class NoteHandler : public gale::web::RequestHandler {
 public:
  explicit NoteHandler(NotesStore* store) : store_(*store) {}
  static gale::web::RouteDoc api_doc();
  gale::Future<void> get(std::string_view id) override;
  gale::Future<void> put(std::string_view id) override;
  gale::Future<void> patch(std::string_view id) override;
  gale::Future<void> delete_(std::string_view id) override;

 private:
  gale::Future<void> write_note(std::string id, WriteMode mode);
  std::string checked_id(std::string_view id) const;
  void answer(const Note& note);

  NotesStore& store_;
};

}  // namespace crud
