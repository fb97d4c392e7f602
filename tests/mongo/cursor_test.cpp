// Big data through the driver: 100,000 documents through a cursor of batches of 100 (and one
// dropped half-way), insert_many of 200,000 split into batches, a 15 MiB document.
#include <catch2/catch.hpp>

#include "mongo/support.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;
using gale::mongo::Client;
using gale::mongo::json;
using gale::mongo::MongoError;

namespace {

struct Fixture {
  IOLoop loop;
  Client client{
      gale::testing::with_options(gale::testing::mongo_uri(), "serverSelectionTimeoutMS=5000")};
  std::string db = gale::testing::unique_db("big");
  ~Fixture() {
    try {
      loop.run_sync([&] { return client[db].drop(); }, 60s);
    } catch (...) {
    }
  }
};

Future<std::size_t> drain_half(gale::mongo::Collection c, std::size_t stop_at, std::int64_t* id) {
  gale::mongo::FindOptions o;
  o.batch_size = 100;
  o.sort = {{"_id", 1}};
  auto cursor = c.find({}, o);
  std::size_t seen = 0;
  while (auto d = co_await cursor.next()) {
    if ((*d)["_id"] != static_cast<int>(seen)) throw std::runtime_error("out of order");
    if (++seen == stop_at) break;
  }
  *id = cursor.id();
  co_return seen;  // the cursor is dropped here: killCursors goes out
}

Future<std::size_t> drain_all(gale::mongo::Collection c) {
  gale::mongo::FindOptions o;
  o.batch_size = 100;
  auto cursor = c.find({}, o);
  std::size_t seen = 0;
  while (auto d = co_await cursor.next_document()) ++seen;
  co_return seen;
}

}  // namespace

TEST_CASE("insert_many of 200,000 small documents, then a cursor over 100,000 in batches of 100") {
  Fixture f;
  auto c = f.client[f.db]["docs"];
  std::vector<json> docs;
  docs.reserve(200'000);
  for (int i = 0; i < 200'000; ++i) docs.push_back({{"_id", i}, {"v", i % 7}});
  auto r = f.loop.run_sync([&] { return c.insert_many(std::move(docs)); }, 240s);
  CHECK(r.inserted_ids.size() == 200'000);
  CHECK(r.inserted_ids[199'999] == 199'999);
  CHECK(f.loop.run_sync([&] { return c.estimated_document_count(); }, 60s) == 200'000);

  auto half = f.client[f.db]["half"];
  std::vector<json> more;
  for (int i = 0; i < 100'000; ++i) more.push_back({{"_id", i}});
  f.loop.run_sync([&] { return half.insert_many(std::move(more)); }, 240s);
  CHECK(f.loop.run_sync([&] { return drain_all(half); }, 240s) == 100'000);

  std::int64_t id = 0;
  CHECK(f.loop.run_sync([&] { return drain_half(half, 50'000, &id); }, 240s) == 50'000);
  REQUIRE(id != 0);
  // The dropped cursor was killed on the server: a getMore on its id fails.
  f.loop.run_sync([] { return gale::sleep(200ms); });
  CHECK(f.client.cursors_killed() == 1);
  try {
    nlohmann::ordered_json get_more = {{"getMore", {{"$numberLong", std::to_string(id)}}},
                                       {"collection", "half"}};
    f.loop.run_sync([&] { return f.client[f.db].run_command(get_more); }, 20s);
    FAIL("the cursor is still open on the server");
  } catch (const MongoError& e) {
    CHECK(e.code() == 43);  // CursorNotFound
  }
}

TEST_CASE("a 15 MiB document goes in and comes back whole, and 17 MiB is refused before sending") {
  Fixture f;
  auto c = f.client[f.db]["large"];
  std::string blob(15 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < blob.size(); i += 4096)
    blob[i] = static_cast<char>('a' + (i / 4096) % 26);
  f.loop.run_sync([&] { return c.insert_one({{"_id", "big"}, {"blob", blob}}); }, 60s);
  auto back = f.loop.run_sync([&] { return c.find_one({{"_id", "big"}}); }, 60s);
  REQUIRE(back);
  CHECK((*back)["blob"].get_ref<const std::string&>() == blob);
  std::string too_big(17 * 1024 * 1024, 'y');
  try {
    f.loop.run_sync([&] { return c.insert_one({{"blob", too_big}}); }, 60s);
    FAIL("no error");
  } catch (const MongoError& e) {
    CHECK(e.kind() == gale::ErrorKind::invalid_argument);
    CHECK(e.code() == 10334);
  }
}
