#include "crud/mongo_notes_store.hpp"

#include <algorithm>

#include "gale/live/mongo_feed.hpp"
#include "gale/loop/error.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/mongo/error.hpp"

namespace crud {
namespace {

using gale::mongo::json;

json date(const std::string& timestamp) {
  json d;
  d["$date"] = timestamp;
  return d;
}

std::string timestamp_of(const json& d) {
  // Relaxed Extended JSON: {"$date": "2026-01-02T03:04:05.678Z"} for years 1970-9999, without the
  // fraction on a whole second ("2026-01-02T03:04:05Z"), which gets its ".000" back here: the API
  // always answers the 24-character form (format_timestamp), and its lists compare them as text.
  if (d.is_object() && d.contains("$date") && d["$date"].is_string()) {
    std::string t = d["$date"];
    if (t.size() == 20 && t[19] == 'Z') t.insert(19, ".000");
    return t;
  }
  throw gale::Error(gale::ErrorKind::internal, "a note's timestamp is not a date");
}

Note note_of(const json& doc) {
  Note n;
  n.id = doc.at("_id").get<std::string>();
  n.slug = doc.at("slug").get<std::string>();
  n.title = doc.at("title").get<std::string>();
  n.body = doc.at("body").get<std::string>();
  n.tags = doc.at("tags").get<std::vector<std::string>>();
  n.done = doc.at("done").get<bool>();
  n.created_at = timestamp_of(doc.at("created_at"));
  n.updated_at = timestamp_of(doc.at("updated_at"));
  n.version = doc.at("version").get<std::int64_t>();
  return n;
}

// {_id: id} and, for a conditional write, {version: {$in: [...]}}: typed values only.
json id_filter(const std::string& id, const Versions& accept) {
  json f;
  f["_id"] = id;
  if (!accept.empty()) f["version"]["$in"] = accept;
  return f;
}

// A duplicate key. FerretDB 1.24 reports one found by an update as an internal error (code 1)
// carrying its backend's message instead of code 11000: SQLite's "UNIQUE constraint failed",
// PostgreSQL's unique_violation (SQLSTATE 23505). All mean the slug is taken.
bool duplicate_key(std::exception_ptr e) {
  if (gale::kind_of(e) == gale::ErrorKind::duplicate) return true;
  try {
    std::rethrow_exception(e);
  } catch (const gale::mongo::MongoError& m) {
    const std::string& msg = m.errmsg();
    return msg.find("UNIQUE constraint failed") != std::string::npos ||
           msg.find("(SQLSTATE 23505)") != std::string::npos;
  } catch (...) {
  }
  return false;
}

[[noreturn]] void rethrow_duplicate(std::exception_ptr e, const std::string& slug) {
  if (duplicate_key(e)) {
    std::string taken = "a note with slug '" + slug + "' already exists";
    throw gale::Error(gale::ErrorKind::duplicate, taken, taken);  // meant for the client
  }
  std::rethrow_exception(e);
}

bool accepts(const Versions& accept, std::int64_t version) {
  return accept.empty() || std::find(accept.begin(), accept.end(), version) != accept.end();
}

gale::Error busy() {
  std::string why = "the note is being changed by other requests: try again";
  return gale::Error(gale::ErrorKind::conflict, why, why);
}

constexpr int kWriteAttempts = 10;

json index(std::string_view field) {
  return json::array({json::array({field, 1}), json::array({"_id", 1})});
}

}  // namespace

MongoNotesStore::MongoNotesStore(gale::mongo::Collection notes, gale::mongo::Collection claims)
    : notes_(std::move(notes)), claims_(std::move(claims)) {}

gale::Future<gale::live::Feed> MongoNotesStore::watch() {
  return gale::live::watch(notes_);
}

nlohmann::json MongoNotesStore::note_json(const gale::mongo::json& document) {
  return to_json(note_of(document));
}

gale::Future<void> MongoNotesStore::setup() {
  gale::mongo::IndexOptions unique;
  unique.unique = true;
  unique.name = "slug_unique";
  std::vector<gale::mongo::IndexModel> indexes;
  indexes.push_back({json{{"slug", 1}}, unique});
  indexes.push_back({index("created_at"), {}});
  indexes.push_back({index("updated_at"), {}});
  indexes.push_back({index("title"), {}});
  indexes.push_back({json{{"tags", 1}}, {}});
  // One createIndexes per index: FerretDB 1.24 drops the connection (a panic on its side) when
  // one command names several indexes that already exist, i.e. on every restart. Creating an
  // index that exists is a no-op on the server.
  for (auto& model : indexes) {
    co_await notes_.create_index(std::move(model.keys), std::move(model.options));
  }
}

gale::Future<void> MongoNotesStore::insert(Note note) {
  json doc;
  doc["_id"] = note.id;
  doc["slug"] = note.slug;
  doc["title"] = note.title;
  doc["body"] = note.body;
  doc["tags"] = note.tags;
  doc["done"] = note.done;
  doc["created_at"] = date(note.created_at);
  doc["updated_at"] = date(note.updated_at);
  doc["version"] = note.version;
  std::exception_ptr failed;
  try {
    co_await notes_.insert_one(std::move(doc));
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) rethrow_duplicate(failed, note.slug);
}

gale::Future<std::optional<Note>> MongoNotesStore::find(std::string id) {
  json filter;
  filter["_id"] = std::move(id);
  auto doc = co_await notes_.find_one(std::move(filter));
  if (!doc) co_return std::nullopt;
  co_return note_of(*doc);
}

gale::Future<std::vector<Note>> MongoNotesStore::list(ListQuery q) {
  const std::string field(field_name(q.sort));
  const int dir = q.descending ? -1 : 1;
  json filter = json::object();
  if (q.done) filter["done"] = *q.done;
  if (!q.tags.empty()) filter["tags"]["$all"] = q.tags;
  if (q.after) {
    // (field, _id) after the cursor's, in the sort's direction.
    json value = q.sort == SortField::title ? json(q.after->value) : date(q.after->value);
    const char* op = q.descending ? "$lt" : "$gt";
    json beyond, tie;
    beyond[field][op] = value;
    tie[field] = value;
    tie["_id"][op] = q.after->id;
    filter["$or"] = json::array({beyond, tie});
  }
  gale::mongo::FindOptions options;
  options.sort = json::array({json::array({field, dir}), json::array({"_id", dir})});
  options.limit = q.limit + 1;
  auto docs = co_await notes_.find(std::move(filter), std::move(options)).to_list(q.limit + 1);
  std::vector<Note> notes;
  notes.reserve(docs.size());
  for (const auto& d : docs) notes.push_back(note_of(d));
  co_return notes;
}

gale::Future<WriteResult> MongoNotesStore::update(std::string id, NoteFields f,
                                                  std::string updated_at, Versions accept) {
  for (int attempt = 1;; ++attempt) {
    auto claim = co_await claim_next_version(id, accept, attempt);
    if (claim.outcome == Claim::again) continue;
    if (claim.outcome != Claim::taken) co_return WriteResult{claim.status(), std::nullopt};
    const std::int64_t version = claim.version;
    std::optional<json> doc;
    std::exception_ptr failed;
    try {
      doc = co_await write_version(id, f, updated_at, version);
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed || !doc) {
      co_await claims_.release(id, version + 1);
      if (failed) rethrow_duplicate(failed, f.slug.value_or(""));
      // The note moved on after we read it (we read it before a writer that finished since):
      // stale for a conditional write, read it again for an unconditional one.
      if (accept.empty() && attempt < kWriteAttempts) continue;
      co_return co_await missing_or_stale(std::move(id));
    }
    co_await claims_.release(id, version);
    co_return WriteResult{WriteStatus::done, note_of(*doc)};
  }
}

gale::Future<std::optional<json>> MongoNotesStore::write_version(std::string id, NoteFields f,
                                                                 std::string updated_at,
                                                                 std::int64_t version) {
  json set;
  if (f.slug) set["slug"] = *f.slug;
  if (f.title) set["title"] = *f.title;
  if (f.body) set["body"] = *f.body;
  if (f.tags) set["tags"] = *f.tags;
  if (f.done) set["done"] = *f.done;
  set["updated_at"] = date(updated_at);
  set["version"] = version + 1;
  json change;
  change["$set"] = std::move(set);
  gale::mongo::FindOneAndOptions options;
  options.return_document = gale::mongo::ReturnDocument::after;
  // The filter repeats the version: on MongoDB this alone makes the write conditional.
  json filter = id_filter(id, Versions{version});
  co_return co_await notes_.find_one_and_update(std::move(filter), std::move(change), options);
}

gale::Future<WriteResult> MongoNotesStore::remove(std::string id, Versions accept) {
  for (int attempt = 1;; ++attempt) {
    // A delete ends the version: it claims version + 1 like a write, so that a delete and an
    // update holding the same ETag cannot both succeed.
    auto claim = co_await claim_next_version(id, accept, attempt);
    if (claim.outcome == Claim::again) continue;
    if (claim.outcome != Claim::taken) co_return WriteResult{claim.status(), std::nullopt};
    const std::int64_t version = claim.version;
    json filter = id_filter(id, Versions{version});
    auto r = co_await notes_.delete_one(std::move(filter));
    if (r.deleted_count == 0) {
      co_await claims_.release(id, version + 1);
      if (accept.empty() && attempt < kWriteAttempts) continue;
      co_return co_await missing_or_stale(std::move(id));
    }
    co_await claims_.release_all(id);
    co_return WriteResult{WriteStatus::done, std::nullopt};
  }
}

gale::Future<MongoNotesStore::Claim> MongoNotesStore::claim_next_version(const std::string& id,
                                                                         const Versions& accept,
                                                                         int attempt) {
  auto current = co_await find(id);
  if (!current) co_return Claim{Claim::missing, 0};
  const std::int64_t version = current->version;
  if (!accepts(accept, version)) co_return Claim{Claim::stale, version};
  if (co_await claims_.take(id, version + 1)) co_return Claim{Claim::taken, version};
  // Another writer is moving the note to version + 1: a conditional write is stale; an
  // unconditional one waits a moment and writes after it.
  if (!accept.empty()) co_return Claim{Claim::stale, version};
  if (attempt == kWriteAttempts) throw busy();
  co_await gale::sleep(std::chrono::milliseconds(2 * attempt));
  co_return Claim{Claim::again, version};
}

gale::Future<WriteResult> MongoNotesStore::missing_or_stale(std::string id) {
  json filter;
  filter["_id"] = std::move(id);
  gale::mongo::FindOptions options;
  options.projection = json{{"_id", 1}};
  auto doc = co_await notes_.find_one(std::move(filter), std::move(options));
  co_return WriteResult{doc ? WriteStatus::stale : WriteStatus::not_found, std::nullopt};
}

}  // namespace crud
