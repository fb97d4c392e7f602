// A mongo-java-server of the test's own (scripts/mongo-java-server's launcher with its H2 backend:
// data and oplog in a file, on a port and in a temporary directory of its own), for tests that
// kill it and start it again on the same port and file. The shared one stays untouched.
//
// The launcher's classpath is the file that scripts/services builds and names in
// GALE_TEST_MONGO_JAVA_CLASSPATH; java_classpath() gives nullopt, after saying why (say_skip),
// when it is unset or unreadable or when there is no `java` on PATH.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/ports.hpp"
#include "support/server_skips.hpp"

extern char** environ;

namespace gale::testing {

// The launcher's classpath, or nullopt after saying why the case is skipped.
inline std::optional<std::string> java_classpath() {
  const char* server = "mongo-java-server (H2, its own)";
  const char* file = std::getenv("GALE_TEST_MONGO_JAVA_CLASSPATH");
  if (file == nullptr || *file == '\0') {
    say_skip(server, "GALE_TEST_MONGO_JAVA_CLASSPATH is not set: start scripts/services");
    return std::nullopt;
  }
  std::ifstream in(file);
  std::string classpath;
  std::getline(in, classpath);
  if (classpath.empty()) {
    say_skip(server, std::string("no classpath in ") + file + ": run scripts/services start");
    return std::nullopt;
  }
  if (std::system("command -v java > /dev/null 2>&1") != 0) {
    say_skip(server, "no java on PATH: run scripts/install-deps");
    return std::nullopt;
  }
  return classpath;
}

class JavaServerInstance {
 public:
  explicit JavaServerInstance(std::string classpath) : classpath_(std::move(classpath)) {
    dir_ = std::filesystem::temp_directory_path() /
           ("gale-java-" + std::to_string(getpid()) + "-" + std::to_string(free_port()));
    std::filesystem::create_directories(dir_);
    port_ = free_port();
    spawn();
    for (int i = 0; i < 3000 && !ready(); ++i) {  // polled every 10 ms, up to 30 s
      if (!running()) throw std::runtime_error("mongo-java-server exited at start; see " + log());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!ready()) throw std::runtime_error("mongo-java-server did not listen; see " + log());
  }
  ~JavaServerInstance() {
    kill_now(SIGTERM);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  JavaServerInstance(const JavaServerInstance&) = delete;
  JavaServerInstance& operator=(const JavaServerInstance&) = delete;

  int port() const { return port_; }
  std::string uri(const std::string& options = "") const {
    return "mongodb://127.0.0.1:" + std::to_string(port_) + "/" +
           (options.empty() ? "" : "?" + options);
  }
  // The log of the latest start (each start has its own).
  std::string log() const {
    return (dir_ / ("server-" + std::to_string(starts_) + ".log")).string();
  }
  std::string log_text() const {
    std::ifstream in(log());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  int starts() const { return starts_; }

  // Starts the server on the port and file (returns at once: poll ready()).
  void spawn() {
    ++starts_;
    std::vector<std::string> args = {"java",
                                     "-Xmx256m",
                                     "-XX:+UseSerialGC",
                                     "-XX:TieredStopAtLevel=1",
                                     "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                     "-cp",
                                     classpath_,
                                     "GaleMongoJavaServer",
                                     std::to_string(port_),
                                     "--h2",
                                     (dir_ / "data.mv.db").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string path = log();
    posix_spawn_file_actions_addopen(&fa, 1, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    const int rc = posix_spawnp(&pid_, "java", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("cannot start java");
    }
  }

  // Listening: the launcher said it bound the port (a port open before that is someone else's).
  bool ready() const {
    return log_text().find("mongo-java-server listening on") != std::string::npos &&
           port_open(port_);
  }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  // Sends `signal` and reaps the process (SIGKILL after 10 s if it is still there).
  void kill_now(int signal = SIGKILL) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    for (int i = 0; i < 1000; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::string classpath_;
  std::filesystem::path dir_;
  int port_ = 0;
  int starts_ = 0;
  pid_t pid_ = -1;
};

}  // namespace gale::testing
