// Broadcast: one message to many WebSockets and event streams, serialized and framed once and
// shared by every receiver (no copy of the payload per receiver), as a chat room or a live feed
// needs. A member leaves by itself when it closes; a member that cannot keep up (its queue beyond
// websocket_max_queued_bytes) is closed, never waited for.
//
//   gale::web::Broadcast room;
//   struct Member : gale::web::WebSocketHandler {
//     gale::Future<void> open(std::string_view) override { room.add(*this); return {}; }
//   };
//   room.send(R"({"text": "hi"})");          // every member, one frame
//
// Event streams get each message as an event with the broadcast's sequence number as its id.
// Use a Broadcast from its loop's thread only.
#pragma once

#include <nlohmann/json.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace gale::web {

class EventStreamHandler;
class WebSocketHandler;

namespace detail {
class Receiver;
}

class Broadcast {
 public:
  Broadcast() = default;
  ~Broadcast();
  Broadcast(const Broadcast&) = delete;
  Broadcast& operator=(const Broadcast&) = delete;

  // Adds an open WebSocket or event stream (false if it is closed already, or a member).
  bool add(WebSocketHandler& socket);
  bool add(EventStreamHandler& stream);
  void remove(WebSocketHandler& socket);
  void remove(EventStreamHandler& stream);

  // Sends one message to every member; returns how many it was queued for. `event`: the event
  // type event streams see (empty: "message").
  std::size_t send(std::string_view message);
  std::size_t send(std::string_view message, bool binary);
  std::size_t send(std::string_view message, bool binary, std::string_view event);
  // The same with the id event streams see given (a live feed's position, say; no line breaks)
  // instead of the broadcast's sequence number.
  std::size_t send(std::string_view message, bool binary, std::string_view event,
                   std::string_view id);
  template <class J>  // a JSON value, serialized once (a template: a string literal means text)
  requires std::same_as<J, nlohmann::json> std::size_t send(const J& value) {
    return send(value.dump(), false, {});
  }

  std::size_t size() const noexcept { return members_.size(); }
  // The sequence number of the last message sent (event streams' event ids).
  std::uint64_t last_id() const noexcept { return sequence_; }

 private:
  friend class detail::Receiver;
  bool add_receiver(detail::Receiver* r);
  void remove_receiver(detail::Receiver* r) noexcept;

  std::vector<detail::Receiver*> members_;
  std::uint64_t sequence_ = 0;
};

}  // namespace gale::web
