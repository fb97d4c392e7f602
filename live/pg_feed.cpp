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
using namespace std::chrono_literals;

constexpr std::string_view kLog = "gale.live";
constexpr std::size_t kBatch = 256;
// How often the feed looks again while committed changes wait behind a running writer (which may
// end without a NOTIFY: it wrote nothing to this log).
constexpr auto kHeldBackPoll = 20ms;

// A place in the log's order: the writing transaction's id, then the change's sequence number.
// As text "xid:seq", both decimal.
struct Place {
  std::uint64_t xid = 0;
  std::int64_t seq = 0;

  std::string text() const { return std::to_string(xid) + ":" + std::to_string(seq); }
  std::string xid_text() const { return std::to_string(xid); }
  friend bool operator<(const Place& a, const Place& b) {
    return a.xid != b.xid ? a.xid < b.xid : a.seq < b.seq;
  }
};

template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::optional<Place> place_of(std::string_view text) {
  auto colon = text.find(':');
  Place p;
  if (colon == std::string_view::npos || !parse_number(text.substr(0, colon), p.xid) ||
      !parse_number(text.substr(colon + 1), p.seq) || p.seq < 0) {
    return std::nullopt;
  }
  return p;
}

// The log's statements, over one pool.
class Log {
 public:
  Log(pg::Client& pg, const std::string& table) : pg_(pg), table_(table) {
    const std::string log = change_log_name(table), pruned = log + "_pruned";
    // One snapshot for the changes and the pruned prefix's end, so that "nothing was dropped
    // after `last`" holds for exactly the changes read.
    after_ =
        "SELECT (p.xid, p.seq) > ($1::xid8, $2::bigint), p.xid::text, p.seq, l.xid::text,"
        " l.seq, l.op, l.key::text, l.doc::text FROM " +
        pruned +
        " p LEFT JOIN LATERAL"
        " (SELECT xid, seq, op, key, doc FROM " +
        log +
        " WHERE (xid, seq) > ($1::xid8, $2::bigint)"
        " AND xid < pg_snapshot_xmin(pg_current_snapshot())"
        " ORDER BY xid, seq LIMIT $3) l ON true ORDER BY l.xid, l.seq";
    newest_ = "SELECT coalesce((SELECT xid::text || ':' || seq FROM " + log +
              " WHERE xid < pg_snapshot_xmin(pg_current_snapshot())"
              " ORDER BY xid DESC, seq DESC LIMIT 1), (SELECT xid::text || ':' || seq FROM " +
              pruned + "))";
    has_ = "SELECT EXISTS (SELECT 1 FROM " + log +
           " WHERE xid = $1::xid8 AND seq = $2::bigint)"
           " OR EXISTS (SELECT 1 FROM " +
           pruned + " WHERE xid = $1::xid8 AND seq = $2::bigint)";
    held_ = "SELECT EXISTS (SELECT 1 FROM " + log + " WHERE (xid, seq) > ($1::xid8, $2::bigint))";
  }

  // The changes after `last` that every reader can take now (their writers and every older one
  // are done), in order; `last` moves to the last one. When the log dropped changes after `last`,
  // a gap first (and `last` moves to where the log goes on).
  Future<std::vector<Event>> after(Place& last, std::size_t limit) {
    auto rows =
        co_await pg_.query(after_, last.xid_text(), last.seq, static_cast<std::int64_t>(limit));
    std::vector<Event> events;
    for (const auto& row : rows) {
      if (events.empty() && row[std::size_t{0}].as<bool>()) {
        Place end = place_at(row, 1);
        events.push_back(detail::gap(
            "the change log dropped changes after " + last.text() + " (it keeps the newest only)",
            end.text()));
        last = end;
      }
      if (row[std::size_t{3}].is_null()) break;  // no change, only the pruned end
      Place p = place_at(row, 3);
      if (!(last < p)) continue;  // at or before the end of a gap's pruned prefix
      Event e;
      e.position = p.text();
      e.change = json::object();
      e.change["operationType"] = row[std::size_t{5}].as<std::string>();
      e.change["documentKey"] = json::parse(row[std::size_t{6}].as<std::string_view>());
      if (!row[std::size_t{7}].is_null()) {
        e.change["fullDocument"] = json::parse(row[std::size_t{7}].as<std::string_view>());
      }
      events.push_back(std::move(e));
      last = p;
    }
    co_return events;
  }

  // The newest change every reader can take now, or where the pruned prefix ends when there is
  // none; Error(invalid_argument) when the table has no change log.
  Future<Place> newest() {
    std::string text;
    try {
      text = co_await pg_.query_value<std::string>(newest_);
    } catch (const pg::PgError& e) {
      if (e.sqlstate() != "42P01") throw;  // undefined_table
      text.clear();
    }
    auto p = place_of(text);
    if (!p) {
      throw Error(ErrorKind::invalid_argument,
                  "table '" + table_ + "' has no change log: call gale::live::install_change_log");
    }
    co_return *p;
  }

  // Whether the log has everything after `p`: `p` is a change it keeps, or where its pruned
  // prefix ends.
  Future<bool> has(const Place& p) { return pg_.query_value<bool>(has_, p.xid_text(), p.seq); }

  // Whether committed changes after `last` wait behind a running writer.
  Future<bool> held_back(const Place& last) {
    return pg_.query_value<bool>(held_, last.xid_text(), last.seq);
  }

 private:
  static Place place_at(const pg::Row& row, std::size_t column) {
    Place p;
    parse_number(row[column].as<std::string_view>(), p.xid);
    p.seq = row[column + 1].as<std::int64_t>();
    return p;
  }

  pg::Client& pg_;
  std::string table_;
  std::string after_, newest_, has_, held_;
};

// Where a reader resumes after `position`: the place, or nullopt when the log no longer has (or
// never had) that change.
Future<std::optional<Place>> resume_place(Log& log, const std::string& position) {
  auto p = place_of(position);
  if (!p) co_return std::nullopt;  // (no co_await inside || : g++ 12 evaluates it regardless)
  const bool kept = co_await log.has(*p);
  if (!kept) co_return std::nullopt;
  co_return p;
}

constexpr std::string_view kLost = "the change log no longer has (or never had) that position";

class PgReplay final : public detail::ReplaySource {
 public:
  PgReplay(pg::Client& pg, const std::string& table, Place last, bool lost)
      : log_(pg, table), last_(last), lost_(lost) {}

  Future<std::vector<Event>> next(std::size_t limit) override {
    if (over_) co_return std::vector<Event>{};
    if (lost_) {
      over_ = true;
      co_return std::vector<Event>{detail::gap(std::string(kLost), {})};
    }
    auto events = co_await log_.after(last_, limit);
    if (!events.empty() && events.front().is_gap()) {
      over_ = true;
      events.resize(1);
    }
    co_return events;
  }

 private:
  Log log_;
  Place last_;
  bool lost_;
  bool over_ = false;
};

class PgFeed final : public detail::FeedSource {
 public:
  PgFeed(pg::Client& pg, std::string table, FeedOptions options)
      : pg_(pg), table_(std::move(table)), log_(pg_, table_), options_(std::move(options)) {}

  Future<void> open() {
    auto listener = co_await pg_.listen(change_log_name(table_));  // first: nothing slips by
    listener_.emplace(std::move(listener));
    last_ = co_await log_.newest();
    position_ = last_.text();
    if (options_.resume_after.empty()) co_return;
    if (auto p = co_await resume_place(log_, options_.resume_after)) {
      last_ = *p;
      position_ = p->text();
    } else {
      buffer_.push_back(detail::gap(std::string(kLost), position_));
    }
  }

  Future<Event> next() override {
    auto delay = options_.retry_delay;
    while (true) {
      if (closed_) detail::throw_closed();
      if (!buffer_.empty()) co_return take();
      bool failed = false, held = false;
      try {
        auto events = co_await log_.after(last_, kBatch);
        for (auto& e : events) buffer_.push_back(std::move(e));
        if (buffer_.empty()) held = co_await log_.held_back(last_);
        delay = options_.retry_delay;
      } catch (...) {
        log::warning(kLog, "cannot read the change log of {}: {}", table_,
                     describe(std::current_exception()));
        failed = true;
      }
      if (failed) {
        co_await sleep(detail::next_delay(delay, options_.max_retry_delay));
      } else if (buffer_.empty()) {
        co_await wake_up(held);
      }
    }
  }

  Future<std::unique_ptr<detail::ReplaySource>> replay(std::string position) override {
    auto p = co_await resume_place(log_, position);
    co_return std::make_unique<PgReplay>(pg_, table_, p.value_or(Place{}), !p);
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

  // Waits for a NOTIFY (or a listener's gap marker: look again), at most the poll interval; while
  // changes are held back behind a running writer, at most kHeldBackPoll.
  Future<void> wake_up(bool held) {
    Clock::duration wait = options_.poll_interval;
    if (held) wait = std::min<Clock::duration>(wait, kHeldBackPoll);
    try {
      co_await listener_->next(std::max<Clock::duration>(wait, std::chrono::milliseconds(1)));
    } catch (const Error& e) {
      if (closed_) detail::throw_closed();
      if (e.kind() != ErrorKind::timeout) throw;
    }
  }

  pg::Client& pg_;
  std::string table_;
  Log log_;
  FeedOptions options_;
  std::optional<pg::Listener> listener_;
  std::deque<Event> buffer_;
  Place last_;
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
