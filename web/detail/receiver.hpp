// What a Broadcast sends to: a WebSocket or an event stream, which takes a message framed once
// for all of its receivers (SharedFrames) without copying it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gale::web {
class Broadcast;
}

namespace gale::web::detail {

// One message of a broadcast, in each form its receivers need, each made once on first use and
// shared: a WebSocket frame, the same compressed (permessage-deflate without context takeover,
// which suits every receiver that negotiated the extension), and an event stream's event.
struct SharedFrames {
  std::string message;
  bool binary = false;
  std::string event;     // an event stream's event name (empty: "message")
  std::uint64_t id = 0;  // an event stream's event id: the broadcast's sequence number,
  std::string id_text;   // unless this one is given
  std::shared_ptr<const std::string> plain;
  std::shared_ptr<const std::string> deflated;
  std::shared_ptr<const std::string> sse;

  const std::shared_ptr<const std::string>& websocket_frame(bool compressed);
  const std::shared_ptr<const std::string>& event_stream_bytes();
};

class Receiver {
 public:
  virtual void receive(SharedFrames& frames) = 0;

  // The broadcasts it is in (it leaves them when it closes): most sockets are in one, which
  // costs no allocation.
  bool in(const Broadcast* b) const noexcept;
  void joined(Broadcast* b);
  void left(const Broadcast* b) noexcept;

 protected:
  Receiver() = default;
  ~Receiver();
  void leave_broadcasts() noexcept;

 private:
  Broadcast* first_ = nullptr;
  std::unique_ptr<std::vector<Broadcast*>> more_;
};

}  // namespace gale::web::detail
