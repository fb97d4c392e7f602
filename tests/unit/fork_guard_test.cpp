#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "gale/loop/error.hpp"
#include "gale/loop/fork_guard.hpp"

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
