// A database killed under a write load, and what the notes API must do about it (fault tests 1
// and 2): the writers run, the server is killed, stays down for a while and is started again;
// meanwhile every request is answered (2xx, or 503 in the JSON envelope with Retry-After, soon),
// the program stays up, serves again within 2 s of the server's return, and afterwards every
// write it acknowledged is in the database.
#pragma once

#include <catch2/catch.hpp>

#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "fault/write_load.hpp"
#include "gale/loop/loop.hpp"
#include "support/crud_process.hpp"

namespace fault {

using namespace std::chrono_literals;

// How to crash the server, start it again (both block: they run off the loop) and tell when it
// accepts connections again (polled every 5 ms while it starts).
struct Server {
  std::function<void()> kill;
  std::function<void()> start;
  std::function<bool()> accepting;
};

struct Timeline {
  bool warmed = false;                   // 200 writes acknowledged before the kill
  Clock::time_point kill_from, kill_to;  // the kill command ran between these
  Clock::time_point back_at;             // the server accepted connections again
  bool served_again = false;             // a write was acknowledged after back_at
};

constexpr auto kOutage = 2s;    // the server stays down this long
constexpr auto kAfter = 3s;     // the load goes on this long after the first success
constexpr auto kRecovery = 2s;  // the bound: serving again after the return
constexpr auto kFailFast = 2s;  // a 503 comes within the app's 1 s wait, with margin
constexpr int kWriters = 16;

// Runs the scenario on the current loop.
inline gale::Future<Timeline> kill_under_load(WriteLoad& load, Server& server) {
  auto& loop = gale::IOLoop::current();
  Timeline t;
  load.start(kWriters);
  t.warmed = co_await until([&] { return load.count(201) >= 200; }, 30s);
  t.kill_from = Clock::now();
  co_await loop.run_in_executor([&] { server.kill(); });
  t.kill_to = Clock::now();
  co_await gale::sleep(kOutage);  // the outage itself: the load goes on meanwhile
  auto watch = loop.run_in_executor([&] {
    auto limit = Clock::now() + 60s;
    while (!server.accepting() && Clock::now() < limit) std::this_thread::sleep_for(5ms);
    return Clock::now();
  });
  co_await loop.run_in_executor([&] { server.start(); });
  t.back_at = co_await std::move(watch);
  t.served_again = co_await until(
      [&] { return load.first_created_after(t.back_at) != Clock::time_point::max(); }, 30s);
  co_await gale::sleep(kAfter);
  co_await load.stop();
  co_return t;
}

inline double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Every answer during the run: 201, or a 503 in the envelope that came fast; no hang, no other
// status; serving again within kRecovery of the return, and steadily after that.
inline void check_answers(const WriteLoad& load, const Timeline& t, const char* what) {
  REQUIRE(t.warmed);
  std::size_t unavailable = 0, bad = 0, slow_503 = 0, late_failures = 0, quick_503 = 0;
  Clock::duration slowest_503{};
  std::string first_bad, slowest_detail;
  for (const auto& w : load.writes()) {
    if (w.status == 201 && !w.id.empty()) {
      continue;
    } else if (w.status == 503 && w.envelope) {
      ++unavailable;
      // From the later of its start and the kill: a write the server was still working on when
      // it died had been waiting for the server, not for the failure.
      auto failing = w.end - std::max(w.start, t.kill_from);
      if (failing > slowest_503) slowest_detail = w.detail;
      slowest_503 = std::max(slowest_503, failing);
      if (failing >= kFailFast) ++slow_503;
      if (failing < 100ms) ++quick_503;  // the connection broke under it: no wait at all
    } else {
      ++bad;
      if (first_bad.empty()) first_bad = std::to_string(w.status) + " " + w.detail;
    }
    // Once the server has been back for kRecovery, every write must succeed.
    if (w.start >= t.back_at + kRecovery) ++late_failures;
  }
  INFO(first_bad);
  INFO("the slowest 503 (" << ms(slowest_503) << " ms): " << slowest_detail);
  CHECK(bad == 0);
  CHECK(unavailable > 0);  // the outage was seen
  CHECK(slow_503 == 0);
  REQUIRE(t.served_again);
  auto recovery = load.first_created_after(t.back_at) - t.back_at;
  CHECK(recovery < kRecovery);
  CHECK(late_failures == 0);
  std::printf(
      "[figures] %s: %zu writes by %d writers, %zu acknowledged, %zu answered 503 (%zu within "
      "100 ms, slowest %.0f ms), %zu other; kill took %.0f ms, down %.1f s; first 201 %.0f ms "
      "after the server accepted connections again\n",
      what, load.writes().size(), kWriters, load.count(201), unavailable, quick_503,
      ms(slowest_503), bad, ms(t.kill_to - t.kill_from), ms(t.back_at - t.kill_to) / 1000,
      ms(recovery));
}

// slug -> id of every note the database holds afterwards.
using Stored = std::map<std::string, std::string>;

// Every acknowledged write is stored with its id; a stored note that was not acknowledged must
// be one whose request was in flight when the server died (its answer was lost with it).
inline void check_durability(const WriteLoad& load, const Timeline& t, const Stored& stored,
                             const char* what) {
  std::map<std::string, const Write*> sent;
  for (const auto& w : load.writes()) sent[w.slug] = &w;
  std::size_t lost = 0, wrong_id = 0, unexplained = 0, in_flight = 0;
  std::string first_problem;
  for (const auto& w : load.writes()) {
    if (w.status != 201) continue;
    auto it = stored.find(w.slug);
    if (it == stored.end()) {
      ++lost;
      if (first_problem.empty()) first_problem = "lost: " + w.slug;
    } else if (it->second != w.id) {
      ++wrong_id;
      if (first_problem.empty()) first_problem = "id of " + w.slug + ": " + it->second;
    }
  }
  for (const auto& [slug, id] : stored) {
    auto it = sent.find(slug);
    if (it != sent.end() && it->second->status == 201) continue;
    bool was_in_flight =
        it != sent.end() && it->second->start <= t.kill_to && it->second->end >= t.kill_from;
    if (was_in_flight) {
      ++in_flight;
    } else {
      ++unexplained;
      if (first_problem.empty()) first_problem = "stored but not acknowledged: " + slug;
    }
  }
  INFO(first_problem);
  CHECK(lost == 0);
  CHECK(wrong_id == 0);
  CHECK(unexplained == 0);
  CHECK(in_flight <= static_cast<std::size_t>(kWriters));
  CHECK(stored.size() == load.count(201) + in_flight);
  std::printf(
      "[figures] %s: the database holds %zu notes: all %zu acknowledged (ids match), plus %zu "
      "whose answer was lost with the server; writes lost: %zu\n",
      what, stored.size(), load.count(201), in_flight, lost);
}

}  // namespace fault
