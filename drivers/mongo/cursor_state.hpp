// detail: what a Cursor holds between batches.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gale/mongo/bson.hpp"
#include "gale/mongo/document.hpp"
#include "gale/mongo/operation.hpp"

namespace gale::mongo::detail {

struct CursorState {
  std::shared_ptr<ClientState> client;
  std::string database;
  std::string collection;  // for getMore, from the reply's ns
  Operation first;         // the find/aggregate, run by the first next()
  bool started = false;
  std::int64_t id = 0;
  std::int32_t batch_size = 0;
  std::int64_t limit = 0;  // documents still allowed by the find's limit (0: no limit)
  std::int64_t returned = 0;
  std::optional<Clock::duration> timeout;
  std::shared_ptr<Topology::Server> server;
  Document batch;      // the reply holding the current batch
  bson_iter_t iter{};  // inside the batch array
  bool have_batch = false;
  bool busy = false;
  // The batch's postBatchResumeToken (change streams), when the reply had one.
  std::optional<Document> post_batch_resume_token;
};

// Points the state at the batch of a find/aggregate/getMore reply (cursor id, ns, the batch, its
// postBatchResumeToken); throws MongoError(internal) for a reply without a cursor.
void load_batch(CursorState& s, Document reply);

// Sends killCursors for the state's cursor in the background (bounded by a short deadline).
void kill_cursor(std::shared_ptr<CursorState> state) noexcept;

}  // namespace gale::mongo::detail
