// Start-up as a new user meets it: a bad option, a bad connection string, a database that is down
// while the schema is made, and --workers. Each failure is one line and a documented exit code
// (gale/loop/fatal_error.hpp), never std::terminate's abort.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gale/loop/fatal_error.hpp"
#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"
#include "support/env.hpp"
#include "support/ports.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;

struct Run {
  pid_t pid = -1;
  std::filesystem::path log;
};

Run start(std::vector<std::string> args) {
  static int n = 0;
  Run run;
  run.log = std::filesystem::temp_directory_path() /
            ("gale-startup-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".log");
  args.insert(args.begin(), GALE_STARTUP_APP);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, run.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int rc = posix_spawn(&run.pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return run;
}

// The exit status of the run, waiting at most `deadline`; -1 (and SIGKILL) if it is still running.
int wait_exit(const Run& run, std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  while (waitpid(run.pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > until) {
      kill(run.pid, SIGKILL);
      waitpid(run.pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(20ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The pids that answer /pid on `port`, asked `n` times over fresh connections.
std::set<long> pids_answering(int port, int n) {
  std::set<long> pids;
  auto& loop = gale::IOLoop::current();
  for (int i = 0; i < n; ++i) {
    gale::web::HTTPClient fresh;  // a new connection each time, so that each worker may take it
    gale::web::HTTPRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(port) + "/pid";
    r.connect_timeout = 1s;
    try {
      auto resp = loop.run_sync([&] { return fresh.fetch(r); }, 5s);
      pids.insert(resp.json()["pid"].get<long>());
    } catch (const gale::Error&) {
      std::this_thread::sleep_for(50ms);  // not listening yet
    }
    fresh.close();
  }
  return pids;
}

}  // namespace

TEST_CASE("A bad option is one line and exit code 2", "[newuser]") {
  Run run = start({"--port", "abc"});
  CHECK(wait_exit(run, 10s) == gale::kExitUsage);
  auto lines = lines_of(run.log);
  INFO(joined(lines));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("--port") != std::string::npos);
  CHECK(lines[0].find("abc") != std::string::npos);
}

TEST_CASE("A required URI left out is one line and exit code 2", "[newuser]") {
  Run run = start({"--require-pg"});
  CHECK(wait_exit(run, 10s) == gale::kExitUsage);
  auto lines = lines_of(run.log);
  INFO(joined(lines));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("a PostgreSQL URI is required: --pg-uri") != std::string::npos);
  CHECK(lines[0].find("(see --help)") != std::string::npos);
}

TEST_CASE("A malformed connection string is one fatal line and exit code 78", "[newuser]") {
  Run run = start({"--port", std::to_string(gale::testing::free_port()), "--address", "127.0.0.1",
                   "--pg-uri", "postgresql://app:secret@127.0.0.1:notaport/app"});
  CHECK(wait_exit(run, 20s) == gale::kExitConfig);
  auto lines = lines_of(run.log);
  INFO(joined(lines));
  std::vector<std::string> errors;
  for (const auto& l : lines) {
    if (l.starts_with("[E")) errors.push_back(l);
  }
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("gale] fatal: invalid_argument:") != std::string::npos);
  CHECK(errors[0].find("invalid port") != std::string::npos);
  CHECK(joined(lines).find("secret") == std::string::npos);  // never the password
  CHECK(joined(lines).find("terminate called") == std::string::npos);
  // The password on the command line is worth a warning: ps shows it.
  CHECK(joined(lines).find("--pg-uri carries a password on the command line") != std::string::npos);
}

TEST_CASE("A database that is down at start-up is one fatal line and exit code 69", "[newuser]") {
  int closed = gale::testing::free_port();  // nobody listens there
  Run run = start({"--port", std::to_string(gale::testing::free_port()), "--address", "127.0.0.1",
                   "--pg-uri",
                   "postgresql://app@127.0.0.1:" + std::to_string(closed) +
                       "/app?pool_acquire_timeout_ms=1000&connect_timeout=1"});
  CHECK(wait_exit(run, 30s) == gale::kExitUnavailable);
  auto lines = lines_of(run.log);
  INFO(joined(lines));
  std::size_t fatal = 0;
  for (const auto& l : lines) fatal += l.find("gale] fatal: unavailable:") != std::string::npos;
  CHECK(fatal == 1);
  CHECK(joined(lines).find("terminate called") == std::string::npos);
}

TEST_CASE("app.listen(options) honours --workers, and SIGTERM stops them all", "[newuser]") {
  int port = gale::testing::free_port();
  Run run = start({"--port", std::to_string(port), "--address", "127.0.0.1", "--workers", "2"});
  std::set<long> pids;
  auto until = std::chrono::steady_clock::now() + 30s;
  while (pids.size() < 2 && std::chrono::steady_clock::now() < until) {
    auto more = pids_answering(port, 20);
    pids.insert(more.begin(), more.end());
  }
  CHECK(pids.size() == 2);          // two worker processes answer
  CHECK(pids.count(run.pid) == 0);  // and not the supervising parent
  kill(run.pid, SIGTERM);
  CHECK(wait_exit(run, 30s) == 0);
}

TEST_CASE("With --workers, a start-up failure stops the service with its exit code, not restarts",
          "[newuser]") {
  Run run = start({"--port", std::to_string(gale::testing::free_port()), "--address", "127.0.0.1",
                   "--workers", "2", "--pg-uri", "postgresql://app@127.0.0.1:notaport/app"});
  CHECK(wait_exit(run, 30s) == gale::kExitConfig);
  auto lines = lines_of(run.log);
  INFO(joined(lines));
  std::size_t fatal = 0;
  std::size_t restarts = 0;
  for (const auto& l : lines) {
    fatal += l.find("gale] fatal: invalid_argument:") != std::string::npos;
    restarts += l.find("exited with status") != std::string::npos;
  }
  CHECK(fatal >= 1);
  CHECK(fatal <= 2);  // one per worker at most: the supervisor did not start new ones
  CHECK(restarts == 0);
  CHECK(joined(lines).find("cannot run (exit status 78)") != std::string::npos);
}
