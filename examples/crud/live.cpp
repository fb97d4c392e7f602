#include "crud/live.hpp"

#include "gale/loop/error.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/router.hpp"

namespace crud {
namespace {

void check_running(const Live& live) {
  if (live.relay.running()) return;
  if (!live.off.empty()) {  // for good: the database gives no changes
    throw gale::web::HTTPError(501, "live updates are not available on this database")
        .with_log_message(live.off);
  }
  throw gale::Error(gale::ErrorKind::unavailable, "the live feed is not running yet",
                    "live updates are not available yet, retry later");
}

}  // namespace

void add_live_routes(gale::web::Application& app, Live& live) {
  app.add_route("/notes/live", gale::web::handler<LiveEvents>(&live));
  app.add_route("/notes/live/ws", gale::web::handler<LiveSocket>(&live));
}

nlohmann::json live_change(const nlohmann::json& change,
                           nlohmann::json (*note_json)(const nlohmann::json& document)) {
  nlohmann::json m = nlohmann::json::object();
  std::string op = change.value("operationType", "");
  m["op"] = op == "replace" ? "update" : op;
  const auto& key = change.value("documentKey", nlohmann::json::object());
  if (key.contains("_id")) m["id"] = key["_id"];
  if (key.contains("id")) m["id"] = key["id"];
  auto doc = change.find("fullDocument");
  if (doc != change.end() && doc->is_object()) {
    m["note"] = note_json(*doc);
    m["id"] = m["note"]["id"];
  }
  return m;
}

gale::Future<void> LiveEvents::prepare() {
  check_running(live_);
  return gale::make_ready_future();
}

gale::Future<void> LiveEvents::open(std::string_view) {
  co_await live_.relay.join(*this, last_event_id());
}

gale::Future<void> LiveSocket::prepare() {
  check_running(live_);
  return gale::make_ready_future();
}

gale::Future<void> LiveSocket::open(std::string_view) {
  auto after = get_optional_argument("after");
  if (!after) {
    std::string_view header = this->header("Last-Event-ID");
    if (!header.empty()) after = std::string(header);
  }
  co_await live_.relay.join(*this, std::move(after));
}

}  // namespace crud
