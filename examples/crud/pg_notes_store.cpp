#include "crud/pg_notes_store.hpp"

#include <algorithm>

#include "gale/live/change_log.hpp"
#include "gale/live/pg_feed.hpp"
#include "gale/loop/error.hpp"

namespace crud {
namespace {

// Timestamps leave as the application wrote them: UTC, milliseconds, 'Z'.
constexpr std::string_view kColumns =
    "id::text, slug, title, body, tags, done,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), version";

// A row as the API's note JSON, in SQL over the row `r`: what the change log keeps of each change.
constexpr std::string_view kNoteJson =
    "jsonb_build_object('id', r.id::text, 'slug', r.slug, 'title', r.title, 'body', r.body,"
    " 'tags', to_jsonb(r.tags), 'done', r.done,"
    " 'created_at', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " 'updated_at', to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " 'version', r.version)";

Note note_of(const gale::pg::Row& row) {
  Note n;
  n.id = row[std::size_t{0}].as<std::string>();
  n.slug = row[std::size_t{1}].as<std::string>();
  n.title = row[std::size_t{2}].as<std::string>();
  n.body = row[std::size_t{3}].as<std::string>();
  n.tags = row[std::size_t{4}].as<nlohmann::json>().get<std::vector<std::string>>();
  n.done = row[std::size_t{5}].as<bool>();
  n.created_at = row[std::size_t{6}].as<std::string>();
  n.updated_at = row[std::size_t{7}].as<std::string>();
  n.version = row[std::size_t{8}].as<std::int64_t>();
  return n;
}

bool valid_table_name(const std::string& t) {
  return !t.empty() && t.size() <= 48 && !(t[0] >= '0' && t[0] <= '9') &&
         std::all_of(t.begin(), t.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

// A taken slug reads as the API's words, not the server's.
[[noreturn]] void rethrow_duplicate(const gale::pg::PgError& e, const std::string& slug) {
  if (e.kind() == gale::ErrorKind::duplicate) {
    std::string taken = "a note with slug '" + slug + "' already exists";
    throw gale::Error(gale::ErrorKind::duplicate, taken, taken);  // meant for the client
  }
  throw;
}

std::optional<std::vector<std::int64_t>> versions_param(const Versions& accept) {
  if (accept.empty()) return std::nullopt;
  return accept;
}

}  // namespace

PgNotesStore::PgNotesStore(gale::pg::Client& pg, std::string table)
    : pg_(pg), table_(std::move(table)) {
  if (!valid_table_name(table_)) {
    throw gale::Error(gale::ErrorKind::invalid_argument, "bad table name '" + table_ + "'");
  }
  const std::string cols(kColumns);
  insert_sql_ =
      "INSERT INTO " + table_ +
      " (id, slug, title, body, tags, done, created_at, updated_at, version)"
      " VALUES ($1::uuid, $2, $3, $4, $5::text[], $6, $7::timestamptz, $7::timestamptz, 1)";
  find_sql_ = "SELECT " + cols + " FROM " + table_ + " WHERE id = $1::uuid";
  exists_sql_ = "SELECT 1 FROM " + table_ + " WHERE id = $1::uuid";
  // One statement: the version check and the write cannot be separated by another writer.
  update_sql_ =
      "UPDATE " + table_ +
      " SET slug = COALESCE($2, slug), title = COALESCE($3, title),"
      " body = COALESCE($4, body), tags = COALESCE($5::text[], tags),"
      " done = COALESCE($6::boolean, done), updated_at = $7::timestamptz, version = version + 1"
      " WHERE id = $1::uuid AND ($8::bigint[] IS NULL OR version = ANY($8::bigint[]))"
      " RETURNING " +
      cols;
  delete_sql_ = "DELETE FROM " + table_ +
                " WHERE id = $1::uuid AND ($2::bigint[] IS NULL OR version = ANY($2::bigint[]))";
}

gale::Future<void> PgNotesStore::setup() {
  // Several workers may start at once: CREATE ... IF NOT EXISTS races in the catalog, so the DDL
  // runs under an advisory lock of the table's name.
  auto tx = co_await pg_.transaction();
  co_await tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", table_);
  co_await tx.execute("CREATE TABLE IF NOT EXISTS " + table_ +
                      " (id uuid PRIMARY KEY,"
                      " slug text NOT NULL CONSTRAINT " +
                      table_ +
                      "_slug_key UNIQUE,"
                      " title text NOT NULL, body text NOT NULL DEFAULT '',"
                      " tags text[] NOT NULL DEFAULT '{}', done boolean NOT NULL DEFAULT false,"
                      " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,"
                      " version bigint NOT NULL DEFAULT 1)");
  co_await tx.execute("CREATE INDEX IF NOT EXISTS " + table_ + "_created_at ON " + table_ +
                      " (created_at, id)");
  co_await tx.execute("CREATE INDEX IF NOT EXISTS " + table_ + "_updated_at ON " + table_ +
                      " (updated_at, id)");
  co_await tx.execute("CREATE INDEX IF NOT EXISTS " + table_ + "_title ON " + table_ +
                      " ((title COLLATE \"C\"), id)");
  co_await tx.execute("CREATE INDEX IF NOT EXISTS " + table_ + "_tags ON " + table_ +
                      " USING gin (tags)");
  co_await tx.commit();
}

gale::Future<gale::live::Feed> PgNotesStore::watch() {
  gale::live::ChangeLog log;
  log.table = table_;
  log.document = std::string(kNoteJson);
  co_await gale::live::install_change_log(pg_, log);
  co_return co_await gale::live::watch(pg_, table_);
}

gale::Future<void> PgNotesStore::insert(Note note) {
  try {
    co_await pg_.execute(insert_sql_, note.id, note.slug, note.title, note.body, note.tags,
                         note.done, note.created_at);
  } catch (const gale::pg::PgError& e) {
    rethrow_duplicate(e, note.slug);
  }
}

gale::Future<std::optional<Note>> PgNotesStore::find(std::string id) {
  auto row = co_await pg_.query_one(find_sql_, id);
  if (!row) co_return std::nullopt;
  co_return note_of(*row);
}

gale::Future<std::vector<Note>> PgNotesStore::list(ListQuery q) {
  // Only the shape of the statement varies (which column, which direction, which filters); every
  // value is a parameter.
  std::string key =
      q.sort == SortField::title ? "(title COLLATE \"C\")" : std::string(field_name(q.sort));
  std::string sql = "SELECT " + std::string(kColumns) + " FROM " + table_ + " WHERE true";
  gale::pg::Params params;
  auto next = [&params] { return "$" + std::to_string(params.size()); };
  if (q.done) {
    params.add(*q.done);
    sql += " AND done = " + next();
  }
  if (!q.tags.empty()) {
    params.add(q.tags);
    sql += " AND tags @> " + next() + "::text[]";
  }
  if (q.after) {
    params.add(q.after->value);
    std::string value =
        next() + (q.sort == SortField::title ? "::text COLLATE \"C\"" : "::timestamptz");
    params.add(q.after->id);
    sql += " AND (" + key + ", id) " + (q.descending ? "<" : ">") + " (" + value + ", " + next() +
           "::uuid)";
  }
  const char* dir = q.descending ? " DESC" : " ASC";
  params.add(q.limit + 1);
  sql += " ORDER BY " + key + dir + ", id" + dir + " LIMIT " + next();
  auto rows = co_await pg_.run(std::move(sql), std::move(params));
  std::vector<Note> notes;
  notes.reserve(rows.size());
  for (auto row : rows) notes.push_back(note_of(row));
  co_return notes;
}

gale::Future<WriteResult> PgNotesStore::update(std::string id, NoteFields f, std::string updated_at,
                                               Versions accept) {
  std::optional<gale::pg::Row> row;
  try {
    row = co_await pg_.query_one(update_sql_, id, f.slug, f.title, f.body, f.tags, f.done,
                                 updated_at, versions_param(accept));
  } catch (const gale::pg::PgError& e) {
    rethrow_duplicate(e, f.slug.value_or(""));
  }
  if (!row) co_return co_await missing_or_stale(std::move(id));
  co_return WriteResult{WriteStatus::done, note_of(*row)};
}

gale::Future<WriteResult> PgNotesStore::remove(std::string id, Versions accept) {
  auto n = co_await pg_.execute(delete_sql_, id, versions_param(accept));
  if (n == 0) co_return co_await missing_or_stale(std::move(id));
  co_return WriteResult{WriteStatus::done, std::nullopt};
}

gale::Future<WriteResult> PgNotesStore::missing_or_stale(std::string id) {
  auto row = co_await pg_.query_one(exists_sql_, id);
  co_return WriteResult{row ? WriteStatus::stale : WriteStatus::not_found, std::nullopt};
}

}  // namespace crud
