// The mongo layer's public async functions, each awaited with every defaulted argument left out,
// as a new user first writes them: `co_await coll.create_index(keys)` crashed on g++ 12 while the
// options were a defaulted aggregate argument (destroyed twice in the caller's coroutine).
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "mongo/support.hpp"
#include "support/env.hpp"

using gale::Future;
using gale::IOLoop;
using gale::mongo::json;

TEST_CASE("every collection and database call with its options left out", "[newuser][mongo]") {
  IOLoop loop;
  gale::mongo::Client client(gale::testing::mongo_uri());
  auto db = client[gale::testing::unique_db("defaults")];
  auto coll = db["items"];
  auto got = loop.run_sync([&client, &db, &coll]() -> Future<json> {
    json out;
    json keys = {{"n", 1}};
    out["index"] = co_await coll.create_index(keys);
    json a = {{"n", 1}, {"tag", "x"}};
    auto one = co_await coll.insert_one(a);
    out["inserted_one"] = !one.inserted_id.is_null();
    std::vector<json> more = {json{{"n", 2}, {"tag", "y"}}, json{{"n", 3}, {"tag", "y"}}};
    out["inserted_many"] = (co_await coll.insert_many(more)).inserted_ids.size();
    out["count_all"] = co_await coll.count_documents();
    json y = {{"tag", "y"}};
    out["count_y"] = co_await coll.count_documents(y);
    out["estimated"] = co_await coll.estimated_document_count();
    auto first = co_await coll.find_one();
    out["find_one"] = first.has_value();
    json by_n = {{"n", 1}};
    auto found = co_await coll.find_one(by_n);
    out["found_n1"] = found ? (*found)["tag"] : json();
    auto tags = co_await coll.distinct("tag");
    out["distinct"] = tags.size();
    json set_z = {{"$set", {{"tag", "z"}}}};
    out["update_one"] = (co_await coll.update_one(by_n, set_z)).matched_count;
    out["update_many"] = (co_await coll.update_many(y, set_z)).matched_count;
    json n9 = {{"n", 9}, {"tag", "r"}};
    out["replace_one"] = (co_await coll.replace_one(by_n, n9)).matched_count;
    json by_9 = {{"n", 9}};
    json inc = {{"$set", {{"tag", "q"}}}};
    auto before = co_await coll.find_one_and_update(by_9, inc);
    out["foau"] = before ? (*before)["tag"] : json();
    json n10 = {{"n", 10}};
    auto replaced = co_await coll.find_one_and_replace(by_9, n10);
    out["foar"] = replaced.has_value();
    json by_10 = {{"n", 10}};
    auto deleted = co_await coll.find_one_and_delete(by_10);
    out["foad"] = deleted.has_value();
    json n2 = {{"n", 2}};
    out["delete_one"] = (co_await coll.delete_one(n2)).deleted_count;
    std::vector<gale::mongo::WriteModel> writes;
    writes.emplace_back(gale::mongo::InsertOne{json{{"n", 4}}});
    out["bulk"] = (co_await coll.bulk_write(std::move(writes))).inserted_count;
    nlohmann::ordered_json count_cmd = {{"count", "items"}, {"query", json::object()}};
    out["ordered_count"] = (co_await db.run_command(count_cmd))["n"];  // the first key names it
    json all = json::object();
    out["delete_many"] = (co_await coll.delete_many(all)).deleted_count;
    json ping = {{"ping", 1}};
    out["ping"] = (co_await db.run_command(ping))["ok"];
    out["client_ping"] = (co_await client.run_command(ping))["ok"];
    out["collections"] = co_await db.list_collection_names();
    auto databases = co_await client.list_database_names();
    out["listed_db"] = std::find(databases.begin(), databases.end(), db.name()) != databases.end();
    auto cursor = coll.find();
    out["left"] = (co_await cursor.next()).has_value();
    auto rest = coll.find();
    out["to_list"] = (co_await rest.to_list()).size();
    co_await db.drop();
    co_return out;
  });
  CHECK(got["index"] == "n_1");
  CHECK(got["inserted_one"] == true);
  CHECK(got["inserted_many"] == 2);
  CHECK(got["count_all"] == 3);
  CHECK(got["count_y"] == 2);
  CHECK(got["estimated"] == 3);
  CHECK(got["find_one"] == true);
  CHECK(got["found_n1"] == "x");
  CHECK(got["distinct"] == 2);
  CHECK(got["update_one"] == 1);
  CHECK(got["update_many"] == 2);
  CHECK(got["replace_one"] == 1);
  CHECK(got["foau"] == "r");  // the document before the update
  CHECK(got["foar"] == true);
  CHECK(got["foad"] == true);
  CHECK(got["delete_one"] == 1);
  CHECK(got["bulk"] == 1);
  CHECK(got["delete_many"] == 2);  // n=3 (tag z) and n=4
  CHECK(got["client_ping"] == 1.0);
  CHECK(got["collections"] == json::array({"items"}));
  CHECK(got["listed_db"] == true);
  CHECK(got["to_list"] == 0);
  CHECK(got["ping"] == 1.0);
  CHECK(got["ordered_count"] == 2);
  CHECK(got["left"] == false);
}
