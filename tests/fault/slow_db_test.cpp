// Fault test 5: the crud program's database made slow, lossy, then unreachable, through a
// FaultProxy between the two (the shared PostgreSQL or FerretDB, a table or collection of the
// test's own). Clients run a mix of reads, creates, patches and lists the whole time; every
// request's time is measured against the deadline the program was given. PostgreSQL: 1 s per
// query (query_timeout_ms, which includes the wait for a connection), at most two queries per
// request. MongoDB: 2 s per operation (timeoutMS, server selection included), one operation per
// request (reads, creates and lists: a PATCH on MongoDB is several operations, with retries).
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>

#include "fault/fault_proxy.hpp"
#include "fault/latency.hpp"
#include "fault/scratch_table.hpp"
#include "fault/traffic.hpp"
#include "fault/until.hpp"
#include "gale/loop/loop.hpp"
#include "gale/web/http_client.hpp"
#include "support/crud_process.hpp"
#include "support/env.hpp"
#include "support/json_request.hpp"
#include "support/ports.hpp"

using namespace std::chrono_literals;
using gale::Clock;
using gale::Future;
using gale::IOLoop;
using gale::testing::port_of;
using nlohmann::json;

namespace {

constexpr auto kSlack = 500ms;  // HTTP and scheduling on a busy machine

struct Backend {
  const char* name;
  Clock::duration request_deadline;
  bool patches;
};
const Backend kPg{"PostgreSQL", 2s, true};  // two queries of 1 s at most (PATCH, DELETE)
// FerretDB (SQLite) itself takes up to ~400 ms for an operation here: 2 s leaves it room.
const Backend kMongo{"MongoDB", 2s, false};

Future<std::vector<std::string>> seed(gale::testing::CrudProcess& app) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto r = gale::testing::json_request(
        "POST", json{{"slug", "seed-" + std::to_string(i)}, {"title", "seed"}});
    r.url = app.url("/notes");
    auto response = co_await gale::web::fetch(std::move(r));
    ids.push_back(response.json().value("id", ""));
  }
  co_return ids;
}

struct PhaseFigures {
  std::size_t n = 0, ok = 0, unavailable = 0, timeout = 0, other = 0, late = 0;
  fault::Latencies ms;
  std::string first_other, first_late;
};

std::map<std::string, PhaseFigures> tally(const std::vector<fault::Sample>& samples,
                                          Clock::duration deadline) {
  std::map<std::string, PhaseFigures> out;
  for (const auto& s : samples) {
    auto& f = out[s.phase];
    ++f.n;
    f.ms.add(s.end - s.start);
    if (s.status / 100 == 2) {
      ++f.ok;
    } else if (s.status == 503 && s.envelope) {
      ++f.unavailable;
    } else if (s.status == 504 && s.envelope) {
      ++f.timeout;
    } else {
      ++f.other;
      if (f.first_other.empty())
        f.first_other = s.op + " " + std::to_string(s.status) + " " + s.detail;
    }
    if (s.end - s.start > deadline + kSlack) {
      ++f.late;
      if (f.first_late.empty())
        f.first_late = s.op + " " + std::to_string(s.status) + " " + s.detail;
    }
  }
  return out;
}

// Slow (150-250 ms per chunk), lossy (5% of chunks held 1.5 s, 0.5% resets), unreachable (a
// blackhole for 3 s), healed: the phases, with the traffic running throughout.
void run_phases(const Backend& backend, gale::testing::CrudProcess& app, fault::FaultProxy& proxy) {
  app.wait_ready();
  auto& loop = IOLoop::current();
  auto ids = loop.run_sync([&] { return seed(app); }, 60s);
  fault::Traffic traffic(app, ids, backend.patches);
  Clock::time_point blackhole_from, healed_at;
  bool served_again = false;

  loop.run_sync(
      [&]() -> Future<void> {
        traffic.start();
        co_await gale::sleep(1s);
        traffic.phase("slow");
        proxy.set({.delay = 150ms, .jitter = 100ms});
        co_await gale::sleep(4s);
        traffic.phase("lossy");
        proxy.set(
            {.delay = 5ms, .stall_probability = 0.05, .stall = 1500ms, .reset_probability = 0.005});
        co_await gale::sleep(4s);
        traffic.phase("unreachable");
        proxy.set({.blackhole = true});
        blackhole_from = Clock::now();
        co_await gale::sleep(3s);
        traffic.phase("healed");
        proxy.set({});
        healed_at = Clock::now();
        served_again = co_await fault::until(
            [&] { return traffic.first_success_after(healed_at) != Clock::time_point::max(); },
            20s);
        co_await gale::sleep(2s);
        co_await traffic.stop();
      },
      120s);

  INFO(app.log());
  CHECK(app.alive());
  auto figures = tally(traffic.samples(), backend.request_deadline);
  for (const char* phase : {"clean", "slow", "lossy", "unreachable", "healed"}) {
    auto& f = figures[phase];
    INFO(phase << ": " << f.first_other << " / late: " << f.first_late);
    CHECK(f.n > 0);
    CHECK(f.other == 0);  // 2xx, 503 or 504 in the envelope, nothing else
    CHECK(f.late == 0);   // nothing past its deadline
    std::printf(
        "[figures] %s %s: %zu requests, %zu 2xx, %zu 503, %zu 504, %zu other; p50 %.0f ms, p99 "
        "%.0f ms, max %.0f ms (deadline %.0f ms)\n",
        backend.name, phase, f.n, f.ok, f.unavailable, f.timeout, f.other, f.ms.percentile(50),
        f.ms.percentile(99), f.ms.max(),
        std::chrono::duration<double, std::milli>(backend.request_deadline).count());
  }
  CHECK(figures["clean"].ok == figures["clean"].n);
  CHECK(figures["slow"].ok > 0);
  CHECK(figures["lossy"].ok > 0);
  // While nothing passed, requests ended with 503 or 504 only (from 500 ms in: an answer that
  // got through just before may still be on its way).
  std::size_t failed_in_blackhole = 0, succeeded_in_blackhole = 0;
  for (const auto& sample : traffic.samples()) {
    if (sample.end < blackhole_from + 500ms || sample.end >= healed_at) continue;
    (sample.status / 100 == 2 ? succeeded_in_blackhole : failed_in_blackhole) += 1;
  }
  CHECK(failed_in_blackhole > 0);
  CHECK(succeeded_in_blackhole == 0);
  REQUIRE(served_again);
  auto back = traffic.first_success_after(healed_at) - healed_at;
  std::printf("[figures] %s healed: first 2xx %.0f ms later; proxy: %zu connections, %zu reset\n",
              backend.name, std::chrono::duration<double, std::milli>(back).count(),
              proxy.connections(), proxy.resets());
}

}  // namespace

TEST_CASE(
    "PostgreSQL made slow, lossy, then unreachable: every request ends within its deadline, "
    "with 2xx, 503 or 504, and service resumes",
    "[fault][pg]") {
  fault::ScratchTable table("notes_slowdb");
  fault::FaultProxy proxy(port_of(gale::testing::pg_uri()));
  auto uri = "postgresql://gale:gale@127.0.0.1:" + std::to_string(proxy.port()) +
             "/gale?pool_acquire_timeout_ms=1000&query_timeout_ms=1000&connect_timeout=2";
  gale::testing::CrudProcess app({"--db", "pg", "--table", table.name(), "--pg-uri", uri});
  run_phases(kPg, app, proxy);
}

TEST_CASE(
    "FerretDB made slow, lossy, then unreachable: every request ends within its deadline, with "
    "2xx, 503 or 504, and service resumes",
    "[fault][mongo]") {
  fault::ScratchCollection collection("notes_slowdb");
  fault::FaultProxy proxy(port_of(gale::testing::mongo_uri()));
  auto uri = "mongodb://127.0.0.1:" + std::to_string(proxy.port()) +
             "/?timeoutMS=2000&serverSelectionTimeoutMS=2000&connectTimeoutMS=1000";
  gale::testing::CrudProcess app({"--db", "mongo", "--table", collection.name(), "--mongo-uri", uri,
                                  "--mongo-database", fault::ScratchCollection::kDatabase});
  run_phases(kMongo, app, proxy);
}
