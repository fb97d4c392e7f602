#include "gale/live/pg_feed.hpp"

#include <charconv>
#include <deque>
#include <optional>

#include "gale/live/change_log.hpp"
#include "gale/live/detail/feed_source.hpp"
#include "gale/loop/log.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/pg/error.hpp"

namespace gale::live {
namespace {

using nlohmann::json;

constexpr std::string_view kLog = "gale.live";
constexpr std::size_t kBatch = 256;

std::optional<std::int64_t> number_of(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) return std::nullopt;
  return n;
}

// Reads the log after a position: the rows in order, and a gap where the log skips (the changes
// there were pruned).
class LogReader {
 public:
  LogReader(pg::Client& pg, const std::string& log)
      : pg_(pg),
        select_("SELECT position, op, key::text, doc::text FROM " + log +
                " WHERE position > $1 ORDER BY position LIMIT $2") {}

  Future<std::vector<Event>> after(std::int64_t& last, std::size_t limit) {
    auto rows = co_await pg_.query(select_, last, static_cast<std::int64_t>(limit));
    std::vector<Event> events;
    for (const auto& row : rows) {
      auto position = row[std::size_t{0}].as<std::int64_t>();
      if (position != last + 1) {
        events.push_back(
            detail::gap("the change log no longer has the changes after " + std::to_string(last),
                        std::to_string(position - 1)));
      }
      Event e;
      e.position = std::to_string(position);
      e.change = json::object();
      e.change["operationType"] = row[std::size_t{1}].as<std::string>();
      e.change["documentKey"] = json::parse(row[std::size_t{2}].as<std::string_view>());
      if (!row[std::size_t{3}].is_null()) {
        e.change["fullDocument"] = json::parse(row[std::size_t{3}].as<std::string_view>());
      }
      events.push_back(std::move(e));
      last = position;
    }
    co_return events;
  }

 private:
  pg::Client& pg_;
  std::string select_;
};

// The newest position of the log; Error(invalid_argument) when there is no log.
Future<std::int64_t> newest(pg::Client& pg, const std::string& table) {
  const std::string log = change_log_name(table);
  try {
    co_return co_await pg.query_value<std::int64_t>("SELECT coalesce(max(position), 0) FROM " +
                                                    log);
  } catch (const pg::PgError& e) {
    if (e.sqlstate() != "42P01") throw;  // undefined_table
  }
  throw Error(ErrorKind::invalid_argument,
              "table '" + table + "' has no change log: call gale::live::install_change_log");
}

// Where to start after `position` in a log whose newest is `head`: the position, or nullopt
// when it is not one this log gave.
std::optional<std::int64_t> start_after(const std::string& position, std::int64_t head) {
  auto p = number_of(position);
  if (!p || *p > head) return std::nullopt;
  return p;
}

class PgReplay final : public detail::ReplaySource {
 public:
  PgReplay(pg::Client& pg, const std::string& table, std::int64_t last, std::string lost)
      : reader_(pg, change_log_name(table)), last_(last), lost_(std::move(lost)) {}

  Future<std::vector<Event>> next(std::size_t limit) override {
    if (over_) co_return std::vector<Event>{};
    if (!lost_.empty()) {
      over_ = true;
      co_return std::vector<Event>{detail::gap(std::move(lost_), {})};
    }
    auto events = co_await reader_.after(last_, limit);
    if (!events.empty() && events.front().is_gap()) {
      over_ = true;
      events.resize(1);
    }
    co_return events;
  }

 private:
  LogReader reader_;
  std::int64_t last_;
  std::string lost_;
  bool over_ = false;
};

class PgFeed final : public detail::FeedSource {
 public:
  PgFeed(pg::Client& pg, std::string table, FeedOptions options)
      : pg_(pg),
        table_(std::move(table)),
        reader_(pg, change_log_name(table_)),
        options_(std::move(options)) {}

  Future<void> open() {
    auto listener = co_await pg_.listen(change_log_name(table_));  // first: nothing slips by
    listener_.emplace(std::move(listener));
    const std::int64_t head = co_await newest(pg_, table_);
    last_ = head;
    if (!options_.resume_after.empty()) {
      if (auto p = start_after(options_.resume_after, head)) {
        last_ = *p;
      } else {
        buffer_.push_back(
            detail::gap("the change log never had that position", std::to_string(head)));
      }
    }
    position_ = std::to_string(last_);
  }

  Future<Event> next() override {
    auto delay = options_.retry_delay;
    while (true) {
      if (closed_) detail::throw_closed();
      if (!buffer_.empty()) co_return take();
      bool failed = false;
      try {
        auto events = co_await reader_.after(last_, kBatch);
        for (auto& e : events) buffer_.push_back(std::move(e));
        delay = options_.retry_delay;
      } catch (...) {
        log::warning(kLog, "cannot read the change log of {}: {}", table_,
                     describe(std::current_exception()));
        failed = true;
      }
      if (failed) {
        co_await sleep(detail::next_delay(delay, options_.max_retry_delay));
        continue;
      }
      if (buffer_.empty()) co_await wake_up();
    }
  }

  Future<std::unique_ptr<detail::ReplaySource>> replay(std::string position) override {
    const std::int64_t head = co_await newest(pg_, table_);
    auto p = start_after(position, head);
    std::string lost = p ? "" : "the change log never had that position";
    co_return std::make_unique<PgReplay>(pg_, table_, p.value_or(head), std::move(lost));
  }

  void close() noexcept override {
    closed_ = true;
    if (listener_) listener_->close();
  }

 private:
  Event take() {
    Event e = std::move(buffer_.front());
    buffer_.pop_front();
    if (!e.position.empty()) position_ = e.position;
    return e;
  }

  // Waits for a NOTIFY of a position past the last read (or a listener's gap marker: look again).
  Future<void> wake_up() {
    while (true) {
      pg::Notification n;
      try {
        n = co_await listener_->next();
      } catch (...) {
        if (closed_) detail::throw_closed();
        throw;
      }
      auto p = number_of(n.payload);
      if (n.gap || !p || *p > last_) co_return;
    }
  }

  pg::Client& pg_;
  std::string table_;
  LogReader reader_;
  FeedOptions options_;
  std::optional<pg::Listener> listener_;
  std::deque<Event> buffer_;
  std::int64_t last_ = 0;
};

Future<Feed> open_feed(pg::Client& pg, std::string table, FeedOptions options) {
  auto source = std::make_shared<PgFeed>(pg, std::move(table), std::move(options));
  co_await source->open();
  co_return Feed(std::move(source));
}

}  // namespace

// Not a coroutine itself: g++ 12 frees a braced argument of a coroutine twice.
Future<Feed> watch(pg::Client& pg, std::string table, FeedOptions options) {
  return open_feed(pg, std::move(table), std::move(options));
}

Future<Feed> watch(pg::Client& pg, std::string table) {
  return watch(pg, std::move(table), FeedOptions{});
}

}  // namespace gale::live
