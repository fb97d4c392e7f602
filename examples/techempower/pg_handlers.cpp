#include "techempower/pg_handlers.hpp"

#include <algorithm>
#include <map>

#include "gale/loop/error.hpp"
#include "gale/loop/gather.hpp"
#include "gale/web/http_error.hpp"
#include "techempower/world.hpp"

namespace techempower {
namespace {

constexpr std::string_view kSelectWorld = "SELECT id, randomnumber FROM world WHERE id = $1";
// One statement for any number of rows: the pairs travel as two int arrays.
constexpr std::string_view kUpdateWorlds =
    "UPDATE world SET randomnumber = u.r"
    " FROM (SELECT unnest($1::int[]) AS id, unnest($2::int[]) AS r) AS u WHERE world.id = u.id";
constexpr int kUpdateAttempts = 3;

nlohmann::json world_of(const std::optional<gale::pg::Row>& row) {
  if (!row) throw gale::Error(gale::ErrorKind::internal, "a world row is missing: seed the table");
  return world_json((*row)[std::size_t{0}].as<std::int64_t>(),
                    (*row)[std::size_t{1}].as<std::int64_t>());
}

// N single-row queries sent at once: pipelined, each with its own Sync.
gale::Future<nlohmann::json> select_worlds(gale::pg::Client& pg, int n) {
  std::vector<gale::Future<std::optional<gale::pg::Row>>> queries;
  queries.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) queries.push_back(pg.query_one(kSelectWorld, random_world_id()));
  auto rows = co_await gale::gather(std::move(queries));
  nlohmann::json worlds = nlohmann::json::array();
  for (const auto& row : rows) worlds.push_back(world_of(row));
  co_return worlds;
}

}  // namespace

gale::Future<void> PgDbHandler::get(std::string_view) {
  auto row = co_await pg_.query_one(kSelectWorld, random_world_id());
  write_json(world_of(row));
}

gale::Future<void> PgQueriesHandler::get(std::string_view) {
  auto worlds = co_await select_worlds(pg_, clamp_queries(get_optional_argument("queries")));
  write_json(worlds);
}

gale::Future<void> PgUpdatesHandler::get(std::string_view) {
  auto worlds = co_await select_worlds(pg_, clamp_queries(get_optional_argument("queries")));
  // A new number per world; an id drawn twice keeps its last number, in the update and in the
  // response alike. Rows go in id order, so concurrent requests lock them in the same order.
  std::map<std::int64_t, int> numbers;
  for (auto& w : worlds) numbers[w["id"].get<std::int64_t>()] = random_world_id();
  std::vector<std::int64_t> ids, values;
  for (auto [id, number] : numbers) {
    ids.push_back(id);
    values.push_back(number);
  }
  for (auto& w : worlds) w["randomNumber"] = numbers[w["id"].get<std::int64_t>()];
  for (int attempt = 1;; ++attempt) {
    try {
      co_await pg_.execute(kUpdateWorlds, ids, values);
      break;
    } catch (const gale::Error& e) {
      // A deadlock with another request (40P01) is rolled back by the server: try again.
      if (e.kind() != gale::ErrorKind::conflict || attempt == kUpdateAttempts) throw;
    }
  }
  write_json(worlds);
}

gale::Future<void> PgFortunesHandler::get(std::string_view) {
  auto rows = co_await pg_.query("SELECT id, message FROM fortune");
  std::vector<Fortune> fortunes;
  fortunes.reserve(rows.size() + 1);
  for (auto row : rows)
    fortunes.push_back(
        {row[std::size_t{0}].as<std::int64_t>(), row[std::size_t{1}].as<std::string>()});
  set_header("Content-Type", "text/html; charset=utf-8");
  write(fortunes_page(std::move(fortunes)));
}

}  // namespace techempower
