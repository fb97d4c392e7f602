#include "gale/mongo/cursor.hpp"
#include "gale/mongo/bson.hpp"

#include "gale/loop/log.hpp"
#include "gale/mongo/command_builder.hpp"
#include "gale/mongo/cursor_state.hpp"
#include "gale/mongo/reply.hpp"

namespace gale::mongo {
namespace detail {

void load_batch(CursorState& s, Document reply) {
  s.batch = std::move(reply);
  bson_t doc = bson_view(s.batch);
  bson_iter_t it, cursor;
  s.have_batch = false;
  s.post_batch_resume_token.reset();
  if (!bson_iter_init_find(&it, &doc, "cursor") || !bson_iter_recurse(&it, &cursor)) {
    throw MongoError(ErrorKind::internal, "a cursor reply without a cursor document");
  }
  while (bson_iter_next(&cursor)) {
    std::string_view key = bson_iter_key(&cursor);
    if (key == "id") {
      s.id = bson_iter_as_int64(&cursor);
    } else if (key == "ns" && BSON_ITER_HOLDS_UTF8(&cursor)) {
      std::string ns = bson_iter_utf8(&cursor, nullptr);
      if (auto dot = ns.find('.'); dot != std::string::npos) s.collection = ns.substr(dot + 1);
    } else if ((key == "firstBatch" || key == "nextBatch") && BSON_ITER_HOLDS_ARRAY(&cursor)) {
      bson_iter_recurse(&cursor, &s.iter);
      s.have_batch = true;
    } else if (key == "postBatchResumeToken" && BSON_ITER_HOLDS_DOCUMENT(&cursor)) {
      std::uint32_t len = 0;
      const std::uint8_t* data = nullptr;
      bson_iter_document(&cursor, &len, &data);
      s.post_batch_resume_token = Document::from_trusted(data, len);
    }
  }
}

namespace {

Future<Unit> get_more(std::shared_ptr<CursorState> s) {
  CommandBuilder b;
  b.i64("getMore", s->id);
  b.str("collection", s->collection);
  std::int64_t batch = s->batch_size;
  if (s->limit > 0) {
    std::int64_t left = s->limit - s->returned;
    batch = batch > 0 ? std::min(batch, left) : left;
  }
  if (batch > 0) b.i32("batchSize", static_cast<std::int32_t>(batch));
  auto op = cursor_op(s->database, b.done(), s->client->deadline(s->timeout), s->server);
  try {
    auto out = co_await execute(s->client, std::move(op));
    load_batch(*s, std::move(out.reply));
  } catch (...) {
    s->id = 0;  // a failed getMore leaves no cursor to kill on our side
    s->have_batch = false;
    throw;
  }
  co_return Unit{};
}

Future<std::optional<Document>> next_raw(std::shared_ptr<CursorState> s) {
  if (s->busy) throw Error(ErrorKind::internal, "a Cursor was used by two coroutines at once");
  s->busy = true;
  struct Idle {
    bool& b;
    ~Idle() { b = false; }
  } idle{s->busy};
  if (!s->started) {
    s->started = true;
    auto out = co_await execute(s->client, std::move(s->first));
    s->server = out.server;
    load_batch(*s, std::move(out.reply));
  }
  for (;;) {
    if (s->limit > 0 && s->returned >= s->limit) {
      if (s->id != 0) kill_cursor(s);
      co_return std::nullopt;
    }
    if (s->have_batch && bson_iter_next(&s->iter)) {
      std::uint32_t len = 0;
      const std::uint8_t* data = nullptr;
      bson_iter_document(&s->iter, &len, &data);
      if (data == nullptr)
        throw MongoError(ErrorKind::internal, "a cursor batch holds a non-document");
      ++s->returned;
      co_return Document::from_trusted(data, len);
    }
    s->have_batch = false;
    if (s->id == 0) co_return std::nullopt;
    co_await get_more(s);
  }
}

Future<void> send_kill(std::shared_ptr<CursorState> s, std::int64_t id) {
  CommandBuilder b;
  b.str("killCursors", s->collection);
  b.i64_list("cursors", {id});
  auto op = cursor_op(s->database, b.done(), Clock::now() + std::chrono::seconds(5), s->server);
  try {
    co_await execute(s->client, std::move(op));
    ++s->client->cursors_killed;
  } catch (...) {
    log::info("gale.mongo", "killCursors for cursor {} failed: {}", id,
              describe(std::current_exception()));
  }
}

}  // namespace

void kill_cursor(std::shared_ptr<CursorState> state) noexcept {
  if (!state || state->id == 0 || !state->server) return;
  std::int64_t id = std::exchange(state->id, 0);
  state->have_batch = false;
  if (state->client->loop_alive.expired()) {
    // Dropped while the client's loop is being destroyed (a coroutine frame that owned the cursor)
    // or after it is gone: nothing can run there any more, and the pool's connections go with it.
    // The server reaps the cursor when its connection closes (or after its idle timeout).
    log::debug("gale.mongo", "cursor {} not killed: its IOLoop is closed", id);
    return;
  }
  try {
    (void)send_kill(std::move(state), id);
  } catch (...) {
  }
}

}  // namespace detail

Cursor::Cursor(std::shared_ptr<detail::CursorState> state) noexcept : state_(std::move(state)) {}

Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    close();
    state_ = std::move(other.state_);
  }
  return *this;
}

Cursor::~Cursor() {
  close();
}

void Cursor::close() noexcept {
  if (state_ && !state_->busy) detail::kill_cursor(state_);
}

std::int64_t Cursor::id() const noexcept {
  return state_ ? state_->id : 0;
}

bool Cursor::alive() const noexcept {
  return state_ && (!state_->started || state_->id != 0 || state_->have_batch);
}

Future<std::optional<Document>> Cursor::next_document() {
  return detail::next_raw(state_);
}

Future<std::optional<nlohmann::json>> Cursor::next() {
  auto doc = co_await detail::next_raw(state_);
  if (!doc) co_return std::nullopt;
  co_return doc->to_json();
}

Future<std::vector<nlohmann::json>> Cursor::to_list(std::size_t length) {
  std::vector<nlohmann::json> out;
  auto state = state_;
  while (out.size() < length) {
    auto doc = co_await detail::next_raw(state);
    if (!doc) break;
    out.push_back(doc->to_json());
  }
  co_return out;
}

}  // namespace gale::mongo
