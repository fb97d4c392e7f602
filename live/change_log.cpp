#include "gale/live/change_log.hpp"

#include <algorithm>

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

std::string function_sql(const ChangeLog& log, const std::string& name) {
  return "CREATE OR REPLACE FUNCTION " + name +
         "_write() RETURNS trigger LANGUAGE plpgsql AS $gale$\n"
         "DECLARE r record; p bigint;\n"
         "BEGIN\n"
         "  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;\n"
         "  PERFORM pg_advisory_xact_lock(hashtext('gale.live." +
         name +
         "'));\n"
         "  SELECT coalesce(max(position), 0) + 1 INTO p FROM " +
         name +
         ";\n"
         "  INSERT INTO " +
         name +
         " (position, op, key, doc) VALUES (p, lower(TG_OP),"
         " jsonb_build_object('" +
         log.key + "', r." + log.key +
         "),"
         " CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE " +
         log.document +
         " END);\n"
         "  DELETE FROM " +
         name + " WHERE position <= p - " + std::to_string(log.keep) +
         ";\n"
         "  PERFORM pg_notify('" +
         name +
         "', p::text);\n"
         "  RETURN NULL;\n"
         "END\n$gale$";
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
  co_await tx.execute("CREATE OR REPLACE TRIGGER " + log.table + "_gale_live AFTER INSERT OR" +
                      " UPDATE OR DELETE ON " + log.table + " FOR EACH ROW EXECUTE FUNCTION " +
                      name + "_write()");
  co_await tx.commit();
}

}  // namespace
}  // namespace gale::live
