#include "gale/live/mongo_feed.hpp"

#include <optional>

#include "gale/live/detail/feed_source.hpp"
#include "gale/loop/log.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/mongo/error.hpp"

namespace gale::live {
namespace {

using nlohmann::json;

constexpr std::string_view kLog = "gale.live";

// The server does not have the history after the token (or cannot read the token): codes 260
// InvalidResumeToken, 280 ChangeStreamFatalError, 286 ChangeStreamHistoryLost.
bool history_lost(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const mongo::MongoError& e) {
    return e.code() == 260 || e.code() == 280 || e.code() == 286;
  } catch (...) {
    return false;
  }
}

std::optional<json> token_of(const std::string& position) {
  if (position.empty()) return std::nullopt;
  json token = json::parse(position, nullptr, false);
  if (token.is_discarded() || !token.is_object() || token.empty()) return std::nullopt;
  return token;
}

// An event in the feed's shape; nullopt for what ends a stream (drop, rename, invalidate, ...).
std::optional<json> change_of(const json& event) {
  const std::string op = event.value("operationType", "");
  if (op != "insert" && op != "update" && op != "replace" && op != "delete") return std::nullopt;
  json change = json::object();
  change["operationType"] = op;
  if (auto key = event.find("documentKey"); key != event.end()) change["documentKey"] = *key;
  auto doc = event.find("fullDocument");
  if (op != "delete" && doc != event.end() && !doc->is_null()) change["fullDocument"] = *doc;
  return change;
}

mongo::ChangeStreamOptions stream_options(const FeedOptions& o, std::optional<json> after) {
  mongo::ChangeStreamOptions s;
  s.full_document = "updateLookup";
  s.max_await_time = o.max_await_time;
  if (after) s.resume_after = std::move(*after);
  return s;
}

std::string position_now(const mongo::ChangeStream& stream) {
  auto token = stream.resume_token();
  return token ? token->dump() : std::string();
}

class MongoReplay final : public detail::ReplaySource {
 public:
  MongoReplay(std::optional<mongo::ChangeStream> stream, std::string lost)
      : stream_(std::move(stream)), lost_(std::move(lost)) {}

  Future<std::vector<Event>> next(std::size_t limit) override {
    std::vector<Event> events;
    if (!lost_.empty()) {
      events.push_back(detail::gap(std::exchange(lost_, {}), {}));
      stream_.reset();
    }
    while (stream_ && events.size() < limit) {
      auto event = co_await stream_->try_next();
      if (!event) break;
      Event e;
      e.position = event->at("_id").dump();
      auto change = change_of(*event);
      if (!change) {
        events.push_back(detail::gap("the change stream ended", {}));
        stream_.reset();
        break;
      }
      e.change = std::move(*change);
      events.push_back(std::move(e));
    }
    co_return events;
  }

 private:
  std::optional<mongo::ChangeStream> stream_;
  std::string lost_;  // why the replay cannot start (given once, as a gap)
};

class MongoFeed final : public detail::FeedSource {
 public:
  MongoFeed(mongo::Collection collection, FeedOptions options)
      : collection_(std::move(collection)), options_(std::move(options)) {}

  // Opens the stream from the position (or now); a lost position opens it from now and queues a
  // gap. Other errors are thrown.
  Future<void> open() {
    auto after = token_of(position_);
    if (!position_.empty() && !after) {
      co_await open_fresh("the position is not a resume token");
      co_return;
    }
    try {
      stream_ = co_await collection_.watch(options_.pipeline, stream_options(options_, after));
    } catch (...) {
      if (!history_lost(std::current_exception())) throw;
      stream_.reset();
    }
    if (!stream_) co_await open_fresh("the server no longer has the changes after the position");
  }

  Future<Event> next() override {
    if (pending_gap_) co_return take_gap();
    while (true) {
      if (closed_) detail::throw_closed();
      if (!stream_) {
        co_await reconnect();
        if (pending_gap_) co_return take_gap();
        continue;
      }
      std::optional<json> event;
      try {
        event = co_await stream_->next();
      } catch (...) {
        log::warning(kLog, "change stream on {} failed: {}", collection_.full_name(),
                     describe(std::current_exception()));
        stream_.reset();
        continue;
      }
      if (closed_) detail::throw_closed();
      if (!event) {  // the server closed the stream
        stream_.reset();
        co_await open_fresh("the change stream ended");
        co_return take_gap();
      }
      position_ = event->at("_id").dump();
      retry_ = options_.retry_delay;
      auto change = change_of(*event);
      if (!change) {  // a drop, rename or invalidate: this stream is over, watch again from now
        stream_->close();
        stream_.reset();
        co_await open_fresh("the change stream ended: " + event->value("operationType", "?"));
        co_return take_gap();
      }
      Event e;
      e.position = position_;
      e.change = std::move(*change);
      co_return e;
    }
  }

  Future<std::unique_ptr<detail::ReplaySource>> replay(std::string position) override {
    auto after = token_of(position);
    if (!after) {
      co_return std::make_unique<MongoReplay>(std::nullopt, "the position is not a resume token");
    }
    auto o = options_;
    o.max_await_time = std::chrono::milliseconds(100);  // a replay wants what is there, now
    try {
      auto stream = co_await collection_.watch(o.pipeline, stream_options(o, after));
      co_return std::make_unique<MongoReplay>(std::move(stream), std::string());
    } catch (...) {
      if (!history_lost(std::current_exception())) throw;
    }
    co_return std::make_unique<MongoReplay>(
        std::nullopt, "the server no longer has the changes after the position");
  }

  void close() noexcept override {
    closed_ = true;
    if (stream_) stream_->close();
  }

 private:
  Future<void> open_fresh(std::string reason) {
    stream_ = co_await collection_.watch(options_.pipeline, stream_options(options_, {}));
    position_ = position_now(*stream_);
    pending_gap_ = detail::gap(std::move(reason), position_);
  }

  Future<void> reconnect() {
    co_await sleep(detail::next_delay(retry_, options_.max_retry_delay));
    if (closed_) co_return;
    try {
      co_await open();
    } catch (...) {
      log::warning(kLog, "cannot watch {} again: {}", collection_.full_name(),
                   describe(std::current_exception()));
      stream_.reset();
    }
  }

  Event take_gap() {
    Event e = std::move(*pending_gap_);
    pending_gap_.reset();
    return e;
  }

  mongo::Collection collection_;
  FeedOptions options_;
  std::optional<mongo::ChangeStream> stream_;
  std::optional<Event> pending_gap_;
  std::chrono::milliseconds retry_ = options_.retry_delay;
};

Future<Feed> open_feed(mongo::Collection collection, FeedOptions options) {
  auto source = std::make_shared<MongoFeed>(std::move(collection), options);
  source->set_position(options.resume_after);
  co_await source->open();
  co_return Feed(std::move(source));
}

}  // namespace

// Not a coroutine itself: g++ 12 frees a braced argument of a coroutine twice.
Future<Feed> watch(mongo::Collection collection, FeedOptions options) {
  return open_feed(std::move(collection), std::move(options));
}

Future<Feed> watch(mongo::Collection collection) {
  return watch(std::move(collection), FeedOptions{});
}

}  // namespace gale::live
