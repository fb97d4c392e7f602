// Issue 16: a pool wait that ran for 330 s. The TechEmpower app on FerretDB with maxPoolSize=8 and
// default timeouts; a /mongo/updates?queries=501 request that its client abandons queues about 490
// finds in the pool; later requests queued behind them waited for the operation's whole deadline
// (serverSelectionTimeoutMS + 5 minutes without socketTimeoutMS or timeoutMS), not for the pool's
// wait timeout. Here the database's answers are slowed by a FaultProxy (so that the abandoned
// burst takes many seconds to drain), serverSelectionTimeoutMS is 2 s and every other timeout is
// left to its default: each later request must get its answer, or its 503, within the 2 s wait
// plus a margin, and once the burst is over the pool's counts must add up.
#include <catch2/catch.hpp>

#include <cstdio>

#include "fault/fault_proxy.hpp"
#include "fault/until.hpp"
#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "support/env.hpp"
#include "support/ports.hpp"
#include "techempower/app.hpp"

using namespace std::chrono_literals;
using gale::Clock;
using gale::Future;
using gale::IOLoop;
using gale::testing::port_of;
using nlohmann::json;

namespace {

constexpr auto kWait = 2s;        // serverSelectionTimeoutMS: the pool's wait timeout
constexpr auto kMargin = 1500ms;  // the request's own finds, HTTP and a busy machine

// The world collection of the TechEmpower app (ids 1..10000 as strings), in a database of this
// test's own; seeded once, kept between runs.
Future<void> seed_worlds(gale::mongo::Database db) {
  auto world = db["world"];
  if (co_await world.count_documents() == 10000) co_return;
  co_await world.drop();
  std::vector<json> docs;
  for (int i = 1; i <= 10000; ++i) {
    docs.push_back(json{{"_id", std::to_string(i)}, {"id", i}, {"randomNumber", i}});
    if (docs.size() == 1000) {
      co_await world.insert_many(std::move(docs));
      docs.clear();
    }
  }
}

struct Answer {
  int status = 0;
  Clock::duration took{};
  std::string body;
};

Future<Answer> get(const std::string& url, Clock::duration timeout) {
  gale::web::HTTPRequest r;
  r.url = url;
  r.raise_error = false;
  r.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  gale::web::HTTPClient client;  // a connection of its own, closed when it goes
  auto start = Clock::now();
  Answer a;
  try {
    auto response = co_await client.fetch(r);
    a.status = response.code;
    a.body = response.body;
  } catch (const gale::Error& e) {
    a.status = -1;  // the client gave up
    a.body = e.what();
  }
  a.took = Clock::now() - start;
  client.close();
  co_return a;
}

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

TEST_CASE(
    "FerretDB, maxPoolSize=8, default timeouts: after a client abandons a burst of 500 finds, "
    "later requests end within the pool's wait timeout and the pool's counts add up",
    "[fault][mongo]") {
  IOLoop loop;
  fault::FaultProxy proxy(port_of(gale::testing::mongo_uri()));
  gale::mongo::Client mongo("mongodb://127.0.0.1:" + std::to_string(proxy.port()) +
                            "/?maxPoolSize=8&serverSelectionTimeoutMS=2000");
  auto db = mongo["gale_fault_world"];
  loop.run_sync([&] { return seed_worlds(db); }, 120s);

  gale::web::Settings settings;
  settings.access_log = false;
  gale::web::Application app({}, settings);
  techempower::add_routes(app, nullptr, &db);
  gale::web::testing::TestServer server(app);
  CHECK(loop.run_sync([&] { return get(server.url("/mongo/updates?queries=20"), 30s); }, 40s)
            .status == 200);

  // Every chunk from and to the database 100 ms late: 500 finds on 8 connections take ~12 s.
  proxy.set({.delay = 100ms});
  std::vector<Answer> later;
  Answer abandoned;
  loop.run_sync(
      [&]() -> Future<void> {
        auto burst = get(server.url("/mongo/updates?queries=501"), 1s);
        abandoned = co_await std::move(burst);
        for (int i = 0; i < 3; ++i) {
          later.push_back(co_await get(server.url("/mongo/updates?queries=20"), 60s));
        }
      },
      120s);
  CHECK(abandoned.status == -1);  // the client gave up on it at 1 s
  for (const auto& a : later) {
    INFO("status " << a.status << " after " << ms(a.took) << " ms: " << a.body.substr(0, 300));
    CHECK((a.status == 200 || a.status == 503));
    CHECK(a.took < kWait + kMargin);
    std::printf("[figures] a later request: %d after %.0f ms\n", a.status, ms(a.took));
  }

  // The burst drains (its waits expire, its finds finish); then the pool holds only idle
  // connections, and every connection it opened is either open or was counted as closed.
  proxy.set({});
  bool drained = loop.run_sync(
      [&] {
        return fault::until(
            [&] {
              auto s = mongo.pool_stats();
              return s.waiting == 0 && s.in_use == 0 && s.connecting == 0;
            },
            60s);
      },
      70s);
  auto s = mongo.pool_stats();
  INFO("size " << s.size << " idle " << s.idle << " in use " << s.in_use << " opening "
               << s.connecting << " waiting " << s.waiting << " connects " << s.connects
               << " discarded " << s.discarded << " acquire timeouts " << s.acquire_timeouts);
  CHECK(drained);
  CHECK(s.size == s.idle);
  CHECK(s.size <= 8);
  CHECK(s.connects - s.discarded == s.size);
  CHECK(s.acquire_timeouts > 0);  // the burst's queued finds ended at the wait timeout
  std::printf(
      "[figures] after the burst: %zu open, %llu opened, %llu closed, %llu waits timed out\n",
      s.size, static_cast<unsigned long long>(s.connects),
      static_cast<unsigned long long>(s.discarded),
      static_cast<unsigned long long>(s.acquire_timeouts));
  // And the service is back.
  CHECK(loop.run_sync([&] { return get(server.url("/mongo/updates?queries=20"), 30s); }, 40s)
            .status == 200);
}
