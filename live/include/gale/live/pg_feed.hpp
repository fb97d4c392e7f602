// watch(pg, table): a live Feed on a PostgreSQL table's change log (change_log.hpp: install it
// first). Positions are places in the log's order ("xid:seq"). The feed LISTENs on a connection of
// its own to learn that there is something new (and reads anyway every poll_interval), and reads
// the log through the client's pool: a NOTIFY lost while reconnecting loses nothing, since the
// log, not the notification, carries the changes.
#pragma once

#include <string>

#include "gale/live/feed.hpp"
#include "gale/pg/client.hpp"

namespace gale::live {

// Error(invalid_argument) when the table has no change log.
Future<Feed> watch(pg::Client& pg, std::string table, FeedOptions options);
Future<Feed> watch(pg::Client& pg, std::string table);

}  // namespace gale::live
