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

// The trigger's function. Under the writers' lock it takes the next position (so positions are
// gapless and in commit order), logs the change, drops the one position that falls out of `keep`
// (a point lookup: a range would walk the dead index entries of every earlier prune), and NOTIFYs.
constexpr std::string_view kFunction = R"(
CREATE OR REPLACE FUNCTION @log@_write() RETURNS trigger LANGUAGE plpgsql AS $gale$
DECLARE r record; p bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('gale.live.@log@'));
  SELECT coalesce(max(position), 0) + 1 INTO p FROM @log@;
  INSERT INTO @log@ (position, op, key, doc) VALUES (p, lower(TG_OP),
    jsonb_build_object('@key@', r.@key@), CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE @doc@ END);
  DELETE FROM @log@ WHERE position = p - @keep@;
  PERFORM pg_notify('@log@', p::text);
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

namespace {

Future<void> install(pg::Client& pg, ChangeLog log) {
  check(log);
  const std::string name = change_log_name(log.table);
  auto tx = co_await pg.transaction();
  // The writers' lock: DDL from several processes at once would race in the catalog.
  co_await tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", "gale.live." + name);
  co_await tx.execute("CREATE TABLE IF NOT EXISTS " + name +
                      " (position bigint PRIMARY KEY, op text NOT NULL, key jsonb NOT NULL,"
                      " doc jsonb, at timestamptz NOT NULL DEFAULT now())");
  co_await tx.execute(function_sql(log, name));
  // The trigger drops one position per change: this applies a `keep` lower than the last one.
  co_await tx.execute("DELETE FROM " + name + " WHERE position <= (SELECT max(position) FROM " +
                      name + ") - " + std::to_string(log.keep));
  co_await tx.execute("CREATE OR REPLACE TRIGGER " + log.table + "_gale_live AFTER INSERT OR" +
                      " UPDATE OR DELETE ON " + log.table + " FOR EACH ROW EXECUTE FUNCTION " +
                      name + "_write()");
  co_await tx.commit();
}

}  // namespace
}  // namespace gale::live
