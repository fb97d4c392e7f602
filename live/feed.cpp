#include "gale/live/feed.hpp"

#include <algorithm>

#include "gale/live/detail/feed_source.hpp"
#include "gale/loop/error.hpp"

namespace gale::live {
namespace detail {

void throw_closed() {
  throw Error(ErrorKind::unavailable, "the live feed is closed");
}

Event gap(std::string reason, std::string position) {
  Event e;
  e.kind = Event::Kind::gap;
  e.reason = std::move(reason);
  e.position = std::move(position);
  return e;
}

std::chrono::milliseconds next_delay(std::chrono::milliseconds& delay,
                                     std::chrono::milliseconds max) {
  auto now = delay;
  delay = std::min(delay * 2, max);
  return now;
}

}  // namespace detail

Replay::Replay(std::unique_ptr<detail::ReplaySource> source) noexcept
    : source_(std::move(source)) {}
Replay::Replay(Replay&&) noexcept = default;
Replay& Replay::operator=(Replay&&) noexcept = default;
Replay::~Replay() = default;

Future<std::vector<Event>> Replay::next(std::size_t limit) {
  return source_->next(std::max<std::size_t>(limit, 1));
}

Feed::Feed(std::shared_ptr<detail::FeedSource> source) noexcept : source_(std::move(source)) {}
Feed::Feed(Feed&&) noexcept = default;
Feed& Feed::operator=(Feed&& other) noexcept {
  if (this != &other) {
    close();
    source_ = std::move(other.source_);
  }
  return *this;
}
Feed::~Feed() {
  close();
}

Future<Event> Feed::next() {
  auto source = source_;  // alive while next() waits, whatever happens to the Feed
  if (!source || source->closed()) detail::throw_closed();
  co_return co_await source->next();
}

const std::string& Feed::position() const noexcept {
  static const std::string none;
  return source_ ? source_->position() : none;
}

namespace {
Future<Replay> open_replay(std::shared_ptr<detail::FeedSource> source, std::string position) {
  if (!source || source->closed()) detail::throw_closed();
  auto replay = co_await source->replay(std::move(position));
  co_return Replay(std::move(replay));
}
}  // namespace

Future<Replay> Feed::replay(std::string position) {
  return open_replay(source_, std::move(position));  // the source lives while the replay opens
}

void Feed::close() noexcept {
  if (source_) source_->close();
}

bool Feed::closed() const noexcept {
  return !source_ || source_->closed();
}

}  // namespace gale::live
