// EventStreamHandler and its session: the head, events, keep-alive comments, the bound.
#include "gale/web/event_stream.hpp"

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/endpoint.hpp"
#include "gale/web/detail/event_stream_session.hpp"
#include "gale/web/detail/response_sink.hpp"
#include "gale/web/metrics.hpp"
#include "gale/web/settings.hpp"

namespace gale::web {
namespace detail {

std::string event_bytes(std::string_view data, std::string_view event, std::string_view id) {
  std::string out;
  out.reserve(data.size() + event.size() + id.size() + 32);
  if (!event.empty()) out.append("event: ").append(event).append("\n");
  if (!id.empty()) out.append("id: ").append(id).append("\n");
  // Each line of the data is a data: line (a CR LF, a CR or a LF ends a line).
  std::size_t start = 0;
  for (std::size_t i = 0; i <= data.size(); ++i) {
    if (i == data.size() || data[i] == '\n' || data[i] == '\r') {
      out.append("data: ").append(data.substr(start, i - start)).append("\n");
      if (i + 1 < data.size() && data[i] == '\r' && data[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  out.append("\n");
  return out;
}

EventStreamSession::EventStreamSession(EventStreamHandler& handler) : handler_(&handler) {}

void EventStreamSession::attach() noexcept {
  attached_ = true;
  ++metrics().long_lived().event_streams;
}

EventStreamSession::~EventStreamSession() {
  leave_broadcasts();
}

void EventStreamSession::adopt(std::unique_ptr<RequestHandler> owner) {
  owner_ = std::move(owner);
  opened_ = true;
  if (handler_ != nullptr) handler_->release_sink();
  if (!socket_open()) return on_closed();
  read(true);  // only to notice the end: what a client sends is dropped
  arm_keepalive();
}

void EventStreamSession::arm_keepalive() noexcept {
  if (!socket_open()) return;
  wait(settings().websocket_ping_interval.count() > 0 ? kWaitPing : -1);
}

Future<void> EventStreamSession::send_event(std::string bytes) {
  if (!socket_open() || closing_) {
    return make_exceptional_future<void>(
        Error(ErrorKind::unavailable, "the event stream is closed"));
  }
  std::size_t queued = queued_bytes();
  if (queued > 0 && queued + bytes.size() > settings().websocket_max_queued_bytes) {
    too_slow();
    return make_exceptional_future<void>(
        Error(ErrorKind::unavailable, "the event stream is closed"));
  }
  Segment s;
  s.own = std::move(bytes);
  write(std::move(s));
  if (!socket_open()) {
    return make_exceptional_future<void>(
        Error(ErrorKind::unavailable, "the event stream is closed"));
  }
  return written();
}

void EventStreamSession::receive(SharedFrames& frames) {
  if (!socket_open() || closing_) return;
  const auto& bytes = frames.event_stream_bytes();
  std::size_t queued = queued_bytes();
  if (queued > 0 && queued + bytes->size() > settings().websocket_max_queued_bytes)
    return too_slow();
  Segment s;
  s.shared = bytes;
  write(std::move(s));
}

void EventStreamSession::too_slow() {
  ++metrics().long_lived().slow_consumers;
  log::warning("gale.web",
               "closing an event stream that does not take what is written ({} bytes "
               "queued, bound {})",
               queued_bytes(), settings().websocket_max_queued_bytes);
  abort();
}

void EventStreamSession::end_stream() {
  if (!socket_open() || closing_) return;
  closing_ = true;
  close_after_write();
}

void EventStreamSession::on_data(char*, std::size_t) {}

void EventStreamSession::on_peer_closed() {
  if (socket_open()) abort();
}

void EventStreamSession::on_timeout(int which) {
  if (!socket_open()) return;
  if (which != kWaitPing || closing_) return abort();
  Segment s;
  s.own = ": keep-alive\n\n";
  write(std::move(s));
  arm_keepalive();
}

void EventStreamSession::on_shutdown() {
  end_stream();
}

void EventStreamSession::on_closed() noexcept {
  if (!closed_ && attached_) {
    closed_ = true;
    --metrics().long_lived().event_streams;
    leave_broadcasts();
  }
  if (!opened_ || handler_ == nullptr || on_close_called_) return;
  on_close_called_ = true;
  try {
    handler_->on_close();
  } catch (...) {
    log::error("gale.web", "on_close failed: {}", describe(std::current_exception()));
  }
  auto owner = std::move(owner_);
  handler_ = nullptr;
}

}  // namespace detail

EventStreamHandler::EventStreamHandler() = default;

EventStreamHandler::~EventStreamHandler() {
  if (auto s = session_.lock()) s->handler_gone();
}

Future<void> EventStreamHandler::open(std::string_view) {
  return make_ready_future();
}
void EventStreamHandler::on_close() {}

std::optional<std::string> EventStreamHandler::last_event_id() const {
  auto id = request().headers.get("Last-Event-ID");
  if (!id) return std::nullopt;
  return std::string(*id);
}

Future<void> EventStreamHandler::get(std::string_view arg) {
  set_header("Content-Type", "text/event-stream; charset=utf-8");
  set_header("Cache-Control", "no-cache");
  set_header("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  request_->keep_alive = false;           // the stream ends when the connection does
  std::string head = serialize_head(true, 0);
  headers_sent_ = true;
  finished_ = true;
  sink_->send(std::move(head), {}, false, false);
  auto session = std::make_shared<detail::EventStreamSession>(*this);
  if (!sink_->upgrade(session)) return make_ready_future();
  session->attach();
  session_ = session;
  return open(arg);
}

Future<void> EventStreamHandler::send(std::string_view data) {
  return send(data, {}, {});
}

Future<void> EventStreamHandler::send(std::string_view data, std::string_view event) {
  return send(data, event, {});
}

Future<void> EventStreamHandler::send(std::string_view data, std::string_view event,
                                      std::string_view id) {
  for (auto field : {event, id}) {
    if (field.find_first_of("\r\n") != std::string_view::npos) {
      return make_exceptional_future<void>(
          Error(ErrorKind::invalid_argument, "an event's name or id cannot hold a line break"));
    }
  }
  auto s = session_.lock();
  if (!s) {
    return make_exceptional_future<void>(
        Error(ErrorKind::unavailable, "the event stream is closed"));
  }
  return s->send_event(detail::event_bytes(data, event, id));
}

Future<void> EventStreamHandler::send_retry(std::chrono::milliseconds retry) {
  auto s = session_.lock();
  if (!s) {
    return make_exceptional_future<void>(
        Error(ErrorKind::unavailable, "the event stream is closed"));
  }
  return s->send_event("retry: " + std::to_string(retry.count()) + "\n\n");
}

void EventStreamHandler::close() {
  if (auto s = session_.lock()) s->end_stream();
}

bool EventStreamHandler::closed() const noexcept {
  auto s = session_.lock();
  return !s || s->closed();
}

}  // namespace gale::web
