#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <thread>

#include "gale/loop/error.hpp"
#include "gale/loop/fork_guard.hpp"
#include "gale/loop/loop.hpp"

TEST_CASE("ForkGuard refuses use after fork, in the child only", "[fork_guard]") {
  gale::ForkGuard guard;
  CHECK_NOTHROW(guard.check("the test client"));
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 3;
    try {
      guard.check("the test client");
      code = 1;  // not refused
    } catch (const gale::Error& e) {
      code = std::string(e.what()).find("created before fork()") != std::string::npos ? 0 : 2;
    }
    gale::ForkGuard fresh;  // a client created in the child is fine there
    try {
      fresh.check("fresh");
    } catch (...) {
      code = 4;
    }
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_NOTHROW(guard.check("the test client"));  // the parent is unaffected
}

TEST_CASE("a loop used in a forked child gets threads and an epoll of its own", "[fork_guard]") {
  using namespace std::chrono_literals;
#if defined(__SANITIZE_THREAD__)
  WARN("skipped under TSan, which cannot start threads after a multi-threaded fork");
  return;
#endif
  gale::IOLoop loop;
  loop.set_blocking_log_threshold(1s);
  int before = loop.run_sync([&] { return loop.run_in_executor([] { return 1; }); });
  REQUIRE(before == 1);  // the executor's threads run in this process
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 1;
    try {
      // Without new threads this would wait forever: the parent's threads are not in the child.
      int v = loop.run_sync([&] { return loop.run_in_executor([] { return 41 + 1; }); }, 5s);
      loop.run_sync([] { return gale::sleep(5ms); }, 5s);
      code = v == 42 ? 0 : 2;
    } catch (...) {
      code = 3;
    }
    _exit(code);
  }
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  if (done == 0) kill(pid, SIGKILL);
  REQUIRE(done == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(loop.run_sync([&] { return loop.run_in_executor([] { return 7; }); }, 5s) == 7);
}
