// doctest-kind: declarations
// Handlers and an application's main, after #include <gale/mongo/mongo.hpp> and
// <gale/web/web.hpp>. In scope: the collection `notes`, the Settings `settings`, a `store` to hand
// to handlers, and the handlers NotesHandler, UserNoteHandler(store) and LegacyHandler.
#include <memory>

#include <gale/mongo/mongo.hpp>
#include <gale/web/web.hpp>

extern gale::mongo::Collection notes;
extern gale::web::Settings settings;
struct NoteStore;
extern std::shared_ptr<NoteStore> store;

struct NotesHandler : gale::web::RequestHandler {};
struct LegacyHandler : gale::web::RequestHandler {};
struct UserNoteHandler : gale::web::RequestHandler {
  explicit UserNoteHandler(std::shared_ptr<NoteStore> s) : store_(std::move(s)) {}
  std::shared_ptr<NoteStore> store_;
};

// @BLOCK@
