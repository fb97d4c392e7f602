// Fault test 4: 2,000 slowloris connections (a request line, then one header byte every 500 ms,
// never the end of the headers) against the crud program, while normal clients read a note.
#include <catch2/catch.hpp>

#include <cstdio>

#include "fault/latency.hpp"
#include "fault/scratch_table.hpp"
#include "fault/slowloris.hpp"
#include "fault/until.hpp"
#include "gale/loop/loop.hpp"
#include "gale/web/http_client.hpp"
#include "support/crud_process.hpp"
#include "support/env.hpp"
#include "support/json_request.hpp"

using namespace std::chrono_literals;
using gale::Clock;
using gale::Future;
using gale::IOLoop;

namespace {

constexpr std::size_t kSlow = 2000;
constexpr auto kHeaderTimeout = 3s;
constexpr auto kLinger = 2s;  // after a 4xx the server drains what the client sends, 2 s at most

// GET `url` back to back until `until` (keep-alive, or a new connection each time with
// `close`), timing each answer; a non-200 answer counts as a failure.
Future<void> reader(std::string url, bool close, Clock::time_point until, fault::Latencies& out,
                    int& failures) {
  while (Clock::now() < until) {
    auto r = gale::testing::json_request("GET");
    r.url = url;
    r.request_timeout = 10s;
    if (close) r.headers.add("Connection", "close");
    auto t0 = Clock::now();
    try {
      auto response = co_await gale::web::fetch(std::move(r));
      out.add(Clock::now() - t0);
      if (response.code != 200) ++failures;
    } catch (const std::exception&) {
      ++failures;
    }
  }
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

Future<std::string> create_note(std::string url) {
  auto r = gale::testing::json_request("POST", nlohmann::json{{"slug", "read-me"}, {"title", "t"}});
  r.url = std::move(url);
  auto response = co_await gale::web::fetch(std::move(r));
  co_return response.json().value("id", "");
}

// The value of a gauge in the program's /metrics (-1 if absent).
Future<double> gauge(std::string url, std::string name) {
  auto r = gale::testing::json_request("GET");
  r.url = std::move(url);
  auto response = co_await gale::web::fetch(std::move(r));
  auto at = response.body.find("\n" + name + " ");
  if (at == std::string::npos) co_return -1;
  co_return std::stod(response.body.substr(at + name.size() + 2));
}

// How the server ended the slow connections: a 408, when (from each one's first byte), closed.
struct Closing {
  std::size_t answered_408 = 0;
  std::size_t on_time = 0;  // answered between the header timeout and 1 s after it
  Clock::duration first_answer = Clock::duration::max(), last_answer{}, last_close{};
};

Closing judge(const std::vector<fault::Slowloris::Conn>& conns) {
  Closing c;
  for (const auto& conn : conns) {
    if (conn.received.rfind("HTTP/1.1 408", 0) == 0) ++c.answered_408;
    auto answer = conn.answered - conn.first_byte;
    if (answer >= kHeaderTimeout - 50ms && answer <= kHeaderTimeout + 1s) ++c.on_time;
    c.first_answer = std::min(c.first_answer, answer);
    c.last_answer = std::max(c.last_answer, answer);
    if (conn.closed != Clock::time_point{}) {
      c.last_close = std::max(c.last_close, conn.closed - conn.first_byte);
    }
  }
  return c;
}

}  // namespace

TEST_CASE(
    "2,000 slowloris connections: normal clients answered with p99 under 50 ms, the slow "
    "ones closed by the header timeout",
    "[fault][web]") {
  auto limit = gale::testing::raise_fd_limit();
  INFO("RLIMIT_NOFILE hard limit " << limit << ": the test needs 2,000 descriptors and more");
  REQUIRE(limit >= 2 * kSlow + 500);
  fault::ScratchTable table("notes_slowloris");
  // --live false: the live feed's reads open and idle-close pool connections of their own, which
  // would move the descriptor count this test compares.
  gale::testing::CrudProcess app({"--db", "pg", "--pg-uri", gale::testing::pg_uri(), "--table",
                                  table.name(), "--header-timeout", "3", "--live", "false"});
  app.wait_ready();
  auto& loop = IOLoop::current();
  auto id = loop.run_sync([&] { return create_note(app.url("/notes")); }, 30s);
  REQUIRE_FALSE(id.empty());
  const long fds_before = app.other_fds();

  fault::Slowloris slow(app.port(), kSlow, 500ms);
  REQUIRE(slow.failed_to_open() == 0);
  // Normal clients while every slow connection is open: until the first may time out.
  fault::Latencies latencies;
  int failures = 0;
  double connections = 0;
  loop.run_sync(
      [&]() -> Future<void> {
        auto until = slow.last_first_byte() + kHeaderTimeout - 300ms;
        std::vector<Future<void>> readers;
        for (int i = 0; i < 4; ++i) {
          readers.push_back(
              reader(app.url("/notes/" + id), i % 2 == 1, until, latencies, failures));
        }
        co_await gale::sleep(500ms);
        connections = co_await gauge(app.url("/metrics"), "gale_http_connections");
        co_await gale::gather(std::move(readers));
      },
      60s);
  auto left = slow.finish(kHeaderTimeout + kLinger + 3s);

  INFO(app.log());
  CHECK(app.alive());
  CHECK(connections >= static_cast<double>(kSlow));  // they were all held at once
  CHECK(failures == 0);
  REQUIRE(latencies.size() >= 500);
  CHECK(latencies.percentile(99) < 50);
  CHECK(left == 0);
  auto closed = judge(slow.conns());
  CHECK(closed.answered_408 == kSlow);
  CHECK(closed.on_time == kSlow);  // 408 at the header timeout (3 s), not before, at most 1 s late
  CHECK(closed.last_close <= kHeaderTimeout + kLinger + 1s);
  // Every descriptor of the slow connections is given back.
  long fds_after = app.other_fds();
  for (int i = 0; i < 100 && fds_after > fds_before; ++i) {
    std::this_thread::sleep_for(50ms);
    fds_after = app.other_fds();
  }
  CHECK(fds_after == fds_before);
  std::printf(
      "[figures] slowloris: %zu slow connections held (gale_http_connections %.0f); %zu normal "
      "requests, p50 %.2f ms, p99 %.2f ms, max %.1f ms, %d failed; every slow one got 408 "
      "between %.2f and %.2f s after its first byte and was closed by %.2f s; descriptors "
      "other than connections: %ld before, %ld after\n",
      kSlow, connections, latencies.size(), latencies.percentile(50), latencies.percentile(99),
      latencies.max(), failures, seconds(closed.first_answer), seconds(closed.last_answer),
      seconds(closed.last_close), fds_before, fds_after);
}
