// Graceful shutdown: requests in flight complete, idle connections close, new ones are refused;
// SIGTERM does all that and the process exits 0.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "gale/web/testing.hpp"
#include "raw_client.hpp"
#include "test_app.hpp"

using gale::testing::RawClient;
using gale::web::Application;
using gale::web::testing::ThreadedServer;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::atomic<int> g_started{0};

struct CountedSlow : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    ++g_started;
    co_await gale::sleep(std::chrono::milliseconds(std::stoi(get_argument("ms", "300"))));
    write_json({{"done", true}});
  }
};

std::vector<gale::web::Route> routes() {
  auto r = gale::testing::test_routes();
  r.push_back({"/counted", gale::web::handler<CountedSlow>()});
  return r;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

int wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  int status = 0;
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(10ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

}  // namespace

TEST_CASE("shutdown() lets requests in flight finish and closes idle connections", "[shutdown]") {
  Application app(routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  RawClient idle(server.port());
  idle.send("GET /echo/x HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(idle.read_response());
  g_started = 0;
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 10; ++i) {
    busy.push_back(std::make_unique<RawClient>(server.port()));
    busy.back()->send("GET /counted?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n");
  }
  REQUIRE(eventually([] { return g_started == 10; }));
  gale::Future<void> drained;
  server.call([&](gale::web::HTTPServer& s) { drained = s.shutdown(5s); });
  CHECK(idle.closed_by_peer());
  CHECK_THROWS(RawClient(server.port()));  // no longer accepting
  for (auto& c : busy) {
    auto r = c->read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(json::parse(r->body)["done"] == true);
    CHECK(r->header("Connection") == "close");
    CHECK(c->closed_by_peer());
  }
  bool done = false;
  REQUIRE(eventually([&] {
    server.call([&](gale::web::HTTPServer& s) { done = drained.done() && s.connections() == 0; });
    return done;
  }));
}

TEST_CASE("shutdown() closes what is left after the drain timeout", "[shutdown]") {
  Application app(routes(), gale::testing::quiet_settings());
  ThreadedServer server(app);
  g_started = 0;
  RawClient stuck(server.port());
  stuck.send("GET /counted?ms=5000 HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(eventually([] { return g_started == 1; }));
  auto t0 = std::chrono::steady_clock::now();
  server.call([&](gale::web::HTTPServer& s) { (void)s.shutdown(200ms); });
  CHECK(stuck.closed_by_peer());
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}

TEST_CASE("SIGTERM drains requests in flight and the process exits 0", "[shutdown]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    gale::IOLoop loop;
    loop.make_current();
    auto settings = gale::testing::quiet_settings();
    settings.handle_signals = true;
    Application app(routes(), settings);
    auto& server = app.listen(0, "127.0.0.1");
    std::uint16_t port = server.port();
    (void)!write(fds[1], &port, sizeof port);
    loop.start();  // returns after the graceful shutdown
    _exit(server.connections() == 0 ? 0 : 3);
  }
  close(fds[1]);
  std::uint16_t port = 0;
  REQUIRE(read(fds[0], &port, sizeof port) == sizeof port);
  close(fds[0]);
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 5; ++i) {
    busy.push_back(std::make_unique<RawClient>(port));
    busy.back()->send("GET /slow?ms=400 HTTP/1.1\r\nHost: t\r\n\r\n");
  }
  // Connections are accepted in order: once a later one is answered, the five are in.
  RawClient probe(port);
  probe.send("GET /echo/probe HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(probe.read_response());
  REQUIRE(kill(pid, SIGTERM) == 0);
  for (auto& c : busy) {
    auto r = c->read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Connection") == "close");
  }
  CHECK(wait_exit(pid, 10s) == 0);
}
