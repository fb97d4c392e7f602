// Relay: one live Feed fanned out to many WebSockets and event streams, each of which can resume
// where it left off.
//
//   gale::live::Relay relay;                        // one per process, beside the database client
//   relay.start(co_await gale::live::watch(db["notes"]));
//   struct Live : gale::web::EventStreamHandler {   // GET /notes/live
//     gale::Future<void> open(std::string_view) override {
//       co_await relay.join(*this, last_event_id());
//     }
//   };
//
// Every member gets each event once, in order, as JSON:
//   {"type": "change", "position": "...", "data": <format(event.change)>}
//   {"type": "reload", "position": "...", "reason": "..."}   changes may be missing: reload state
//   {"type": "ready", "position": "..."}   first, to a member that joins from now: where now is
//                                          (resume from it; "" where the database gives none)
// An event stream gets the same text as the data of an event named by its type, with the
// position as its id, so that EventSource sends it back as Last-Event-ID when it reconnects.
//
// join(member, after) resumes after a position: from the relay's history of recent events when it
// has it, else from the database (Feed::replay) until the member catches up with the relay, then
// live; when neither can (the database no longer has it), the member gets a reload first. Either
// way it misses nothing and gets nothing twice. A member that cannot keep up is closed (see
// Broadcast).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gale/live/feed.hpp"
#include "gale/loop/future.hpp"

namespace gale::web {
class EventStreamHandler;
class WebSocketHandler;
}  // namespace gale::web

namespace gale::live {

struct RelayOptions {
  std::size_t history = 1000;                   // recent events kept for members that resume
  std::size_t history_bytes = 4 * 1024 * 1024;  // and at most this many bytes of them
};

class Relay {
 public:
  // What a change becomes in the messages' "data" (the change as it is, by default).
  using Format = std::function<nlohmann::json(const nlohmann::json& change)>;

  Relay();
  explicit Relay(RelayOptions options);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Reads `feed` and sends each event to every member, until stop(). Once, on the loop's thread.
  void start(Feed feed);
  void start(Feed feed, Format format);
  // Closes the feed; resolves once the relay's reader has ended (run the loop until then: at
  // shutdown, before the database client goes). Members stay open, and hear nothing more.
  Future<void> stop();

  // Adds an open WebSocket or event stream, after sending what followed `after` (a position it
  // was sent; nullopt or "": from now). Resolves once the member is live (or closed). Call it
  // from the handler's open(), which keeps the handler alive while it waits.
  Future<void> join(web::WebSocketHandler& socket, std::optional<std::string> after);
  Future<void> join(web::EventStreamHandler& stream, std::optional<std::string> after);

  // Started and not stopped.
  bool running() const noexcept;
  std::size_t members() const noexcept;
  // The position of the last event sent ("" before any).
  std::string position() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gale::live
