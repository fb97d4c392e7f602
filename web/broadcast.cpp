#include "gale/web/broadcast.hpp"

#include <algorithm>

#include "gale/loop/error.hpp"

#include "gale/web/detail/event_stream_session.hpp"
#include "gale/web/detail/receiver.hpp"
#include "gale/web/detail/websocket_deflate.hpp"
#include "gale/web/detail/websocket_frame.hpp"
#include "gale/web/detail/websocket_session.hpp"
#include "gale/web/event_stream.hpp"
#include "gale/web/websocket.hpp"

namespace gale::web {
namespace detail {

const std::shared_ptr<const std::string>& SharedFrames::websocket_frame(bool compressed) {
  auto& slot = compressed ? deflated : plain;
  if (slot) return slot;
  const auto opcode = binary ? ws::Opcode::binary : ws::Opcode::text;
  auto frame = std::make_shared<std::string>();
  if (compressed) {
    std::string body;
    ws::Deflater(15, false).compress(message, body);
    ws::append_header(*frame, opcode, true, true, body.size());
    frame->append(body);
  } else {
    frame->reserve(ws::header_size(message.size(), false) + message.size());
    ws::append_header(*frame, opcode, true, false, message.size());
    frame->append(message);
  }
  slot = std::move(frame);
  return slot;
}

const std::shared_ptr<const std::string>& SharedFrames::event_stream_bytes() {
  if (!sse) {
    sse = std::make_shared<std::string>(
        event_bytes(message, event, id_text.empty() ? std::to_string(id) : id_text));
  }
  return sse;
}

Receiver::~Receiver() {
  leave_broadcasts();
}

bool Receiver::in(const Broadcast* b) const noexcept {
  return first_ == b || (more_ && std::find(more_->begin(), more_->end(), b) != more_->end());
}

void Receiver::joined(Broadcast* b) {
  if (first_ == nullptr) {
    first_ = b;
    return;
  }
  if (!more_) more_ = std::make_unique<std::vector<Broadcast*>>();
  more_->push_back(b);
}

void Receiver::left(const Broadcast* b) noexcept {
  if (first_ == b) {
    first_ = nullptr;
    if (more_ && !more_->empty()) {
      first_ = more_->back();
      more_->pop_back();
    }
  } else if (more_) {
    std::erase(*more_, b);
  }
  if (more_ && more_->empty()) more_.reset();
}

void Receiver::leave_broadcasts() noexcept {
  while (first_ != nullptr) first_->remove_receiver(this);  // which calls left()
}

}  // namespace detail

Broadcast::~Broadcast() {
  for (detail::Receiver* r : members_) r->left(this);
}

bool Broadcast::add_receiver(detail::Receiver* r) {
  if (r == nullptr || r->in(this)) return false;
  members_.push_back(r);
  r->joined(this);
  return true;
}

void Broadcast::remove_receiver(detail::Receiver* r) noexcept {
  r->left(this);
  auto it = std::find(members_.begin(), members_.end(), r);
  if (it == members_.end()) return;
  *it = members_.back();  // order does not matter: swap and pop
  members_.pop_back();
}

bool Broadcast::add(WebSocketHandler& socket) {
  auto s = socket.session_.lock();
  return s && !s->closed() && add_receiver(s.get());
}

bool Broadcast::add(EventStreamHandler& stream) {
  auto s = stream.session_.lock();
  return s && !s->closed() && add_receiver(s.get());
}

void Broadcast::remove(WebSocketHandler& socket) {
  if (auto s = socket.session_.lock()) remove_receiver(s.get());
}

void Broadcast::remove(EventStreamHandler& stream) {
  if (auto s = stream.session_.lock()) remove_receiver(s.get());
}

std::size_t Broadcast::send(std::string_view message) {
  return send(message, false, {});
}

std::size_t Broadcast::send(std::string_view message, bool binary) {
  return send(message, binary, {});
}

std::size_t Broadcast::send(std::string_view message, bool binary, std::string_view event) {
  return send(message, binary, event, {});
}

std::size_t Broadcast::send(std::string_view message, bool binary, std::string_view event,
                            std::string_view id) {
  if (id.find_first_of("\r\n") != std::string_view::npos) {
    throw Error(ErrorKind::invalid_argument, "an event's id cannot hold a line break");
  }
  detail::SharedFrames frames;
  frames.id_text = std::string(id);
  frames.message = std::string(message);
  frames.binary = binary;
  frames.event = std::string(event);
  frames.id = ++sequence_;
  // A receiver may close (and leave) while it takes the message: walk a copy.
  std::vector<detail::Receiver*> now = members_;
  for (detail::Receiver* r : now) r->receive(frames);
  return now.size();
}

}  // namespace gale::web
