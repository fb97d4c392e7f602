// The notes API, live: GET /notes/live (Server-Sent Events) and /notes/live/ws (a WebSocket) push
// every change of the notes, fed by the database (a MongoDB change stream; on PostgreSQL a change
// log that a trigger writes and NOTIFY wakes) through one gale::live::Relay per process.
//
// Each message is JSON: {"type": "change", "position": "...", "data": {"op": "insert" | "update" |
// "delete", "id": "...", "note": {...}}} (no note on delete), or {"type": "reload", ...} when the
// client may have missed changes and should read /notes again. An event stream's events are named
// "change" and "reload" and carry the position as their id: EventSource resumes by itself with
// Last-Event-ID. A WebSocket resumes with ?after=<position> (or a Last-Event-ID header).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "gale/live/relay.hpp"
#include "gale/web/application.hpp"
#include "gale/web/event_stream.hpp"
#include "gale/web/websocket.hpp"

namespace crud {

// The process's relay, and why it is off for good when it is (a MongoDB server without change
// streams).
struct Live {
  gale::live::Relay relay;
  std::string off;
};

// GET /notes/live and /notes/live/ws on `live` (which must outlive `app`): 503 until the relay
// runs, 501 when it is off for good.
void add_live_routes(gale::web::Application& app, Live& live);

// A change of the feed as the API shows it: {"op", "id", "note"}; `note_json` turns the change's
// document into the API's note.
nlohmann::json live_change(const nlohmann::json& change,
                           nlohmann::json (*note_json)(const nlohmann::json& document));

class LiveEvents : public gale::web::EventStreamHandler {
 public:
  explicit LiveEvents(Live* live) : live_(*live) {}
  gale::Future<void> prepare() override;
  gale::Future<void> open(std::string_view) override;

 private:
  Live& live_;
};

class LiveSocket : public gale::web::WebSocketHandler {
 public:
  explicit LiveSocket(Live* live) : live_(*live) {}
  gale::Future<void> prepare() override;
  gale::Future<void> open(std::string_view) override;

 private:
  Live& live_;
};

}  // namespace crud
