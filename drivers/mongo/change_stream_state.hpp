// detail: what a ChangeStream holds, and how watch() opens one.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gale/mongo/change_stream.hpp"
#include "gale/mongo/cursor_state.hpp"
#include "gale/mongo/options.hpp"

namespace gale::mongo::detail {

struct ChangeStreamState {
  std::shared_ptr<ClientState> client;
  std::string database;
  std::string collection;  // the aggregate's target; empty: {aggregate: 1} (a database, a cluster)
  bool cluster = false;    // allChangesForCluster, on admin
  json pipeline;           // the stages after $changeStream
  ChangeStreamOptions options;
  std::shared_ptr<CursorState> cursor;      // the current aggregate's cursor
  int wire_version = 0;                     // of the server that ran that aggregate
  std::optional<Document> token;            // the cached resume token
  std::optional<Timestamp> operation_time;  // start_at_operation_time, or saved from the aggregate
  bool returned_any = false;                // an event was returned (the startAfter rule)
  bool closed = false;
  bool busy = false;
};

// Runs the change stream's first aggregate and gives the stream.
Future<ChangeStream> open_change_stream(std::shared_ptr<ClientState> client, std::string database,
                                        std::string collection, bool cluster, json pipeline,
                                        ChangeStreamOptions options);

// The change-streams spec's "Resumable Error", for an error of a getMore on a server of
// `max_wire_version`.
bool resumable_change_stream_error(std::exception_ptr error, int max_wire_version) noexcept;

}  // namespace gale::mongo::detail
