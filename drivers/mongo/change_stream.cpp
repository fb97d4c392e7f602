#include "gale/mongo/change_stream.hpp"
#include "gale/mongo/bson.hpp"

#include <algorithm>

#include "gale/loop/log.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/mongo/change_stream_state.hpp"
#include "gale/mongo/command_builder.hpp"
#include "gale/mongo/error.hpp"

namespace gale::mongo {
namespace detail {
namespace {

// Where the aggregate starts: the spec's "Resume Process" picks one of these.
struct Start {
  std::optional<Document> resume_after;
  std::optional<Document> start_after;
  std::optional<Timestamp> start_at_operation_time;
};

Document token_of(const json& value, const char* option) {
  if (!value.is_object()) {
    throw Error(ErrorKind::invalid_argument,
                std::string("ChangeStreamOptions::") + option + " must be a resume token document");
  }
  return Document(value);
}

void append_key(bson_t* array, std::uint32_t index, bson_t* child) {
  char buf[16];
  const char* key = nullptr;
  std::size_t n = bson_uint32_to_string(index, &key, buf, sizeof buf);
  bson_append_document_begin(array, key, static_cast<int>(n), child);
}

Document aggregate_command(const ChangeStreamState& cs, const Start& start) {
  const auto& o = cs.options;
  CommandBuilder b;
  if (cs.collection.empty()) {
    b.i32("aggregate", 1);
  } else {
    b.str("aggregate", cs.collection);
  }
  bson_t* cmd = b.raw();
  bson_t pipeline, stage, spec;
  bson_append_array_begin(cmd, "pipeline", -1, &pipeline);
  append_key(&pipeline, 0, &stage);
  bson_append_document_begin(&stage, "$changeStream", -1, &spec);
  if (cs.cluster) bson_append_bool(&spec, "allChangesForCluster", -1, true);
  if (!o.full_document.empty()) {
    bson_append_utf8(&spec, "fullDocument", -1, o.full_document.data(),
                     static_cast<int>(o.full_document.size()));
  }
  if (!o.full_document_before_change.empty()) {
    bson_append_utf8(&spec, "fullDocumentBeforeChange", -1, o.full_document_before_change.data(),
                     static_cast<int>(o.full_document_before_change.size()));
  }
  if (start.resume_after) {
    bson_t v = bson_view(*start.resume_after);
    bson_append_document(&spec, "resumeAfter", -1, &v);
  }
  if (start.start_after) {
    bson_t v = bson_view(*start.start_after);
    bson_append_document(&spec, "startAfter", -1, &v);
  }
  if (start.start_at_operation_time) {
    bson_append_timestamp(&spec, "startAtOperationTime", -1, start.start_at_operation_time->t,
                          start.start_at_operation_time->i);
  }
  if (o.show_expanded_events) bson_append_bool(&spec, "showExpandedEvents", -1, true);
  bson_append_document_end(&stage, &spec);
  bson_append_document_end(&pipeline, &stage);
  std::uint32_t index = 1;
  for (const auto& user_stage : cs.pipeline) {
    char buf[16];
    const char* key = nullptr;
    std::size_t n = bson_uint32_to_string(index++, &key, buf, sizeof buf);
    append_json(&pipeline, std::string_view(key, n), user_stage);
  }
  bson_append_array_end(cmd, &pipeline);
  json cursor = json::object();
  if (o.batch_size > 0) cursor["batchSize"] = o.batch_size;
  b.json("cursor", cursor);
  b.json("collation", o.collation);
  return b.done();
}

// Is the batch the state points at empty (from where its iterator stands)?
bool batch_exhausted(const CursorState& s) {
  if (!s.have_batch) return true;
  bson_iter_t peek = s.iter;
  return !bson_iter_next(&peek);
}

// The spec's "Updating the Cached Resume Token", when aggregate or getMore returns.
void after_batch(ChangeStreamState& cs) {
  const auto& s = *cs.cursor;
  if (batch_exhausted(s) && s.post_batch_resume_token) cs.token = s.post_batch_resume_token;
}

std::optional<Timestamp> operation_time_of(const Document& reply) {
  bson_t doc = bson_view(reply);
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &doc, "operationTime") || !BSON_ITER_HOLDS_TIMESTAMP(&it)) {
    return std::nullopt;
  }
  Timestamp ts;
  bson_iter_timestamp(&it, &ts.t, &ts.i);
  return ts;
}

Future<Unit> run_aggregate(std::shared_ptr<ChangeStreamState> cs, Start start, bool initial) {
  auto op = read_op(cs->database, aggregate_command(*cs, start),
                    cs->client->deadline(cs->options.timeout), cs->options.read_preference);
  auto out = co_await execute(cs->client, std::move(op));
  auto s = std::make_shared<CursorState>();
  s->client = cs->client;
  s->database = cs->database;
  s->collection = cs->collection;
  s->batch_size = cs->options.batch_size;
  s->timeout = cs->options.timeout;
  s->started = true;
  s->server = out.server;
  auto reply = out.reply;
  load_batch(*s, std::move(out.reply));
  cs->cursor = s;
  const auto& servers = cs->client->topology->description().servers();
  auto found = servers.find(out.server->address);
  cs->wire_version = found == servers.end() ? 0 : found->second.max_wire_version;
  if (initial && !cs->options.start_at_operation_time && cs->options.resume_after.is_null() &&
      cs->options.start_after.is_null() && batch_exhausted(*s) && !s->post_batch_resume_token) {
    cs->operation_time = operation_time_of(reply);
  }
  after_batch(*cs);
  co_return Unit{};
}

// The spec's "Resume Process": the start of the aggregate that resumes the stream.
Start resume_start(const ChangeStreamState& cs) {
  Start start;
  if (cs.token) {
    if (!cs.options.start_after.is_null() && !cs.returned_any) {
      start.start_after = cs.token;
    } else {
      start.resume_after = cs.token;
    }
  } else if (cs.operation_time) {
    start.start_at_operation_time = cs.operation_time;
  } else {
    if (!cs.options.resume_after.is_null())
      start.resume_after = token_of(cs.options.resume_after, "resume_after");
    if (!cs.options.start_after.is_null())
      start.start_after = token_of(cs.options.start_after, "start_after");
  }
  return start;
}

Future<Unit> get_more(std::shared_ptr<ChangeStreamState> cs) {
  auto s = cs->cursor;
  CommandBuilder b;
  b.i64("getMore", s->id);
  b.str("collection", s->collection);
  if (s->batch_size > 0) b.i32("batchSize", s->batch_size);
  if (cs->options.max_await_time) b.i64("maxTimeMS", cs->options.max_await_time->count());
  auto op = cursor_op(s->database, b.done(), cs->client->deadline(cs->options.timeout), s->server);
  auto out = co_await execute(cs->client, std::move(op));
  load_batch(*s, std::move(out.reply));
  after_batch(*cs);
  co_return Unit{};
}

void shut(ChangeStreamState& cs) noexcept {
  cs.closed = true;
  if (cs.cursor) kill_cursor(cs.cursor);
}

// The next event of the batch in hand, caching its resume token; nullopt when the batch is done.
std::optional<json> take(ChangeStreamState& cs) {
  auto& s = *cs.cursor;
  if (!s.have_batch) return std::nullopt;
  if (!bson_iter_next(&s.iter)) {
    s.have_batch = false;
    return std::nullopt;
  }
  std::uint32_t len = 0;
  const std::uint8_t* data = nullptr;
  bson_iter_document(&s.iter, &len, &data);
  if (data == nullptr) {
    shut(cs);
    throw MongoError(ErrorKind::internal, "a change stream batch holds a non-document");
  }
  Document event = Document::from_trusted(data, len);
  bson_t view = bson_view(event);
  bson_iter_t id;
  if (!bson_iter_init_find(&id, &view, "_id") || !BSON_ITER_HOLDS_DOCUMENT(&id)) {
    shut(cs);
    throw MongoError(ErrorKind::invalid_argument,
                     "Cannot provide resume functionality when the resume token is missing (an "
                     "event without its _id: does the pipeline project it out?)",
                     0, "ChangeStreamFatalError");
  }
  if (batch_exhausted(s) && s.post_batch_resume_token) {
    cs.token = s.post_batch_resume_token;
  } else {
    std::uint32_t id_len = 0;
    const std::uint8_t* id_data = nullptr;
    bson_iter_document(&id, &id_len, &id_data);
    cs.token = Document::from_trusted(id_data, id_len);
  }
  cs.returned_any = true;
  return event.to_json();
}

// May the old cursor be killed when the stream resumes after `failure`? The spec: kill it on the
// server on which it was opened, never on another. Only a server error on its connection says that
// this server is still the one (CursorNotFound says the cursor is gone already). After a network
// error or a client-side timeout the process at that address may be another one, killed and
// started again, that numbers its cursors afresh (mongo-java-server from 1): a killCursors for the
// old id, sent in the background while the resume aggregate runs, could kill the resumed stream's
// own new cursor there. Such a cursor is forgotten, not killed (as PyMongo does after a connection
// failure); if its server is still up, the cursor's idle timeout ends it.
bool may_kill_old_cursor(std::exception_ptr failure) noexcept {
  try {
    std::rethrow_exception(failure);
  } catch (const MongoError& e) {
    return !e.network_error() && e.code() != 0 && e.code() != 43;
  } catch (...) {
    return false;
  }
}

// How long an empty getMore must have taken before the next one goes: a server that ignores
// awaitData (mongo-java-server) answers at once, and next() must not spin on it.
constexpr auto kPollFloor = std::chrono::milliseconds(20);

Future<std::optional<json>> next_event(std::shared_ptr<ChangeStreamState> cs, bool wait) {
  if (cs->busy)
    throw Error(ErrorKind::internal, "a ChangeStream was used by two coroutines at once");
  cs->busy = true;
  struct Idle {
    bool& b;
    ~Idle() { b = false; }
  } idle{cs->busy};
  for (;;) {
    if (cs->closed) {
      shut(*cs);  // dropped or close()d while a getMore was out
      co_return std::nullopt;
    }
    if (auto event = take(*cs)) co_return event;
    if (cs->cursor->id == 0) {  // the server closed the cursor (after an invalidate event)
      cs->closed = true;
      co_return std::nullopt;
    }
    const auto sent = Clock::now();
    std::exception_ptr failure;
    try {
      co_await get_more(cs);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      if (!resumable_change_stream_error(failure, cs->wire_version)) {
        shut(*cs);
        std::rethrow_exception(failure);
      }
      log::info("gale.mongo", "resuming a change stream after: {}", describe(failure));
      if (may_kill_old_cursor(failure)) {
        kill_cursor(cs->cursor);  // best effort, not awaited
      } else {
        cs->cursor->id = 0;  // forgotten: never killed later (close(), the destructor)
        cs->cursor->have_batch = false;
      }
      std::exception_ptr resume_failure;
      try {
        Start start = resume_start(*cs);
        co_await run_aggregate(cs, std::move(start), false);
      } catch (...) {
        resume_failure = std::current_exception();
      }
      if (resume_failure) {
        cs->closed = true;
        std::rethrow_exception(resume_failure);
      }
    }
    if (!wait) {
      if (auto event = take(*cs)) co_return event;
      co_return std::nullopt;
    }
    if (!failure && batch_exhausted(*cs->cursor)) {
      const Clock::duration floor =
          std::min<Clock::duration>(kPollFloor, cs->options.max_await_time.value_or(kPollFloor));
      const auto took = Clock::now() - sent;
      if (took < floor) co_await gale::sleep(floor - took);
    }
  }
}

}  // namespace

bool resumable_change_stream_error(std::exception_ptr error, int max_wire_version) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const MongoError& e) {
    return is_resumable_change_stream_error(e, max_wire_version);
  } catch (const Error& e) {
    return e.kind() == ErrorKind::timeout || e.kind() == ErrorKind::unavailable;
  } catch (...) {
    return false;
  }
}

Future<ChangeStream> open_change_stream(std::shared_ptr<ClientState> client, std::string database,
                                        std::string collection, bool cluster, json pipeline,
                                        ChangeStreamOptions options) {
  if (pipeline.is_null()) pipeline = json::array();
  if (!pipeline.is_array()) {
    throw Error(ErrorKind::invalid_argument, "a change stream pipeline must be a JSON array");
  }
  auto cs = std::make_shared<ChangeStreamState>();
  cs->client = std::move(client);
  cs->database = std::move(database);
  cs->collection = std::move(collection);
  cs->cluster = cluster;
  cs->pipeline = std::move(pipeline);
  cs->options = std::move(options);
  Start start;
  if (!cs->options.start_after.is_null()) {
    start.start_after = token_of(cs->options.start_after, "start_after");
    cs->token = start.start_after;
  }
  if (!cs->options.resume_after.is_null()) {
    start.resume_after = token_of(cs->options.resume_after, "resume_after");
    if (!cs->token) cs->token = start.resume_after;
  }
  start.start_at_operation_time = cs->options.start_at_operation_time;
  cs->operation_time = cs->options.start_at_operation_time;
  co_await run_aggregate(cs, std::move(start), true);
  co_return ChangeStream(std::move(cs));
}

}  // namespace detail

ChangeStream::ChangeStream(std::shared_ptr<detail::ChangeStreamState> state) noexcept
    : state_(std::move(state)) {}

ChangeStream& ChangeStream::operator=(ChangeStream&& other) noexcept {
  if (this != &other) {
    close();
    state_ = std::move(other.state_);
  }
  return *this;
}

ChangeStream::~ChangeStream() {
  close();
}

void ChangeStream::close() noexcept {
  if (!state_) return;
  state_->closed = true;
  if (state_->cursor && !state_->busy) detail::kill_cursor(state_->cursor);
}

Future<std::optional<nlohmann::json>> ChangeStream::next() {
  return detail::next_event(state_, true);
}

Future<std::optional<nlohmann::json>> ChangeStream::try_next() {
  return detail::next_event(state_, false);
}

std::optional<nlohmann::json> ChangeStream::resume_token() const {
  if (!state_ || !state_->token) return std::nullopt;
  return state_->token->to_json();
}

std::int64_t ChangeStream::id() const noexcept {
  return state_ && state_->cursor && !state_->closed ? state_->cursor->id : 0;
}

bool ChangeStream::alive() const noexcept {
  return state_ && !state_->closed;
}

}  // namespace gale::mongo
