#include "techempower/mongo_handlers.hpp"

#include <map>

#include "gale/loop/error.hpp"
#include "gale/loop/gather.hpp"
#include "gale/mongo/collection.hpp"
#include "techempower/world.hpp"

namespace techempower {
namespace {

using gale::mongo::json;

// World documents are {_id: "<id>", id: <id>, randomNumber: <n>}: FerretDB (SQLite) answers a
// find by _id from its primary key only when the _id is a string or an ObjectId, and scans the
// collection for a number (see bench/peers/seed.py, which also indexes the lookup).
gale::Future<std::optional<json>> find_world(gale::mongo::Collection& world) {
  json filter;
  filter["_id"] = std::to_string(random_world_id());
  return world.find_one(std::move(filter));
}

json world_of(const std::optional<json>& doc) {
  if (!doc) throw gale::Error(gale::ErrorKind::internal, "a world document is missing: seed it");
  return world_json((*doc)["id"].get<std::int64_t>(), (*doc)["randomNumber"].get<std::int64_t>());
}

// N finds sent at once, each its own command (on as many pooled connections as needed).
gale::Future<json> find_worlds(gale::mongo::Database& db, int n) {
  auto world = db["world"];
  std::vector<gale::Future<std::optional<json>>> finds;
  finds.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) finds.push_back(find_world(world));
  auto docs = co_await gale::gather(std::move(finds));
  json worlds = json::array();
  for (const auto& doc : docs) worlds.push_back(world_of(doc));
  co_return worlds;
}

}  // namespace

gale::Future<void> MongoDbHandler::get(std::string_view) {
  auto world = db_["world"];
  auto doc = co_await find_world(world);
  write_json(world_of(doc));
}

gale::Future<void> MongoQueriesHandler::get(std::string_view) {
  auto worlds = co_await find_worlds(db_, clamp_queries(get_optional_argument("queries")));
  write_json(worlds);
}

gale::Future<void> MongoUpdatesHandler::get(std::string_view) {
  auto worlds = co_await find_worlds(db_, clamp_queries(get_optional_argument("queries")));
  // One ordered bulk write of N updates; an id drawn twice is updated twice, and the response
  // shows the number it was left with.
  std::vector<gale::mongo::WriteModel> updates;
  std::map<std::int64_t, int> last;
  for (auto& w : worlds) {
    int number = random_world_id();
    auto id = w["id"].get<std::int64_t>();
    last[id] = number;
    json filter, change;
    filter["_id"] = std::to_string(id);
    change["$set"]["randomNumber"] = number;
    updates.push_back(gale::mongo::UpdateOne{std::move(filter), std::move(change)});
  }
  for (auto& w : worlds) w["randomNumber"] = last[w["id"].get<std::int64_t>()];
  gale::mongo::BulkWriteOptions options;
  options.ordered = true;  // an id drawn twice ends with its last number
  co_await db_["world"].bulk_write(std::move(updates), options);
  write_json(worlds);
}

gale::Future<void> MongoFortunesHandler::get(std::string_view) {
  auto docs = co_await db_["fortune"].find().to_list(1000);
  std::vector<Fortune> fortunes;
  fortunes.reserve(docs.size() + 1);
  for (const auto& d : docs) {
    fortunes.push_back({d["_id"].get<std::int64_t>(), d["message"].get<std::string>()});
  }
  set_header("Content-Type", "text/html; charset=utf-8");
  write(fortunes_page(std::move(fortunes)));
}

}  // namespace techempower
