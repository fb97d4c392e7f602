// server.start(2): two worker processes share the port; a client created before the fork is
// refused in the workers, one created after works; SIGTERM to the supervisor stops everything.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <set>
#include <thread>

#include "gale/loop/fork_guard.hpp"
#include "gale/web/testing.hpp"
#include "raw_client.hpp"
#include "test_app.hpp"

using gale::testing::RawClient;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Stands in for a database client: it refuses use in a process forked after its creation.
struct StandInClient {
  gale::ForkGuard guard;
  std::string ping() const {
    guard.check("StandInClient");
    return "pong";
  }
};

std::shared_ptr<StandInClient> g_before_fork;

struct PidHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    write_json({{"pid", static_cast<int>(getpid())}, {"task", gale::web::HTTPServer::task_id()}});
    co_return;
  }
};

struct UseClientHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view which) override {
    if (which == "before") {
      write_json({{"ping", g_before_fork->ping()}});
    } else {
      StandInClient fresh;  // created in the worker: fine
      write_json({{"ping", fresh.ping()}});
    }
    co_return;
  }
};

struct CrashHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    _exit(3);  // a worker dying abnormally
  }
};

std::optional<gale::testing::RawResponse> get(std::uint16_t port, const std::string& path) {
  try {
    RawClient c(port, 2s);
    c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    return c.read_response();
  } catch (const std::exception&) {
    return std::nullopt;  // not listening yet
  }
}

int wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  int status = 0;
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(10ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

}  // namespace

TEST_CASE("start(2) serves on both workers, replaces a crashed one, refuses pre-fork clients",
          "[processes]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t supervisor = fork();
  REQUIRE(supervisor >= 0);
  if (supervisor == 0) {
    close(fds[0]);
    gale::IOLoop loop;
    loop.make_current();
    g_before_fork = std::make_shared<StandInClient>();
    auto settings = gale::testing::quiet_settings();
    settings.debug = true;  // the refusal's text reaches the client
    gale::web::Application app({{"/pid", gale::web::handler<PidHandler>()},
                                {"/client/{which}", gale::web::handler<UseClientHandler>()},
                                {"/crash", gale::web::handler<CrashHandler>()}},
                               settings);
    gale::web::HTTPServer server(app);
    server.bind(0, "127.0.0.1");
    std::uint16_t port = server.port();
    (void)!write(fds[1], &port, sizeof port);
    close(fds[1]);
    server.start(2);  // the supervisor stays in here; workers return
    server.install_signal_handlers();
    loop.start();
    _exit(0);
  }
  close(fds[1]);
  std::uint16_t port = 0;
  REQUIRE(read(fds[0], &port, sizeof port) == sizeof port);
  close(fds[0]);

  std::set<int> pids;
  std::set<int> tasks;
  auto until = std::chrono::steady_clock::now() + 10s;
  while (pids.size() < 2 && std::chrono::steady_clock::now() < until) {
    if (auto r = get(port, "/pid"); r && r->status == 200) {
      auto doc = json::parse(r->body);
      pids.insert(doc["pid"].get<int>());
      tasks.insert(doc["task"].get<int>());
    } else {
      std::this_thread::sleep_for(10ms);
    }
  }
  CHECK(pids.size() == 2);
  CHECK(pids.count(supervisor) == 0);
  CHECK(tasks == std::set<int>{0, 1});

  auto refused = get(port, "/client/before");
  REQUIRE(refused);
  CHECK(refused->status == 500);
  CHECK(json::parse(refused->body)["error"]["message"].get<std::string>().find(
            "StandInClient was created before fork()") != std::string::npos);
  auto fresh = get(port, "/client/after");
  REQUIRE(fresh);
  CHECK(fresh->status == 200);
  CHECK(json::parse(fresh->body)["ping"] == "pong");

  // A worker that dies is replaced by a new one.
  (void)get(port, "/crash");
  bool replaced = false;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!replaced && std::chrono::steady_clock::now() < deadline) {
    if (auto r = get(port, "/pid"); r && r->status == 200) {
      replaced = pids.count(json::parse(r->body)["pid"].get<int>()) == 0;
    }
    if (!replaced) std::this_thread::sleep_for(10ms);
  }
  CHECK(replaced);

  REQUIRE(kill(supervisor, SIGTERM) == 0);
  CHECK(wait_exit(supervisor, 15s) == 0);
  CHECK(!get(port, "/pid"));  // nothing listens any more
}
