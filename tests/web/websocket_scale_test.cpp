// 10,000 idle WebSockets on one IOLoop (the chat example, a process of its own) while normal HTTP
// requests keep a p99 under 50 ms; then one broadcast reaches every one of them. Prints the chat's
// resident memory per socket (bench/websocket measures it against Tornado).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>

#include "gale/loop/loop.hpp"
#include "gale/web/http_client.hpp"
#include "support/crud_process.hpp"
#include "ws_peer.hpp"

using namespace std::chrono_literals;
using gale::Clock;
using gale::Future;
using gale::IOLoop;
using gale::testing::WsPeer;

namespace {

constexpr int kSockets = 10000;

Future<std::vector<WsPeer>> open_sockets(std::uint16_t port, int n) {
  std::vector<WsPeer> peers;
  peers.reserve(static_cast<std::size_t>(n));
  while (static_cast<int>(peers.size()) < n) {
    std::vector<Future<WsPeer>> batch;
    for (int i = 0; i < 250 && static_cast<int>(peers.size() + batch.size()) < n; ++i) {
      batch.push_back(WsPeer::connect(port, "/ws/idle"));
    }
    for (auto& p : co_await gale::gather(std::move(batch))) peers.push_back(std::move(p));
  }
  co_return peers;
}

// Latencies in ms of `n` GETs of `url` over one kept-alive connection, one after the other.
Future<std::vector<double>> latencies(std::string url, int n) {
  gale::web::HTTPClient client;
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    auto r = co_await client.fetch(url);
    if (r.code != 200) throw std::runtime_error("status " + std::to_string(r.code));
    out.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  co_return out;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1))];
}

}  // namespace

TEST_CASE("10,000 idle WebSockets: HTTP p99 under 50 ms, one broadcast reaches them all",
          "[websocket]") {
  REQUIRE(gale::testing::raise_fd_limit() >= kSockets + 500);
  IOLoop loop;
  gale::testing::CrudProcess chat(GALE_CHAT_BINARY, {"--max-connections", "12000"});
  chat.wait_ready("/", 20s);
  auto port = static_cast<std::uint16_t>(chat.port());
  const std::size_t rss_before = chat.rss();
  auto peers = loop.run_sync([&] { return open_sockets(port, kSockets); }, 120s);
  int upgraded = 0;
  for (auto& p : peers) upgraded += p.status() == 101;
  REQUIRE(upgraded == kSockets);
  auto m = loop.run_sync([&] { return chat.metrics(); }, 15s);
  CHECK(m["gale_websockets"] == kSockets);
  const std::size_t rss_after = chat.rss();
  auto ms = loop.run_sync([&] { return latencies(chat.url("/"), 1000); }, 60s);
  double p50 = percentile(ms, 50), p99 = percentile(ms, 99);
  std::printf(
      "[figures] %d idle WebSockets: chat RSS +%.0f bytes per socket; HTTP p50 %.2f ms, "
      "p99 %.2f ms\n",
      kSockets, static_cast<double>(rss_after - rss_before) / kSockets, p50, p99);
  CHECK(p99 < 50);
  // One message to all of them, posted over HTTP: every socket gets it.
  auto received = loop.run_sync(
      [&]() -> Future<int> {
        gale::web::HTTPRequest post;
        post.url = chat.url("/rooms/idle/messages");
        post.method = "POST";
        post.body = R"({"text": "to everyone"})";
        post.headers.add("Content-Type", "application/json");
        auto t0 = Clock::now();
        auto r = co_await gale::web::fetch(std::move(post));
        if (r.code != 201) co_return -1;
        int n = 0;
        for (auto& p : peers) {
          auto f = co_await p.read_frame(10s);
          n += f && f->payload.find("to everyone") != std::string::npos;
        }
        std::printf("[figures] one broadcast to %d sockets: all read within %.0f ms\n", n,
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        co_return n;
      },
      120s);
  CHECK(received == kSockets);
  CHECK(chat.alive());
}
