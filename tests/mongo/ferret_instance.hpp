// A FerretDB of the test's own (SQLite handler, its own ports and state directory), for tests
// that need auth, TLS, or to kill and restart the server: the shared one stays untouched.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/ports.hpp"

extern char** environ;

namespace gale::testing {

inline std::string ferretdb_binary() {
  if (const char* b = std::getenv("GALE_FERRETDB_BIN"); b && *b) return b;
  std::string gopath;
  if (FILE* p = popen("go env GOPATH 2>/dev/null", "r")) {
    char buf[512];
    if (fgets(buf, sizeof buf, p)) gopath = buf;
    pclose(p);
  }
  while (!gopath.empty() && (gopath.back() == '\n' || gopath.back() == '\r')) gopath.pop_back();
  if (gopath.empty())
    gopath = std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") + "/go";
  return gopath + "/bin/ferretdb";
}

class FerretInstance {
 public:
  explicit FerretInstance(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
    dir_ = std::filesystem::temp_directory_path() /
           ("gale-ferret-" + std::to_string(getpid()) + "-" + std::to_string(free_port()));
    std::filesystem::create_directories(dir_ / "data");
    port_ = free_port();
    start();
  }
  ~FerretInstance() {
    stop(SIGTERM);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  FerretInstance(const FerretInstance&) = delete;
  FerretInstance& operator=(const FerretInstance&) = delete;

  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string uri(const std::string& userinfo = "", const std::string& options = "") const {
    return "mongodb://" + userinfo + "127.0.0.1:" + std::to_string(port_) + "/" +
           (options.empty() ? "" : "?" + options);
  }

  // Starts FerretDB and waits (bounded) until `wait_port` (the plain port by default) accepts.
  void start(int wait_port = 0) {
    std::vector<std::string> args = {ferretdb_binary(),
                                     "--handler=sqlite",
                                     "--sqlite-url=file:" + (dir_ / "data").string() + "/",
                                     "--listen-addr=127.0.0.1:" + std::to_string(port_),
                                     "--state-dir=" + dir_.string(),
                                     "--debug-addr=-",
                                     "--telemetry=disable",
                                     "--log-level=error"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    std::string log = (dir_ / "ferretdb.log").string();
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
      posix_spawn_file_actions_destroy(&fa);
      throw std::runtime_error("cannot start " + args[0]);
    }
    posix_spawn_file_actions_destroy(&fa);
    int wait_for = wait_port ? wait_port : port_;
    // Polled every 10 ms: fault tests measure recovery from the moment this returns.
    for (int i = 0; i < 1500; ++i) {
      if (port_open(wait_for)) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("FerretDB exited at start; see " + log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("FerretDB did not listen within 15 s; see " + log);
  }

  void stop(int signal = SIGKILL) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::vector<std::string> extra_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace gale::testing
