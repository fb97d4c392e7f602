#include "gale/live/change_log.hpp"

#include <algorithm>
#include <string_view>

#include "gale/loop/error.hpp"

namespace gale::live {
namespace {

bool plain_name(const std::string& name) {
  return !name.empty() && name.size() <= 48 && !(name[0] >= '0' && name[0] <= '9') &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

void check(const ChangeLog& log) {
  for (const std::string* name : {&log.table, &log.key}) {
    if (!plain_name(*name)) {
      throw Error(ErrorKind::invalid_argument, "bad name for a change log: '" + *name + "'");
    }
  }
  if (log.keep < 1) throw Error(ErrorKind::invalid_argument, "a change log keeps at least 1");
  if (log.document.empty()) throw Error(ErrorKind::invalid_argument, "no document expression");
}

// The trigger's function: logs the change under the writing transaction's id and a sequence
// number, and NOTIFYs (an empty payload: PostgreSQL sends one per transaction). No lock: readers
// order changes by (xid, seq) and take only those below every running writer (pg_snapshot_xmin),
// so each reader sees one order, the same for all, and no writer waits for another. Every
// (keep / 10)-th change (at most every 1000th) drops the oldest changes beyond `keep`, as a prefix
// of that order, and records where that prefix ends in <log>_pruned: a reader whose place is
// before it may have missed changes (a gap).
constexpr std::string_view kFunction = R"(
CREATE OR REPLACE FUNCTION @log@_write() RETURNS trigger LANGUAGE plpgsql AS $gale$
DECLARE r record; s bigint; bx xid8; bs bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  s := nextval('@log@_seq');
  INSERT INTO @log@ (xid, seq, op, key, doc) VALUES (pg_current_xact_id(), s, lower(TG_OP),
    jsonb_build_object('@key@', r.@key@), CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE @doc@ END);
  IF s % @every@ = 0 THEN
    SELECT xid, seq INTO bx, bs FROM @log@ WHERE seq <= s - @keep@
      ORDER BY xid DESC, seq DESC LIMIT 1;
    IF FOUND THEN
      UPDATE @log@_pruned SET xid = bx, seq = bs WHERE (xid, seq) < (bx, bs);
      DELETE FROM @log@ WHERE (xid, seq) <= (bx, bs);
    END IF;
  END IF;
  @notify@
  RETURN NULL;
END
$gale$)";

std::string function_sql(const ChangeLog& log, const std::string& name) {
  std::string sql(kFunction);
  auto put = [&sql](std::string_view mark, const std::string& value) {
    for (auto at = sql.find(mark); at != std::string::npos;
         at = sql.find(mark, at + value.size())) {
      sql.replace(at, mark.size(), value);
    }
  };
  put("@log@", name);
  put("@key@", log.key);
  put("@keep@", std::to_string(log.keep));
  put("@every@", std::to_string(std::clamp<std::int64_t>(log.keep / 10, 1, 1000)));
  put("@notify@",
      log.notify ? "PERFORM pg_notify('" + name + "', '');" : std::string("-- no NOTIFY"));
  put("@doc@", log.document);  // last: the document's SQL is not searched for marks
  return sql;
}

Future<void> install(pg::Client& pg, ChangeLog log);

}  // namespace

std::string change_log_name(const std::string& table) {
  return table + "_changes";
}

// Not a coroutine itself: g++ 12 frees a braced argument of a coroutine twice ({.table = "x"}).
Future<void> install_change_log(pg::Client& pg, ChangeLog log) {
  return install(pg, std::move(log));
}

Future<void> install_change_log(pg::Client& pg, std::string table) {
  ChangeLog log;
  log.table = std::move(table);
  return install(pg, std::move(log));
}

Future<void> drop_change_log(pg::Client& pg, std::string table) {
  ChangeLog log;
  log.table = std::move(table);
  check(log);
  const std::string name = change_log_name(log.table);
  // CASCADE: the function takes the table's trigger with it.
  co_await pg.execute_script("DROP FUNCTION IF EXISTS " + name + "_write() CASCADE; " +
                             "DROP TABLE IF EXISTS " + name + ", " + name + "_pruned; " +
                             "DROP SEQUENCE IF EXISTS " + name + "_seq");
}

namespace {

Future<void> install(pg::Client& pg, ChangeLog log) {
  check(log);
  const std::string name = change_log_name(log.table);
  auto tx = co_await pg.transaction();
  // DDL from several processes at once would race in the catalog: one at a time.
  co_await tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", "gale.live." + name);
  // A log of gale 0.1's first form (a position column, written under a lock) is made again.
  co_await tx.execute(
      "DO $gale$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns"
      " WHERE table_schema = current_schema() AND table_name = '" +
      name + "' AND column_name = 'position') THEN DROP TABLE " + name + "; END IF; END $gale$");
  co_await tx.execute("CREATE TABLE IF NOT EXISTS " + name +
                      " (xid xid8 NOT NULL, seq bigint NOT NULL, op text NOT NULL,"
                      " key jsonb NOT NULL, doc jsonb, at timestamptz NOT NULL DEFAULT now(),"
                      " PRIMARY KEY (xid, seq))");
  co_await tx.execute("CREATE SEQUENCE IF NOT EXISTS " + name + "_seq");
  co_await tx.execute("CREATE TABLE IF NOT EXISTS " + name +
                      "_pruned (one boolean PRIMARY KEY DEFAULT true CHECK (one),"
                      " xid xid8 NOT NULL, seq bigint NOT NULL)");
  co_await tx.execute("INSERT INTO " + name +
                      "_pruned (xid, seq) VALUES ('0', 0)"
                      " ON CONFLICT DO NOTHING");
  co_await tx.execute(function_sql(log, name));

  co_await tx.execute("CREATE OR REPLACE TRIGGER " + log.table + "_gale_live AFTER INSERT OR" +
                      " UPDATE OR DELETE ON " + log.table + " FOR EACH ROW EXECUTE FUNCTION " +
                      name + "_write()");
  co_await tx.commit();
}

}  // namespace
}  // namespace gale::live
