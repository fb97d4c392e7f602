// What a database gives a Feed: its events, and replays. One implementation per database.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gale/live/event.hpp"
#include "gale/loop/future.hpp"

namespace gale::live::detail {

class ReplaySource {
 public:
  virtual ~ReplaySource() = default;
  virtual Future<std::vector<Event>> next(std::size_t limit) = 0;
};

class FeedSource {
 public:
  virtual ~FeedSource() = default;
  // The next event; Error(unavailable) once closed.
  virtual Future<Event> next() = 0;
  virtual Future<std::unique_ptr<ReplaySource>> replay(std::string position) = 0;
  virtual void close() noexcept = 0;

  const std::string& position() const noexcept { return position_; }
  void set_position(std::string position) { position_ = std::move(position); }
  bool closed() const noexcept { return closed_; }

 protected:
  std::string position_;
  bool closed_ = false;
};

// An Error(unavailable) "the feed is closed".
[[noreturn]] void throw_closed();
// A gap event.
Event gap(std::string reason, std::string position);
// The delay before the next reconnect: doubles `delay` up to `max`, returning the old value.
std::chrono::milliseconds next_delay(std::chrono::milliseconds& delay,
                                     std::chrono::milliseconds max);

}  // namespace gale::live::detail
