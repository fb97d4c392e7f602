#include "gale/live/relay.hpp"

#include <deque>
#include <unordered_map>
#include <variant>
#include <vector>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/loop/with_timeout.hpp"
#include "gale/web/broadcast.hpp"
#include "gale/web/event_stream.hpp"
#include "gale/web/websocket.hpp"

namespace gale::live {
namespace {

using nlohmann::json;

constexpr std::string_view kLog = "gale.live";
// Up to this many history events go out to a resuming member at once (queued, not awaited), in
// the same turn of the loop as it joins the broadcast; more are sent one by one, at its pace.
constexpr std::size_t kAtOnce = 64;
constexpr std::size_t kReplayBatch = 256;

// One event as members get it.
struct Entry {
  std::string position;
  std::string event;  // "change" or "reload"
  std::string text;
};

Entry reload_entry(const std::string& reason, const std::string& position) {
  json m = {{"type", "reload"}, {"position", position}, {"reason", reason}};
  return {position, "reload", m.dump()};
}

// A WebSocket or an event stream.
class Member {
 public:
  explicit Member(web::WebSocketHandler& s) : target_(&s) {}
  explicit Member(web::EventStreamHandler& s) : target_(&s) {}

  bool closed() const {
    return std::visit([](auto* t) { return t->closed(); }, target_);
  }
  Future<void> send(const Entry& e) {
    if (auto* ws = std::get_if<web::WebSocketHandler*>(&target_)) {
      return (*ws)->write_message(e.text, false);
    }
    return std::get<web::EventStreamHandler*>(target_)->send(e.text, e.event, e.position);
  }
  void add(web::Broadcast& b) {
    std::visit([&b](auto* t) { b.add(*t); }, target_);
  }

 private:
  std::variant<web::WebSocketHandler*, web::EventStreamHandler*> target_;
};

// Observes sends that were queued without waiting (a closed member fails them: nothing to do).
Future<void> settle(std::vector<Future<void>> sends) {
  for (auto& f : sends) {
    try {
      co_await std::move(f);
    } catch (...) {
    }
  }
}

}  // namespace

struct Relay::State {
  RelayOptions options;
  Format format;
  std::optional<Feed> feed;
  web::Broadcast members;
  std::deque<Entry> history;
  std::uint64_t first = 0;  // the sequence number of history.front()
  std::unordered_map<std::string, std::uint64_t> sequence_of;
  std::size_t bytes = 0;
  std::string start;     // the feed's position when the relay started: "before the first"
  bool evicted = false;  // history lost its first events (start no longer resumes from it)
  bool stopped = false;
  std::optional<Future<void>> reader;  // the pump, until stop() hands it out
  std::vector<Promise<void>> waiters;

  Entry entry_of(const Event& e) const {
    if (e.is_gap()) return reload_entry(e.reason, e.position);
    json data;
    try {
      data = format(e.change);
    } catch (const std::exception& x) {  // a document the format did not expect: sent as null
      log::error(kLog, "cannot format the change at {}: {}", e.position, x.what());
    }
    json m = {{"type", "change"}, {"position", e.position}, {"data", std::move(data)}};
    return {e.position, "change", m.dump()};
  }

  // The sequence number of the first event after `position`, if the history has it.
  std::optional<std::uint64_t> after(const std::string& position) const {
    if (position.empty()) return std::nullopt;
    if (position == start && !evicted) return first;
    auto it = sequence_of.find(position);
    if (it == sequence_of.end()) return std::nullopt;
    return it->second + 1;
  }
  std::uint64_t end() const { return first + history.size(); }
  std::string last_position() const { return history.empty() ? start : history.back().position; }

  void keep(Entry e) {
    bytes += e.text.size() + e.position.size();
    if (!e.position.empty()) sequence_of[e.position] = end();
    history.push_back(std::move(e));
    while (history.size() > options.history ||
           (bytes > options.history_bytes && history.size() > 1)) {
      const Entry& old = history.front();
      bytes -= old.text.size() + old.position.size();
      auto it = sequence_of.find(old.position);
      if (it != sequence_of.end() && it->second == first) sequence_of.erase(it);
      history.pop_front();
      ++first;
      evicted = true;
    }
  }

  void publish(const Event& e) {
    Entry entry = entry_of(e);
    members.send(entry.text, false, entry.event, entry.position);
    keep(std::move(entry));
    for (auto& w : std::exchange(waiters, {})) w.set_value();
  }

  // Resolves at the next event (or after `wait`, so a waiting member notices it closed).
  Future<void> changed(Clock::duration wait) {
    waiters.emplace_back();
    auto f = waiters.back().get_future();
    try {
      co_await with_timeout(wait, std::move(f));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::timeout) throw;
    }
  }
};

namespace {

Future<void> pump(std::shared_ptr<Relay::State> s) {
  while (!s->stopped) {
    Event e;
    bool failed = false;
    try {
      e = co_await s->feed->next();
    } catch (...) {
      if (s->stopped) break;
      log::error(kLog, "the live feed failed: {}", describe(std::current_exception()));
      failed = true;
    }
    if (failed) {
      co_await sleep(std::chrono::seconds(1));
      continue;
    }
    if (e.is_gap()) log::warning(kLog, "live feed gap: {}", e.reason);
    s->publish(e);
  }
}

// Sends the history after sequence number `from`, the last kAtOnce of it queued at once with the
// join, the rest awaited; false when the history moved past what is left to send (go on from the
// database).
Future<bool> from_history(std::shared_ptr<Relay::State> s, Member m, std::uint64_t from,
                          std::string& last) {
  while (s->end() - from > kAtOnce) {
    if (from < s->first) co_return false;
    Entry e = s->history[from - s->first];
    co_await m.send(e);
    last = e.position;
    ++from;
    if (m.closed()) co_return true;
    auto next = s->after(last);
    if (!next) co_return false;
    from = *next;
  }
  std::vector<Future<void>> sends;
  for (std::uint64_t i = from; i < s->end(); ++i) sends.push_back(m.send(s->history[i - s->first]));
  m.add(s->members);
  settle(std::move(sends));
  co_return true;
}

Future<void> join_member(std::shared_ptr<Relay::State> s, Member m,
                         std::optional<std::string> after) {
  if (!after || after->empty()) {  // from now: told where now is, so it can resume from there
    json ready = {{"type", "ready"}, {"position", s->last_position()}};
    std::vector<Future<void>> sends;
    sends.push_back(m.send({s->last_position(), "ready", ready.dump()}));
    m.add(s->members);
    settle(std::move(sends));
    co_return;
  }
  std::string last = *after;
  std::optional<Replay> replay;
  auto reload = [&](const std::string& reason) -> Future<void> {
    log::info(kLog, "a member cannot resume after {}: {}", last, reason);
    std::vector<Future<void>> sends;
    sends.push_back(m.send(reload_entry(reason, s->last_position())));
    m.add(s->members);
    return settle(std::move(sends));
  };
  while (!m.closed() && !s->stopped) {
    if (auto from = s->after(last)) {
      const bool live = co_await from_history(s, m, *from, last);
      if (live) co_return;
      continue;
    }
    std::vector<Event> batch;
    std::string failure;
    try {
      if (!replay) {
        auto opened = co_await s->feed->replay(last);
        replay.emplace(std::move(opened));
      }
      batch = co_await replay->next(kReplayBatch);
    } catch (...) {
      failure = describe(std::current_exception());
    }
    if (!failure.empty()) {
      co_await reload("cannot read the changes: " + failure);
      co_return;
    }
    if (batch.empty()) co_await s->changed(std::chrono::seconds(1));
    for (const Event& e : batch) {
      if (e.is_gap()) {
        co_await reload(e.reason);
        co_return;
      }
      co_await m.send(s->entry_of(e));
      last = e.position;
      if (m.closed() || s->after(last)) break;
    }
  }
}

}  // namespace

Relay::Relay() : Relay(RelayOptions{}) {}

Relay::Relay(RelayOptions options) : state_(std::make_shared<State>()) {
  state_->options = options;
}

Relay::~Relay() {
  state_->stopped = true;
  if (state_->feed) state_->feed->close();
}

void Relay::start(Feed feed) {
  start(std::move(feed), [](const json& change) { return change; });
}

void Relay::start(Feed feed, Format format) {
  if (state_->feed) throw Error(ErrorKind::internal, "the relay has started already");
  state_->format = std::move(format);
  state_->start = feed.position();
  state_->feed.emplace(std::move(feed));
  state_->reader.emplace(pump(state_));
}

Future<void> Relay::stop() {
  state_->stopped = true;
  if (state_->feed) state_->feed->close();
  for (auto& w : std::exchange(state_->waiters, {})) w.set_value();
  if (!state_->reader) return make_ready_future();
  Future<void> reader = std::move(*state_->reader);
  state_->reader.reset();
  return reader;
}

Future<void> Relay::join(web::WebSocketHandler& socket, std::optional<std::string> after) {
  if (!state_->feed) throw Error(ErrorKind::unavailable, "the relay has not started");
  return join_member(state_, Member(socket), std::move(after));
}

Future<void> Relay::join(web::EventStreamHandler& stream, std::optional<std::string> after) {
  if (!state_->feed) throw Error(ErrorKind::unavailable, "the relay has not started");
  return join_member(state_, Member(stream), std::move(after));
}

bool Relay::running() const noexcept {
  return state_->feed && !state_->stopped;
}

std::size_t Relay::members() const noexcept {
  return state_->members.size();
}

std::string Relay::position() const {
  return state_->last_position();
}

}  // namespace gale::live
