// The live feed on MongoDB: a collection's change stream as one resumable sequence, against a
// server with change streams (mongo-java-server; skipped by name on FerretDB, which has none).
#include <catch2/catch.hpp>

#include "gale/live/live.hpp"
#include "mongo/support.hpp"
#include "support/change_stream_server.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;
using gale::with_timeout;
using gale::live::Event;
using gale::live::Feed;
using gale::live::FeedOptions;
using gale::mongo::Client;
using gale::mongo::json;

namespace {

struct Fixture {
  explicit Fixture(const std::string& uri)
      : client(gale::testing::with_options(uri, "serverSelectionTimeoutMS=5000")),
        db(gale::testing::unique_db("live")) {}
  ~Fixture() {
    try {
      loop.run_sync([&] { return client[db].drop(); }, 20s);
    } catch (...) {
    }
  }
  gale::mongo::Collection notes() { return client[db]["notes"]; }

  IOLoop loop;
  Client client;
  std::string db;
};

Future<Event> next(Feed& feed) {
  return with_timeout(10s, feed.next());
}

json doc(const char* text) {
  return json::parse(text);
}

json with_id(json id) {
  json d = json::object();
  d["_id"] = std::move(id);
  return d;
}

FeedOptions quick() {
  FeedOptions o;
  o.max_await_time = 200ms;
  o.retry_delay = 20ms;
  return o;
}

}  // namespace

TEST_CASE("a MongoDB feed gives inserts, updates and deletes in order, with documents", "[live]") {
  auto server = gale::testing::change_stream_server();
  if (!server) return;
  Fixture f(server->second);
  f.loop.run_sync(
      [&]() -> Future<void> {
        auto notes = f.notes();
        co_await notes.insert_one(
            doc(R"({"_id": "before"})"));  // the collection exists before the watch
        auto feed = co_await gale::live::watch(notes, quick());
        co_await notes.insert_one(doc(R"({"_id": "a", "n": 1})"));
        Event insert = co_await next(feed);
        co_await notes.update_one(doc(R"({"_id": "a"})"), doc(R"({"$set": {"n": 2}})"));
        Event update = co_await next(feed);
        co_await notes.delete_one(doc(R"({"_id": "a"})"));
        Event del = co_await next(feed);
        CHECK(insert.change == json::parse(R"({"operationType": "insert",
            "documentKey": {"_id": "a"}, "fullDocument": {"_id": "a", "n": 1}})"));
        CHECK(update.change["operationType"] == "update");
        CHECK(update.change["fullDocument"] == json::parse(R"({"_id": "a", "n": 2})"));
        CHECK(del.change == json::parse(R"({"operationType": "delete",
            "documentKey": {"_id": "a"}})"));
        std::vector<const Event*> all{&insert, &update, &del};
        for (const Event* e : all) {
          CHECK_FALSE(e->is_gap());
          CHECK(json::parse(e->position).is_object());  // a resume token
          CHECK(e->position.find('\n') == std::string::npos);
        }
        CHECK(insert.position != update.position);
        CHECK(feed.position() == del.position);
      },
      60s);
}

TEST_CASE("a MongoDB feed resumes after a position, and a bad one starts with a gap", "[live]") {
  auto server = gale::testing::change_stream_server();
  if (!server) return;
  Fixture f(server->second);
  f.loop.run_sync(
      [&]() -> Future<void> {
        auto notes = f.notes();
        co_await notes.insert_one(with_id(0));
        auto feed = co_await gale::live::watch(notes, quick());
        for (int i = 1; i <= 4; ++i) co_await notes.insert_one(with_id(i));
        std::vector<std::string> positions;
        for (int i = 1; i <= 4; ++i) positions.push_back((co_await next(feed)).position);

        auto o = quick();
        o.resume_after = positions[1];  // after the 2nd insert: the 3rd and 4th follow
        auto resumed = co_await gale::live::watch(notes, o);
        auto got1 = co_await next(resumed);
        CHECK(got1.change["documentKey"]["_id"] == 3);
        auto got2 = co_await next(resumed);
        CHECK(got2.change["documentKey"]["_id"] == 4);

        auto replay = co_await feed.replay(positions[0]);
        std::vector<Event> got;
        for (int round = 0; round < 50 && got.size() < 3; ++round) {
          for (auto& e : co_await replay.next(10)) got.push_back(std::move(e));
        }
        REQUIRE(got.size() == 3);
        CHECK(got[0].change["documentKey"]["_id"] == 2);
        CHECK(got[2].position == positions[3]);

        std::vector<std::string> bogus_positions{"not json", "[1]", "{}"};
        for (const std::string& bogus : bogus_positions) {
          auto b = quick();
          b.resume_after = bogus;
          auto odd = co_await gale::live::watch(notes, b);
          Event gap = co_await next(odd);
          CHECK(gap.is_gap());
          CHECK_FALSE(gap.reason.empty());
          co_await notes.insert_one(with_id(bogus));
          auto got3 = co_await next(odd);
          CHECK(got3.change["documentKey"]["_id"] == bogus);
          auto got4 = co_await next(feed);
          CHECK(got4.change["documentKey"]["_id"] == bogus);
          auto bad_replay = co_await feed.replay(bogus);
          auto lost = co_await bad_replay.next(10);
          REQUIRE(lost.size() == 1);
          CHECK(lost[0].is_gap());
        }
      },
      90s);
}

TEST_CASE("a MongoDB feed outlives a dropped collection with a gap", "[live]") {
  auto server = gale::testing::change_stream_server();
  if (!server) return;
  Fixture f(server->second);
  f.loop.run_sync(
      [&]() -> Future<void> {
        auto notes = f.notes();
        co_await notes.insert_one(with_id(1));
        auto feed = co_await gale::live::watch(notes, quick());
        co_await notes.drop();
        Event gap = co_await next(feed);
        CHECK(gap.is_gap());
        co_await notes.insert_one(with_id(2));
        Event after = co_await next(feed);
        CHECK_FALSE(after.is_gap());
        CHECK(after.change["documentKey"]["_id"] == 2);
      },
      60s);
}
