// Fault test 3: the crud program's PostgreSQL pool exhausted by a burst. The test locks the notes
// table, so every query the program sends waits on the server: its 2 connections (open before the
// burst: pool_min_size) fill up (64 pipelined queries each), further queries wait in the client's
// queue (200 at most), the rest is refused at once. Then the lock is released. The program runs
// with --live false: its live feed reads the change log through the same pool (once a second when
// idle), which would take one of the slots this test counts.
#include <catch2/catch.hpp>

#include <cstdio>

#include "fault/latency.hpp"
#include "fault/scratch_table.hpp"
#include "fault/until.hpp"
#include "gale/loop/loop.hpp"
#include "gale/pg/pg.hpp"
#include "gale/web/http_client.hpp"
#include "support/crud_process.hpp"
#include "support/env.hpp"
#include "support/json_request.hpp"

using namespace std::chrono_literals;
using gale::Clock;
using gale::Future;
using gale::IOLoop;

namespace {

constexpr int kBurst = 1000;
constexpr std::size_t kMaxWaiters = 200;
constexpr auto kWait = 1s;      // pool_acquire_timeout_ms
constexpr auto kLockHeld = 2s;  // shorter than query_timeout_ms (3 s): the sent queries succeed

struct Answer {
  int status = 0;
  bool envelope = false;
  std::string message;
  int waited_ms = -1;  // the program's own measure of a queued request's wait
  Clock::duration took{};
};

Future<Answer> get(std::string url) {
  auto r = gale::testing::json_request("GET");
  r.url = std::move(url);
  r.request_timeout = 30s;
  r.connect_timeout = 30s;
  Answer a;
  auto t0 = Clock::now();
  try {
    auto response = co_await gale::web::fetch(std::move(r));
    a.status = response.code;
    a.envelope = gale::testing::is_error_envelope(response) &&
                 response.headers.get("Retry-After", "") == "1";
    if (response.code != 200) a.message = gale::testing::error_message(response);
    // "no PostgreSQL connection free after 1004 ms: ...": the wait as the program measured it.
    auto after = a.message.find(" free after ");
    if (after != std::string::npos) a.waited_ms = std::atoi(a.message.c_str() + after + 12);
  } catch (const std::exception& e) {
    a.message = e.what();
  }
  a.took = Clock::now() - t0;
  co_return a;
}

Future<std::string> create_note(std::string url) {
  auto r = gale::testing::json_request("POST", nlohmann::json{{"slug", "burst"}, {"title", "t"}});
  r.url = std::move(url);
  auto response = co_await gale::web::fetch(std::move(r));
  co_return response.json().value("id", "");
}

struct Burst {
  std::vector<Answer> answers;
  double most_waiting = 0;   // gale_pool_waiting, the highest sample
  std::size_t peak_rss = 0;  // of the program, sampled every 20 ms
};

// kBurst GETs at once while the table is locked for kLockHeld; samples the program meanwhile.
Future<Burst> burst(gale::testing::CrudProcess& app, gale::pg::Client& locker,
                    const std::string& table, const std::string& id) {
  Burst b;
  auto tx = co_await locker.transaction();
  co_await tx.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
  std::vector<Future<Answer>> all;
  for (int i = 0; i < kBurst; ++i) all.push_back(get(app.url("/notes/" + id)));
  auto unlock_at = Clock::now() + kLockHeld;
  while (Clock::now() < unlock_at) {
    auto m = co_await app.metrics();
    b.most_waiting = std::max(b.most_waiting, m["gale_pool_waiting"]);
    b.peak_rss = std::max(b.peak_rss, app.rss());
    co_await gale::sleep(20ms);
  }
  co_await tx.commit();
  b.answers = co_await gale::gather(std::move(all));
  b.peak_rss = std::max(b.peak_rss, app.rss());
  co_return b;
}

double mib(std::size_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

// The answers of one burst: who was served, who waited and who was refused, and when.
void check_burst(const Burst& b, std::size_t round, std::size_t rss_before) {
  std::size_t ok = 0, waited = 0, refused = 0, other = 0;
  fault::Latencies waited_ms, refused_ms, ok_ms, server_wait_ms;
  std::string first_other;
  for (const auto& a : b.answers) {
    if (a.status == 200) {
      ++ok;
      ok_ms.add(a.took);
    } else if (a.status == 503 && a.envelope &&
               a.message.find("queue is full") != std::string::npos) {
      ++refused;
      refused_ms.add(a.took);
    } else if (a.status == 503 && a.envelope &&
               a.message.find("no PostgreSQL connection free after") != std::string::npos) {
      ++waited;
      waited_ms.add(a.took);
      server_wait_ms.add(std::chrono::milliseconds(a.waited_ms));
    } else {
      ++other;
      if (first_other.empty()) first_other = std::to_string(a.status) + " " + a.message;
    }
  }
  INFO("round " << round << ": " << first_other);
  CHECK(other == 0);
  // 2 connections x 64 pipelined queries were sent and waited for the lock, then succeeded.
  CHECK(ok >= 2 * 64);
  CHECK(ok_ms.percentile(1) >= 1000.0 * 0.9 * kLockHeld.count());
  CHECK(waited > 0);
  CHECK(waited <= kMaxWaiters);
  CHECK(refused > 0);
  // A queued query gives up at the wait deadline (1 s), not before, and not much after, as
  // the program measures it (its deadline timer: 1,309 ms at most seen in CI, where the loop
  // parsing the burst shares 2 cores with another test); over HTTP the answer comes after at
  // least that long. A refused one says the queue is full: it did not wait. Nothing hangs: every
  // answer within the deadline plus 1.5 s of a loaded machine (an ASan build under ctest -j 2).
  CHECK(server_wait_ms.percentile(1) >= 1000);
  CHECK(server_wait_ms.max() < 1000 + 1000);
  CHECK(waited_ms.percentile(1) >= 1000);
  CHECK(waited_ms.max() < 1000 + 1500);
  CHECK(refused_ms.max() < 1000 + 1500);
  // The queue never held more than its bound (and it was used).
  CHECK(b.most_waiting > 0);
  CHECK(b.most_waiting <= static_cast<double>(kMaxWaiters));
  std::printf(
      "[figures] pool exhaustion, burst %zu of %d GETs on 2 connections (64 pipelined each), "
      "queue bound %zu: %zu answered 200 after the lock (%.0f-%.0f ms), %zu 503 after waiting "
      "%.0f-%.0f ms (answered at %.0f-%.0f ms), %zu 503 at once (queue full, answered by %.0f "
      "ms); queue peak %.0f; RSS %.1f MiB before, peak %.1f MiB\n",
      round + 1, kBurst, kMaxWaiters, ok, ok_ms.percentile(1), ok_ms.max(), waited,
      server_wait_ms.percentile(1), server_wait_ms.max(), waited_ms.percentile(1), waited_ms.max(),
      refused, refused_ms.max(), b.most_waiting, mib(rss_before), mib(b.peak_rss));
}

}  // namespace

TEST_CASE(
    "Pool exhaustion under a burst: 503 after the wait deadline, the wait queue and memory "
    "stay bounded",
    "[fault][pg]") {
  gale::testing::raise_fd_limit();
  fault::ScratchTable table("notes_burst");
  // --debug: the envelope carries the pool's own words (how long a request waited, a full queue),
  // which clients see only with debug.
  gale::testing::CrudProcess app(
      {"--db", "pg", "--table", table.name(), "--debug", "--live", "false", "--pg-uri",
       gale::testing::pg_uri() + "?pool_max_size=2&pool_min_size=2&pool_acquire_timeout_ms=1000&"
                                 "query_timeout_ms=3000&pool_max_waiters=200"});
  app.wait_ready();
  auto& loop = IOLoop::current();
  auto id = loop.run_sync([&] { return create_note(app.url("/notes")); }, 30s);
  REQUIRE_FALSE(id.empty());
  gale::pg::Client locker(gale::testing::pg_uri());
  const auto rss_before = app.rss();

  std::vector<Burst> bursts;
  for (int round = 0; round < 2; ++round) {
    bursts.push_back(loop.run_sync([&] { return burst(app, locker, table.name(), id); }, 120s));
  }
  INFO(app.log());
  REQUIRE(app.alive());
  for (std::size_t round = 0; round < bursts.size(); ++round) {
    check_burst(bursts[round], round, rss_before);
  }
  // Memory is bounded: a burst costs at most 16 KiB per request (about 3.5 KiB measured: its
  // connection, request, handler and query), and a second burst like the first does not raise
  // the peak (10% slack for the allocator). Not under ASan, whose quarantine and shadow memory
  // make resident memory say nothing about the program's own.
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(bursts[0].peak_rss - rss_before <= static_cast<std::size_t>(kBurst) * 16 * 1024);
  CHECK(bursts[1].peak_rss <= bursts[0].peak_rss + bursts[0].peak_rss / 10);
#endif
  // And the program serves normally afterwards.
  auto after = loop.run_sync([&] { return get(app.url("/notes/" + id)); }, 30s);
  CHECK(after.status == 200);
}
