// Feed: the changes of a MongoDB collection (a change stream) or a PostgreSQL table (its change
// log, woken by LISTEN) as one resumable sequence of gale::live::Event, so that the same code
// serves either database.
//
//   auto feed = co_await gale::live::watch(db["notes"]);           // MongoDB
//   auto feed = co_await gale::live::watch(pg, "notes");           // PostgreSQL (change_log.hpp)
//   while (true) {
//     gale::live::Event e = co_await feed.next();   // waits for the next change
//     if (e.is_gap()) { reload(); continue; }       // changes may be missing here
//     apply(e.change);
//     save(e.position);                             // resume_after it later: nothing is missed
//   }
//
// The feed outlives its database's failures: on an error it reconnects (with backoff) and resumes
// after the last event it gave; when it cannot (the database no longer keeps that point), it starts
// again from now and gives a gap event first. watch() itself fails (typed) when the feed cannot
// work at all: a MongoDB server without change streams, a table without a change log.
//
// replay(position) reads what the database still has after a position, in order, for a client that
// was away: the way a server fans one feed out to many clients and lets each resume (see Relay).
//
// Use a Feed from one coroutine at a time; close() (or dropping it) ends a pending next() with
// Error(unavailable) and frees the change stream or the listening connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gale/live/event.hpp"
#include "gale/live/feed_options.hpp"
#include "gale/loop/future.hpp"

namespace gale::live {

namespace detail {
class FeedSource;
class ReplaySource;
}  // namespace detail

// A finite read of the events after a position.
class Replay {
 public:
  explicit Replay(std::unique_ptr<detail::ReplaySource> source) noexcept;
  Replay(Replay&&) noexcept;
  Replay& operator=(Replay&&) noexcept;
  ~Replay();

  // The next events in order, at most `limit`; empty once caught up with the present (a later
  // call may give more). A gap event means the database no longer has what followed the position:
  // the replay is over then (later calls give nothing).
  Future<std::vector<Event>> next(std::size_t limit);

 private:
  std::unique_ptr<detail::ReplaySource> source_;
};

class Feed {
 public:
  explicit Feed(std::shared_ptr<detail::FeedSource> source) noexcept;
  Feed(Feed&&) noexcept;
  Feed& operator=(Feed&&) noexcept;
  ~Feed();

  // The next change or gap, waiting for it. Error(unavailable) once closed.
  Future<Event> next();
  // The position of the last event next() gave ("" before any, unless resumed).
  const std::string& position() const noexcept;
  // A replay of the events after `position`, on a cursor of its own.
  Future<Replay> replay(std::string position);
  void close() noexcept;
  bool closed() const noexcept;

 private:
  std::shared_ptr<detail::FeedSource> source_;
};

}  // namespace gale::live
