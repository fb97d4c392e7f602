// A chat: rooms over WebSocket (/ws/{room}), the same feed as Server-Sent Events
// (/events/{room}), and a POST for curl (/rooms/{room}/messages). Each message is serialized once
// and shared by every member of the room (gale::web::Broadcast).
//
//   chat --port 8888                                 # and open http://localhost:8888/
//   websocat ws://localhost:8888/ws/lobby            # then type {"text": "hi"}
//   curl -N localhost:8888/events/lobby              # the same messages, as events
//   curl -d '{"text": "hi"}' -H 'Content-Type: application/json'
//   localhost:8888/rooms/lobby/messages
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"
#include "page.hpp"
#include "rooms.hpp"

namespace {

chat::Rooms rooms;  // one process, one set of rooms

// {"text": "..."} with 1 to 1,000 characters of text; anything else is refused.
std::optional<nlohmann::json> valid_message(std::string_view body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc["text"].is_string()) return std::nullopt;
  auto text = doc["text"].get<std::string>();
  if (text.empty() || text.size() > 1000) return std::nullopt;
  return nlohmann::json{{"text", text}};
}

chat::Room& room_of(const std::string& name) {
  chat::Room* room = rooms.find(name);
  if (room == nullptr) throw gale::web::HTTPError(503, "too many rooms");
  return *room;
}

struct ChatSocket : gale::web::WebSocketHandler {
  gale::Future<void> open(std::string_view name) override {
    room_ = std::string(name);
    chat::Room& room = room_of(room_);
    for (const auto& m : room.history) co_await write_message(m);  // what was said before
    room.members.add(*this);
  }
  gale::Future<void> on_message(std::string_view message, bool binary) override {
    auto m = binary ? std::nullopt : valid_message(message);
    if (!m) {
      nlohmann::json error = {{"error", "send {\"text\": \"...\"} as text"}};
      co_await write_message(error);  // built apart: g++ 12 takes no braced list in a co_await
      co_return;
    }
    rooms.post(room_of(room_), room_, std::move(*m));
  }
  std::string room_;
};

struct ChatEvents : gale::web::EventStreamHandler {
  gale::Future<void> open(std::string_view name) override {
    chat::Room& room = room_of(std::string(name));
    std::uint64_t after = 0;  // a client that reconnects gets what it missed, if still kept
    if (auto id = last_event_id()) after = std::strtoull(id->c_str(), nullptr, 10);
    for (const auto& m : room.history) {
      auto id = m["id"].get<std::uint64_t>();
      if (id > after) co_await send(m.dump(), {}, std::to_string(id));
    }
    room.members.add(*this);
  }
};

struct Page : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    set_header("Content-Type", "text/html; charset=utf-8");
    write(chat::kPage);
    return {};
  }
};

struct PostMessage : gale::web::RequestHandler {
  gale::Future<void> post(std::string_view name) override {
    auto m = valid_message(body());
    if (!m) throw gale::web::HTTPError(400, "send {\"text\": \"...\"} with 1 to 1000 characters");
    set_status(201);
    write_json(rooms.post(room_of(std::string(name)), std::string(name), std::move(*m)));
    return {};
  }
};

}  // namespace

int main(int argc, char** argv) {
  gale::web::Options options("chat: rooms over WebSocket and Server-Sent Events");
  std::size_t max_connections = 10000;
  options.define("--max-connections", max_connections, "open connections, WebSockets included");
  options.parse(argc, argv);
  auto settings = options.settings();
  settings.max_connections = max_connections;
  settings.websocket_compression = true;  // when the client offers it
  settings.metrics = true;
  gale::web::Application app({{"/", gale::web::handler<Page>()},
                              {"/ws/{room}", gale::web::handler<ChatSocket>()},
                              {"/events/{room}", gale::web::handler<ChatEvents>()},
                              {"/rooms/{room}/messages", gale::web::handler<PostMessage>()}},
                             settings);
  app.listen(options);  // one process: the rooms live in it (no --workers)
  gale::IOLoop::current().start();
}
