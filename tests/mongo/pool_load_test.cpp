// 1,000 concurrent find_ones on a pool of 8: all answered, never more than 8 connections.
#include <catch2/catch.hpp>

#include "mongo/support.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;
using gale::mongo::Client;
using gale::mongo::json;

namespace {
Future<int> one(gale::mongo::Collection c, int i) {
  json filter = {{"_id", i % 100}};
  auto d = co_await c.find_one(std::move(filter));
  co_return d && (*d)["_id"] == i % 100 ? 1 : 0;
}
}  // namespace

TEST_CASE("1,000 concurrent find_one on a pool of 8") {
  IOLoop loop;
  Client client(gale::testing::with_options(gale::testing::mongo_uri(),
                                            "maxPoolSize=8&serverSelectionTimeoutMS=5000"));
  auto db = gale::testing::unique_db("load");
  auto c = client[db]["k"];
  std::vector<json> docs;
  for (int i = 0; i < 100; ++i) docs.push_back({{"_id", i}});
  loop.run_sync([&] { return c.insert_many(docs); }, 20s);
  std::vector<Future<int>> all;
  for (int i = 0; i < 1000; ++i) all.push_back(one(c, i));
  auto results = loop.run_sync([&] { return gale::gather(std::move(all)); }, 60s);
  int ok = 0;
  for (int r : results) ok += r;
  CHECK(ok == 1000);
  auto stats = client.pool_stats();
  CHECK(stats.size <= 8);
  CHECK(stats.max_size == 8);
  CHECK(stats.acquires >= 1000);
  CHECK(stats.acquire_timeouts == 0);
  loop.run_sync([&] { return client[db].drop(); }, 20s);
}
