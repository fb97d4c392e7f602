// install_change_log: makes a PostgreSQL table's changes readable as a live Feed (pg_feed.hpp).
//
//   co_await gale::live::install_change_log(pg, "notes");   // once, at start-up
//   auto feed = co_await gale::live::watch(pg, "notes");
//
// A trigger on the table writes each inserted, updated or deleted row to <table>_changes
// (position bigint, op, key jsonb, doc jsonb) and NOTIFYs the channel <table>_changes with the
// position. Positions are gapless and in commit order: the trigger takes a transaction-level
// advisory lock, so writers to the table commit one after another from the trigger on (the price
// of a feed that can resume exactly; REPEATABLE READ or SERIALIZABLE writers may then fail with a
// serialization error and retry). The log keeps the last `keep` changes: a client that resumes
// from further back gets a gap. Idempotent, and safe to run from several processes at once.
#pragma once

#include <cstdint>
#include <string>

#include "gale/loop/future.hpp"
#include "gale/pg/client.hpp"

namespace gale::live {

struct ChangeLog {
  std::string table{};                   // lower-case letters, digits and _, as for every name here
  std::string key = "id";                // the column that identifies a row (documentKey)
  std::string document = "to_jsonb(r)";  // SQL over the row `r`: the change's fullDocument
  std::int64_t keep = 10'000;            // changes kept for replays
};

// (Pass a named ChangeLog, not a braced temporary: g++ 12 destroys a braced temporary inside a
// co_await expression twice.)
Future<void> install_change_log(pg::Client& pg, ChangeLog log);
// With the defaults: key "id", the whole row, 10,000 changes kept.
Future<void> install_change_log(pg::Client& pg, std::string table);

// The log table (and NOTIFY channel) of `table`: "<table>_changes".
std::string change_log_name(const std::string& table);

}  // namespace gale::live
