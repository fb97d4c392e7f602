// Change streams against a real server with an oplog: mongo-java-server (in memory, its oplog
// enabled by scripts/services). FerretDB has no change streams ($changeStream is not supported):
// run against it (GALE_TEST_MONGO_SERVER=ferretdb-*), every case is skipped by name, and it runs in
// scripts/test's mongo-java-server pass instead. With no GALE_TEST_MONGO_SERVER, the cases take
// GALE_TEST_MONGO_JAVA_URI, and are skipped (visibly) when it is unset.
//
// What mongo-java-server lacks is skipped part by part, by name: it reports a replace as an
// update, leaves out ns and updateDescription, has no postBatchResumeToken, and watches no
// database or cluster ({aggregate: 1} is taken for a collection named "1").
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "fault/fault_proxy.hpp"
#include "mongo/support.hpp"
#include "support/change_stream_server.hpp"
#include "support/log_capture.hpp"
#include "support/ports.hpp"
#include "support/server_skips.hpp"

using namespace std::chrono_literals;
using gale::IOLoop;
using gale::mongo::ChangeStream;
using gale::mongo::ChangeStreamOptions;
using gale::mongo::Client;
using gale::mongo::json;
using gale::testing::port_of;

namespace {

constexpr const char* kJava = gale::testing::kMongoJavaServer;

// The server may be named here, not by GALE_TEST_MONGO_SERVER (the URI may come from
// GALE_TEST_MONGO_JAVA_URI): skips on it are said with server_skips.hpp's say_skip.
using gale::testing::change_stream_server;
using gale::testing::say_skip;

// The port of a one-host URI: mongodb://127.0.0.1:23100/...
struct Fixture {
  explicit Fixture(std::string server_name, const std::string& uri)
      : server(std::move(server_name)),
        client(gale::testing::with_options(uri, "serverSelectionTimeoutMS=5000")),
        db(gale::testing::unique_db("cs")) {}
  ~Fixture() {
    try {
      loop.run_sync([&] { return client[db].drop(); }, 20s);
    } catch (...) {
    }
  }
  bool java() const { return server == kJava; }

  // The next event, waiting at most 10 s.
  json next(ChangeStream& stream) {
    auto event = loop.run_sync([&] { return stream.next(); }, 10s);
    REQUIRE(event);
    return *event;
  }

  std::string server;
  IOLoop loop;
  Client client;
  std::string db;
};

std::vector<int> ids_of(const std::vector<json>& events) {
  std::vector<int> ids;
  for (const auto& e : events) ids.push_back(e["documentKey"]["_id"].get<int>());
  return ids;
}

}  // namespace

TEST_CASE("insert update replace and delete events arrive in order with their shapes") {
  auto where = change_stream_server();
  if (!where) return;
  Fixture f(where->first, where->second);
  auto coll = f.client[f.db]["events"];
  ChangeStreamOptions o;
  o.full_document = "updateLookup";
  o.max_await_time = 200ms;
  auto stream = f.loop.run_sync([&] { return coll.watch(json::array(), o); }, 10s);
  CHECK(stream.alive());
  CHECK(stream.id() != 0);

  // Each event is read before the next write: updateLookup reads the document when the event is
  // read, not when it happened.
  f.loop.run_sync([&] { return coll.insert_one({{"_id", 1}, {"a", 1}}); }, 10s);
  json insert = f.next(stream);
  CHECK(insert["operationType"] == "insert");
  CHECK(insert["documentKey"] == json{{"_id", 1}});
  CHECK(insert["fullDocument"] == json{{"_id", 1}, {"a", 1}});
  CHECK(insert["_id"].is_object());
  CHECK(insert["clusterTime"].contains("$timestamp"));
  if (f.java()) {
    say_skip(kJava, "its change events have no ns");
  } else {
    CHECK(insert["ns"] == json{{"db", f.db}, {"coll", "events"}});
  }

  json set = {{"$set", {{"a", 2}}}};
  f.loop.run_sync([&] { return coll.update_one({{"_id", 1}}, set); }, 10s);
  json update = f.next(stream);
  CHECK(update["operationType"] == "update");
  CHECK(update["fullDocument"] == json{{"_id", 1}, {"a", 2}});  // updateLookup
  if (f.java()) {
    say_skip(kJava,
             "its update events have no updateDescription, and the update document as their "
             "documentKey");
  } else {
    CHECK(update["documentKey"] == json{{"_id", 1}});
    CHECK(update["updateDescription"]["updatedFields"] == json{{"a", 2}});
    CHECK(update["updateDescription"]["removedFields"] == json::array());
  }

  json replacement = {{"b", 3}};
  f.loop.run_sync([&] { return coll.replace_one({{"_id", 1}}, replacement); }, 10s);
  json replace = f.next(stream);
  if (f.java()) {
    say_skip(kJava, "it reports a replacement as an update, with the new document as documentKey");
    CHECK(replace["operationType"] == "update");
  } else {
    CHECK(replace["operationType"] == "replace");
    CHECK(replace["documentKey"] == json{{"_id", 1}});
  }
  CHECK(replace["fullDocument"] == json{{"_id", 1}, {"b", 3}});

  f.loop.run_sync([&] { return coll.delete_one({{"_id", 1}}); }, 10s);
  json del = f.next(stream);
  CHECK(del["operationType"] == "delete");
  CHECK(del["documentKey"] == json{{"_id", 1}});
  CHECK((!del.contains("fullDocument") || del["fullDocument"].is_null()));

  // Nothing more: one getMore round gives nothing, and the token is the last event's.
  CHECK_FALSE(f.loop.run_sync([&] { return stream.try_next(); }, 10s));
  REQUIRE(stream.resume_token());
  if (f.java()) CHECK(*stream.resume_token() == del["_id"]);  // no postBatchResumeToken there
}

TEST_CASE("a pipeline filters the events and next waits for the next one") {
  auto where = change_stream_server();
  if (!where) return;
  Fixture f(where->first, where->second);
  auto coll = f.client[f.db]["filtered"];
  json pipeline = json::array({{{"$match", {{"operationType", "delete"}}}}});
  auto stream = f.loop.run_sync([&] { return coll.watch(pipeline); }, 10s);
  std::vector<json> docs = {{{"_id", 1}}, {{"_id", 2}}};
  json second = {{"_id", 2}};
  auto event = f.loop.run_sync(
      [&]() -> gale::Future<std::optional<json>> {
        auto pending = stream.next();  // waiting (getMore after getMore) before the writes
        CHECK_FALSE(pending.done());
        co_await coll.insert_many(docs);
        co_await coll.delete_one(second);
        co_return co_await std::move(pending);
      },
      10s);
  REQUIRE(event);
  CHECK((*event)["operationType"] == "delete");
  CHECK((*event)["documentKey"] == json{{"_id", 2}});
}

TEST_CASE("resume_token moves and resume_after start_after and start_at_operation_time resume") {
  auto where = change_stream_server();
  if (!where) return;
  Fixture f(where->first, where->second);
  auto coll = f.client[f.db]["resume"];
  auto stream = f.loop.run_sync([&] { return coll.watch(); }, 10s);
  std::vector<json> docs;
  for (int i = 0; i < 6; ++i) docs.push_back({{"_id", i}});
  f.loop.run_sync([&] { return coll.insert_many(docs); }, 10s);

  std::vector<json> events;
  std::vector<json> tokens;
  for (int i = 0; i < 6; ++i) {
    events.push_back(f.next(stream));
    REQUIRE(stream.resume_token());
    tokens.push_back(*stream.resume_token());
  }
  CHECK(ids_of(events) == std::vector<int>{0, 1, 2, 3, 4, 5});
  for (std::size_t i = 1; i < tokens.size(); ++i) CHECK(tokens[i] != tokens[i - 1]);  // it moves

  auto rest_of = [&](ChangeStream& s, std::size_t n) {
    std::vector<json> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(f.next(s));
    CHECK_FALSE(f.loop.run_sync([&] { return s.try_next(); }, 10s));  // and nothing more
    return out;
  };

  // After the third event's token: exactly the fourth to the sixth.
  ChangeStreamOptions after;
  after.resume_after = tokens[2];
  auto resumed = f.loop.run_sync([&] { return coll.watch(json::array(), after); }, 10s);
  CHECK(resumed.resume_token() == tokens[2]);  // the token it started from
  CHECK(ids_of(rest_of(resumed, 3)) == std::vector<int>{3, 4, 5});

  ChangeStreamOptions start_after;
  start_after.start_after = tokens[4];
  auto started = f.loop.run_sync([&] { return coll.watch(json::array(), start_after); }, 10s);
  CHECK(ids_of(rest_of(started, 1)) == std::vector<int>{5});

  // At (inclusive) the second event's cluster time: the second to the sixth.
  const json& ts = events[1]["clusterTime"]["$timestamp"];
  ChangeStreamOptions at;
  at.start_at_operation_time =
      gale::mongo::Timestamp{ts["t"].get<std::uint32_t>(), ts["i"].get<std::uint32_t>()};
  auto timed = f.loop.run_sync([&] { return coll.watch(json::array(), at); }, 10s);
  CHECK(ids_of(rest_of(timed, 5)) == std::vector<int>{1, 2, 3, 4, 5});

  // Writes after the token was stored are seen by a stream resumed from it, none twice.
  auto last = *stream.resume_token();
  std::vector<json> more = {{{"_id", 6}}, {{"_id", 7}}};
  f.loop.run_sync([&] { return coll.insert_many(more); }, 10s);
  ChangeStreamOptions from_last;
  from_last.resume_after = last;
  auto later = f.loop.run_sync([&] { return coll.watch(json::array(), from_last); }, 10s);
  CHECK(ids_of(rest_of(later, 2)) == std::vector<int>{6, 7});
}

TEST_CASE("a change stream resumes after its connection is cut under a writer") {
  auto where = change_stream_server();
  if (!where) return;
  Fixture f(where->first, where->second);
  fault::FaultProxy proxy(port_of(where->second));
  Client through("mongodb://127.0.0.1:" + std::to_string(proxy.port()) +
                 "/?serverSelectionTimeoutMS=5000&heartbeatFrequencyMS=500");
  auto watched = through[f.db]["cut"];
  auto writer = f.client[f.db]["cut"];  // straight to the server
  gale::testing::LogCapture logs;
  auto stream = f.loop.run_sync([&] { return watched.watch(); }, 10s);

  std::vector<json> events;
  auto write = [&](int from, int to) {
    std::vector<json> docs;
    for (int i = from; i < to; ++i) docs.push_back({{"_id", i}});
    f.loop.run_sync([&] { return writer.insert_many(docs); }, 10s);
  };
  write(0, 5);
  for (int i = 0; i < 5; ++i) events.push_back(f.next(stream));

  const auto connections = proxy.connections();
  proxy.cut();  // the stream's pooled connection among them
  f.loop.run_sync(
      [&]() -> gale::Future<void> {
        while (proxy.resets() == 0) co_await gale::moment();
      },
      10s);
  write(5, 10);  // while the stream is cut off
  for (int i = 0; i < 5; ++i) events.push_back(f.next(stream));
  write(10, 12);
  for (int i = 0; i < 2; ++i) events.push_back(f.next(stream));

  CHECK(ids_of(events) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});  // each once
  CHECK_FALSE(f.loop.run_sync([&] { return stream.try_next(); }, 10s));
  CHECK(proxy.resets() >= 1);
  CHECK(proxy.connections() > connections);  // it came back on a new connection
  CHECK(logs.contains("resuming a change stream"));
}

TEST_CASE("dropping a change stream kills its server cursor") {
  auto where = change_stream_server();
  if (!where) return;
  Fixture f(where->first, where->second);
  auto coll = f.client[f.db]["dropped"];
  std::int64_t id = 0;
  const auto killed = f.client.cursors_killed();
  {
    auto stream = f.loop.run_sync([&] { return coll.watch(); }, 10s);
    id = stream.id();
    REQUIRE(id != 0);
  }
  f.loop.run_sync(
      [&]() -> gale::Future<void> {
        while (f.client.cursors_killed() == killed) co_await gale::moment();
      },
      10s);
  CHECK(f.client.cursors_killed() == killed + 1);
  // The server no longer knows the cursor.
  gale::mongo::ordered_json get_more = {{"getMore", id}, {"collection", "dropped"}};
  try {
    f.loop.run_sync([&] { return f.client[f.db].run_command(get_more); }, 10s);
    FAIL("the cursor is still open");
  } catch (const gale::mongo::MongoError& e) {
    CHECK(e.code() == 43);  // CursorNotFound
  }
}

TEST_CASE("database and client change streams see every collection") {
  auto where = change_stream_server();
  if (!where) return;
  Fixture f(where->first, where->second);
  if (f.java()) {
    say_skip(
        kJava,
        "it watches no database nor cluster: {aggregate: 1} is taken for a collection named 1");
    return;
  }
  auto db = f.client[f.db];
  auto db_stream = f.loop.run_sync([&] { return db.watch(); }, 10s);
  auto all_stream = f.loop.run_sync([&] { return f.client.watch(); }, 10s);
  f.loop.run_sync([&] { return db["one"].insert_one({{"_id", 1}}); }, 10s);
  f.loop.run_sync([&] { return db["two"].insert_one({{"_id", 2}}); }, 10s);
  for (auto* stream : {&db_stream, &all_stream}) {
    json first = f.next(*stream);
    json second = f.next(*stream);
    CHECK(first["ns"] == json{{"db", f.db}, {"coll", "one"}});
    CHECK(second["ns"] == json{{"db", f.db}, {"coll", "two"}});
  }
}
