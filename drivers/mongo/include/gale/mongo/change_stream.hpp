// ChangeStream: the changes of a collection, a database or a whole deployment, as MongoDB's
// change-streams spec describes them (a $changeStream aggregation read with getMore, resumed once
// on a resumable error).
//
//   gale::mongo::ChangeStreamOptions o;
//   o.full_document = "updateLookup";
//   auto stream = co_await notes.watch(json::array(), o);  // the stream starts here
//   while (auto event = co_await stream.next()) {          // waits for the next event
//     save((*event)["operationType"], stream.resume_token());
//   }
//
// watch() runs the aggregate before it returns, so every change made after it is seen. next()
// waits (getMore after getMore, each held open by the server up to max_await_time) until an event
// comes, and gives nullopt only once the stream is over (the server closed it after an invalidate
// event, or close()). try_next() does one round: an event, or nullopt when none came.
//
// resume_token() is the token to resume after everything returned so far: a new watch() with
// ChangeStreamOptions::resume_after set to it sees exactly the events after that point. To store
// tokens while no events come, loop on try_next() and read resume_token() after each call.
//
// On a resumable error of a getMore (a network error, a client-side timeout, CursorNotFound, a
// server error labelled ResumableChangeStreamError; before MongoDB 4.4 the spec's list of codes)
// the stream selects a server again and re-runs its aggregate once, from its resume token (or the
// operation time it started at), then goes on: no event is lost nor repeated. Any other error, or
// a failure of that aggregate, is thrown by next() as a MongoError and closes the stream. An event
// without its _id (a pipeline that projected it out) cannot be resumed from: next() throws
// MongoError(invalid_argument, code name "ChangeStreamFatalError") and closes the stream.
//
// Dropping the stream (or close()) kills its server cursor in the background. Use a ChangeStream
// from one coroutine at a time. Change streams need a replica set or a sharded cluster (or a
// server with an oplog, like mongo-java-server); a standalone mongod answers the aggregate with an
// error. Prefer watch() to a raw $changeStream aggregate: only watch() resumes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "gale/loop/future.hpp"

namespace gale::mongo {

namespace detail {
struct ChangeStreamState;
}

class ChangeStream {
 public:
  explicit ChangeStream(std::shared_ptr<detail::ChangeStreamState> state) noexcept;
  ChangeStream(ChangeStream&&) noexcept = default;
  ChangeStream& operator=(ChangeStream&& other) noexcept;
  ChangeStream(const ChangeStream&) = delete;
  ChangeStream& operator=(const ChangeStream&) = delete;
  ~ChangeStream();

  // The next event, waiting for it; nullopt once the stream is over.
  Future<std::optional<nlohmann::json>> next();
  // The next event if one is buffered or comes with one getMore; nullopt otherwise.
  Future<std::optional<nlohmann::json>> try_next();

  // The cached resume token (the spec's "Updating the Cached Resume Token"): the batch's
  // postBatchResumeToken once a batch is empty or fully returned, else the _id of the last event
  // returned; nullopt before any (a stream started with resume_after/start_after has that token).
  std::optional<nlohmann::json> resume_token() const;

  // The server's cursor id (0 once the stream is closed).
  std::int64_t id() const noexcept;
  bool alive() const noexcept;
  // Kills the server cursor now (in the background); next() then gives nullopt.
  void close() noexcept;

 private:
  std::shared_ptr<detail::ChangeStreamState> state_;
};

}  // namespace gale::mongo
