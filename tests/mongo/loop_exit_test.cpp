// Change streams and cursors that outlive their loop's run, as at the end of a main(): the loop
// stops (start() returns) while a coroutine is still suspended in ChangeStream::next() or holds a
// Cursor with a batch pending, then the objects go away in the order they were declared: before the
// IOLoop (in its destructor, which destroys the suspended coroutines and the streams their frames
// own) or after it (declared before the loop). Nothing may crash or block: the background
// killCursors is skipped on a loop that is going away or gone (the server reaps the cursors when
// their connections close), and still sent while the loop lives (change_stream_test.cpp, "dropping
// a change stream kills its server cursor").
//
// Change streams need mongo-java-server (support/change_stream_server.hpp); the Cursor cases run on
// the server at GALE_TEST_MONGO_URI (FerretDB), else on mongo-java-server.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fault/fault_proxy.hpp"
#include "gale/loop/sleep.hpp"
#include "mongo/support.hpp"
#include "support/change_stream_server.hpp"
#include "support/ports.hpp"
#include "support/stop_when.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;
using gale::mongo::ChangeStream;
using gale::mongo::Client;
using gale::mongo::Collection;
using gale::mongo::Cursor;
using gale::mongo::json;
using gale::testing::port_of;
using gale::testing::stop_when;

namespace {

using gale::testing::change_stream_server;
using gale::testing::say_skip;

// The server for the Cursor cases: GALE_TEST_MONGO_URI, else mongo-java-server; nullopt (said) when
// neither is set.
std::optional<std::string> cursor_server() {
  for (const char* name : {"GALE_TEST_MONGO_URI", "GALE_TEST_MONGO_JAVA_URI"}) {
    const char* uri = std::getenv(name);
    if (uri != nullptr && *uri != '\0') return std::string(uri);
  }
  say_skip("(none)", "neither GALE_TEST_MONGO_URI nor GALE_TEST_MONGO_JAVA_URI is set");
  return std::nullopt;
}

std::string client_uri(const std::string& uri) {
  return gale::testing::with_options(uri, "serverSelectionTimeoutMS=5000");
}

// A client straight to the server, or through `proxy` (which can hold the replies: then a
// coroutine waiting on a getMore stays suspended on its socket, as with a server's awaitData).
std::string through(const std::string& uri, const fault::FaultProxy* proxy) {
  if (proxy == nullptr) return client_uri(uri);
  return "mongodb://127.0.0.1:" + std::to_string(proxy->port()) + "/?serverSelectionTimeoutMS=5000";
}

void hold_replies(fault::FaultProxy* proxy) {
  if (proxy != nullptr) proxy->set({.blackhole = true});
}

// Drops the test's database with a loop and a client of its own (the case's are gone).
void drop(const std::string& uri, const std::string& db) {
  try {
    IOLoop loop;
    Client client(client_uri(uri));
    loop.run_sync([&] { return client[db].drop(); }, 20s);
  } catch (...) {
  }
}

// Waits in next() until the loop goes away (the coroutine is destroyed without being resumed).
Future<void> wait_on(ChangeStream* stream, int* events) {
  while (co_await stream->next()) ++*events;
}

// A coroutine whose frame owns its stream, waiting in next().
Future<void> own_stream(Collection coll, bool* watching, int* events) {
  auto stream = co_await coll.watch();
  *watching = true;
  while (co_await stream.next()) ++*events;
}

// A coroutine whose frame owns a cursor with a batch pending (its server cursor open), then waiting
// (on a getMore when the proxy holds the replies, else asleep).
Future<void> own_cursor(Collection coll, std::int64_t* id, fault::FaultProxy* proxy) {
  auto cursor = coll.find(json::object(), {.batch_size = 2});
  auto first = co_await cursor.next();
  *id = cursor.id();
  if (proxy == nullptr) co_await gale::sleep(1h);
  hold_replies(proxy);
  while (co_await cursor.next()) {
  }
  (void)first;
}

std::vector<json> documents(int n) {
  std::vector<json> docs;
  for (int i = 0; i < n; ++i) docs.push_back({{"_id", i}});
  return docs;
}

}  // namespace

TEST_CASE("change streams waited on when the loop stops go away with the loop, in main's order") {
  auto where = change_stream_server();
  if (!where) return;
  const auto db = gale::testing::unique_db("csexit");
  const bool held = GENERATE(false, true);
  CAPTURE(held);
  std::optional<fault::FaultProxy> proxy;
  if (held) proxy.emplace(port_of(where->second));
  fault::FaultProxy* hold = proxy ? &*proxy : nullptr;
  int events = 0;
  {
    IOLoop loop;
    Client client(through(where->second, hold));
    auto coll = client[db]["events"];
    loop.run_sync([&] { return coll.insert_one({{"_id", 0}}); }, 10s);
    auto stream = loop.run_sync([&] { return coll.watch(); }, 10s);
    REQUIRE(stream.id() != 0);
    bool watching = false;
    auto owning = own_stream(coll, &watching, &events);
    loop.run_sync(
        [&]() -> Future<void> {
          while (!watching) co_await gale::sleep(5ms);
        },
        10s);
    hold_replies(hold);
    auto waiting = wait_on(&stream, &events);
    const auto since = gale::Clock::now();  // both coroutines past a poll: on a getMore if held
    stop_when(loop, [&] { return gale::Clock::now() - since > 200ms; });
    REQUIRE(watching);
    CHECK_FALSE(waiting.done());
    CHECK_FALSE(owning.done());
  }  // owning, waiting, stream, coll, client, then the loop (destroying both coroutines)
  CHECK(events == 0);
  drop(where->second, db);
}

TEST_CASE("a change stream declared before its loop is dropped after the loop is gone") {
  auto where = change_stream_server();
  if (!where) return;
  const auto db = gale::testing::unique_db("csexit");
  int events = 0;
  {
    std::optional<ChangeStream> waited;  // suspended in next() when the loop stops
    std::optional<ChangeStream> idle;    // never waited on
    std::optional<Future<void>> waiting;
    IOLoop loop;
    Client client(client_uri(where->second));
    auto coll = client[db]["events"];
    waited.emplace(loop.run_sync([&] { return coll.watch(); }, 10s));
    idle.emplace(loop.run_sync([&] { return coll.watch(); }, 10s));
    REQUIRE(waited->id() != 0);
    REQUIRE(idle->id() != 0);
    waiting = wait_on(&*waited, &events);
    stop_when(loop, [] { return true; });
    CHECK_FALSE(waiting->done());
  }  // coll, client, the loop, then waiting, idle and waited
  CHECK(events == 0);
  drop(where->second, db);
}

TEST_CASE("cursors with a batch pending go away with their loop or after it") {
  auto uri = cursor_server();
  if (!uri) return;
  const auto db = gale::testing::unique_db("csexit");
  const bool held = GENERATE(false, true);
  CAPTURE(held);
  std::optional<fault::FaultProxy> proxy;
  if (held) proxy.emplace(port_of(*uri));
  fault::FaultProxy* hold = proxy ? &*proxy : nullptr;
  {
    std::optional<Cursor> before;  // declared before the loop: dropped after it is gone
    IOLoop loop;
    Client client(through(*uri, hold));
    auto coll = client[db]["docs"];
    loop.run_sync([&] { return coll.insert_many(documents(10)); }, 10s);
    before.emplace(coll.find(json::object(), {.batch_size = 2}));
    REQUIRE(loop.run_sync([&] { return before->next(); }, 10s));
    REQUIRE(before->id() != 0);
    auto after = coll.find(json::object(), {.batch_size = 2});  // dropped before the loop
    REQUIRE(loop.run_sync([&] { return after.next(); }, 10s));
    REQUIRE(after.id() != 0);
    std::int64_t owned_id = 0;
    auto owning = own_cursor(coll, &owned_id, hold);  // destroyed by the loop's destructor
    stop_when(loop, [&] { return owned_id != 0; });
    CHECK(owned_id != 0);
    CHECK_FALSE(owning.done());
  }
  drop(*uri, db);
}
