// A change stream across a server that is killed (SIGKILL) and started again under a writer: a
// mongo-java-server of the test's own (java_server_instance.hpp), its data and oplog in an H2 file
// that the restarted process opens again on the same port. The shared servers stay untouched.
//
// What it shows: a stream opened before the kill goes on by itself after it (the driver's resume:
// the getMore fails, the aggregate runs again with resumeAfter its last token once the server is
// back), and its events are exactly the inserts the server kept, each once, in order: every
// acknowledged insert, and of those cut by the kill, the ones that the restarted server has.
//
// What it cannot show: what MongoDB itself keeps across a crash (journal, majority writes,
// rollback); mongo-java-server's oplog is a collection in the same file, committed by the launcher
// after each command (see GaleMongoJavaServer.java), and its resume tokens are oplog timestamps.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "fault/until.hpp"
#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "mongo/java_server_instance.hpp"
#include "support/log_capture.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;
using gale::mongo::json;

namespace {

// How many inserts are acknowledged before the kill, and after the restart, before the writer
// stops.
constexpr int kBefore = 150;
constexpr int kAfter = 150;

struct Run {
  std::vector<int> acked;   // acknowledged inserts, in the order they were acknowledged
  std::vector<int> failed;  // inserts that failed (the kill cut them): kept or not
  std::vector<std::string> write_errors;
  std::vector<int> seen;     // the _id of each event, in the order the stream gave them
  std::string stream_error;  // what ended the stream early, if anything did
  bool stop_writing = false;
  bool closing = false;           // the test closes the stream: it has all it waits for
  std::size_t acked_at_kill = 0;  // how many were acknowledged when the kill came
  std::size_t seen_at_kill = 0;
  gale::Clock::duration restart_took{};  // from the kill until the new process listens
};

}  // namespace

TEST_CASE(
    "change streams resume after the server is killed and restarted under a writer, with no event "
    "lost or repeated that the server kept") {
  auto classpath = gale::testing::java_classpath();
  if (!classpath) return;
  gale::testing::JavaServerInstance server(*classpath);
  IOLoop loop;
  gale::testing::LogCapture logs;
  // Selection waits out the restart (about a second; 20 s at most); the monitor checks every
  // 500 ms once the server is unknown.
  gale::mongo::Client client(
      server.uri("serverSelectionTimeoutMS=20000&heartbeatFrequencyMS=500&connectTimeoutMS=2000"));
  auto numbers = client["restart"]["numbers"];
  auto stream = loop.run_sync([&] { return numbers.watch(); }, 20s);
  Run run;

  // Numbered inserts, one at a time, each to its own _id: acknowledged or failed.
  auto writer = [&]() -> Future<void> {
    for (int i = 0; !run.stop_writing; ++i) {
      json doc = {{"_id", i}};  // a statement of its own, not a temporary inside co_await (g++ 12)
      auto insert = numbers.insert_one(std::move(doc));
      try {
        co_await gale::with_timeout(30s, std::move(insert));
        run.acked.push_back(i);
      } catch (const std::exception& e) {
        run.failed.push_back(i);
        run.write_errors.push_back(std::to_string(i) + ": " + e.what());
      }
    }
  };
  // Every event, until the stream is closed once the last acknowledged insert's has come.
  auto reader = [&]() -> Future<void> {
    for (;;) {
      std::optional<json> event;
      try {
        event = co_await gale::with_timeout(30s, stream.next());
      } catch (const std::exception& e) {
        run.stream_error = e.what();
        co_return;
      }
      if (!event) {
        if (!run.closing) run.stream_error = "the stream ended";
        co_return;
      }
      run.seen.push_back((*event)["documentKey"]["_id"].get<int>());
    }
  };

  // Writer and reader go on while the server is killed and started again; then the writer stops
  // and the reader reads up to its last acknowledged insert. `trouble` says what went wrong.
  std::string trouble = loop.run_sync(
      [&]() -> Future<std::string> {
        auto writing = writer();
        auto reading = reader();
        std::string problem;
        if (!co_await fault::until(
                [&] { return run.acked.size() >= kBefore && run.seen.size() >= kBefore / 2; },
                30s)) {
          problem = "the writer or the reader did not get going";
        } else {
          run.acked_at_kill = run.acked.size();
          run.seen_at_kill = run.seen.size();
          const auto killed = gale::Clock::now();
          server.kill_now(SIGKILL);
          server.spawn();  // at once, on the same port and file
          co_await fault::until([&] { return server.ready() || !server.running(); }, 30s);
          run.restart_took = gale::Clock::now() - killed;
          if (!server.ready()) {
            problem = "the server did not come back: " + server.log_text();
          } else if (!co_await fault::until(
                         [&] { return run.acked.size() >= run.acked_at_kill + kAfter; }, 60s)) {
            problem = "the writer did not go on after the restart";
          }
        }
        run.stop_writing = true;
        co_await std::move(writing);  // its last insert answered
        if (problem.empty() &&
            !co_await fault::until(
                [&] { return !run.seen.empty() && run.seen.back() >= run.acked.back(); }, 30s)) {
          problem = "the last acknowledged insert's event did not come";
        }
        run.closing = true;
        stream.close();  // next() gives nullopt after its getMore in flight
        co_await gale::with_timeout(20s, std::move(reading));
        co_return problem;
      },
      180s);
  INFO(trouble);
  REQUIRE(trouble.empty());

  // The server's documents after it all: what it kept.
  auto stored_docs = loop.run_sync([&] { return numbers.find().to_list(); }, 20s);
  std::set<int> stored;
  for (const auto& d : stored_docs) stored.insert(d["_id"].get<int>());

  const std::size_t resumes = logs.count("resuming a change stream");
  std::cout << "[restart] acknowledged " << run.acked.size() << " (" << run.acked_at_kill
            << " before the kill), failed " << run.failed.size() << ", events " << run.seen.size()
            << " (" << run.seen_at_kill << " before the kill), stored " << stored.size()
            << ", resumes " << resumes << ", restarted in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(run.restart_took).count()
            << " ms" << std::endl;
  for (const auto& line : logs.lines("resuming a change stream"))
    std::cout << "[restart] " << line << std::endl;
  for (const auto& e : run.write_errors) std::cout << "[restart] write failed: " << e << std::endl;
  for (int id : run.failed) {
    std::cout << "[restart] failed insert " << id << ": "
              << (stored.count(id) ? "kept by the server" : "not kept") << ", "
              << (std::count(run.seen.begin(), run.seen.end(), id) ? "seen" : "not seen")
              << std::endl;
  }

  INFO("stream error: " << run.stream_error);
  CHECK(run.stream_error.empty());
  CHECK(server.starts() == 2);
  CHECK(run.acked_at_kill >= static_cast<std::size_t>(kBefore));
  CHECK(run.acked.size() >= run.acked_at_kill + kAfter);
  // The stream resumed by itself, once: a second resume came when a killCursors for the old
  // cursor reached the restarted server, which had given the resumed stream the same cursor id.
  CHECK(resumes == 1);

  // Each event once, in the order of the inserts.
  std::vector<int> sorted = run.seen;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // no duplicate
  CHECK(sorted == run.seen);                                                // in order
  const std::set<int> seen(run.seen.begin(), run.seen.end());
  // Every acknowledged insert was kept, and seen.
  std::vector<int> acked_not_stored, acked_not_seen;
  for (int id : run.acked) {
    if (!stored.count(id)) acked_not_stored.push_back(id);
    if (!seen.count(id)) acked_not_seen.push_back(id);
  }
  CHECK(acked_not_stored == std::vector<int>{});
  CHECK(acked_not_seen == std::vector<int>{});
  // The events are exactly what the server kept: no event for a write it lost, none missing for
  // a write it has (a failed insert may be either).
  CHECK(seen == stored);
}
