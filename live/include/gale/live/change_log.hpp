// install_change_log: makes a PostgreSQL table's changes readable as a live Feed (pg_feed.hpp).
//
//   co_await gale::live::install_change_log(pg, "notes");   // once, at start-up
//   auto feed = co_await gale::live::watch(pg, "notes");
//
// A trigger on the table writes each inserted, updated or deleted row to <table>_changes (xid,
// seq, op, key jsonb, doc jsonb): the writing transaction's id and a sequence number. It takes no
// lock: feeds order changes by (xid, seq) and read only those below every running writer, so all
// readers see one order, in which a transaction's changes never come before an older writer's.
// Its position is "xid:seq". A writer that stays open holds the changes after it back from every
// feed (not from other writers). With `notify`, the trigger NOTIFYs the channel <table>_changes.
// The log keeps the last `keep` changes, dropping the oldest as a prefix of that order and
// recording where it ends (<table>_changes_pruned): a feed or client behind it gets a gap.
// Idempotent, and safe to run from several processes at once.
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
  // NOTIFY each writing transaction, so that feeds wake at once. PostgreSQL serializes the commits
  // of notifying transactions (a lock on its notification queue): a table written by many
  // writers at once may turn it off, and its feeds then read every FeedOptions::poll_interval.
  bool notify = true;
};

// (Pass a named ChangeLog, not a braced temporary: g++ 12 destroys a braced temporary inside a
// co_await expression twice.)
Future<void> install_change_log(pg::Client& pg, ChangeLog log);
// With the defaults: key "id", the whole row, 10,000 changes kept.
Future<void> install_change_log(pg::Client& pg, std::string table);

// Removes what install_change_log made for `table`: its trigger, log table, sequence and function.
// The table and its rows stay. Idempotent; feeds of the table stop seeing changes.
Future<void> drop_change_log(pg::Client& pg, std::string table);

// The log table (and NOTIFY channel) of `table`: "<table>_changes".
std::string change_log_name(const std::string& table);

}  // namespace gale::live
