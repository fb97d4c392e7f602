// The crud program (examples/crud) as a process of its own, as a user runs it, on a free port:
// started with the arguments given, waited for until it serves, watched (alive, resident memory,
// open descriptors) and stopped with SIGTERM. Its output goes to a log file that failures show.
// GALE_CRUD_BINARY names the program (set by the tests' CMakeLists).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gale/loop/loop.hpp"
#include "gale/web/http_client.hpp"
#include "support/ports.hpp"

extern char** environ;

namespace gale::testing {

// Raises this process's soft limit on open files to the hard limit (children inherit it): a test
// that opens thousands of connections needs a descriptor for each, on both ends.
inline rlim_t raise_fd_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// Resident memory of a process in bytes (VmRSS), 0 when it is gone.
inline std::size_t rss_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

inline std::size_t open_fds(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  std::size_t n = 0;
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) ++n;
  return n;
}

// The samples of a Prometheus text page, each name summed over its labels.
inline std::map<std::string, double> parse_metrics(const std::string& page) {
  std::map<std::string, double> out;
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    auto name_end = std::min(line.find('{'), space);
    if (space == std::string::npos) continue;
    out[line.substr(0, name_end)] += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

class CrudProcess {
 public:
  // `args` come after the program's name; --port, --address and --log-level are added.
#ifdef GALE_CRUD_BINARY
  explicit CrudProcess(std::vector<std::string> args)
      : CrudProcess(GALE_CRUD_BINARY, std::move(args)) {}
#endif
  // Another example program (chat, techempower) run the same way.
  CrudProcess(std::string binary, std::vector<std::string> args) : port_(free_port()) {
    raise_fd_limit();
    log_ = std::filesystem::temp_directory_path() /
           ("gale-crud-" + std::to_string(getpid()) + "-" + std::to_string(port_) + ".log");
    args.insert(args.begin(), std::move(binary));
    for (const char* a : {"--port", "", "--address", "127.0.0.1", "--log-level", "warning"}) {
      args.emplace_back(*a ? a : std::to_string(port_));
    }
    spawn(args);
  }
  ~CrudProcess() {
    stop();
    std::error_code ec;
    std::filesystem::remove(log_, ec);
  }
  CrudProcess(const CrudProcess&) = delete;
  CrudProcess& operator=(const CrudProcess&) = delete;

  int port() const noexcept {
    return port_;
  }
  pid_t pid() const noexcept {
    return pid_;
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::size_t rss() const {
    return rss_bytes(pid_);
  }
  std::size_t fds() const {
    return open_fds(pid_);
  }

  // GET /metrics, parsed (parse_metrics); empty if it does not answer.
  gale::Future<std::map<std::string, double>> metrics() {
    gale::web::HTTPRequest r;
    r.url = url("/metrics");
    r.raise_error = false;
    r.request_timeout = std::chrono::seconds(10);
    try {
      auto response = co_await gale::web::fetch(std::move(r));
      co_return parse_metrics(response.body);
    } catch (const std::exception&) {
      co_return std::map<std::string, double>{};
    }
  }
  // Descriptors other than its HTTP connections and its database pool's connections (the
  // listening socket, epoll, timers, log...): constant unless something leaks. Not on the loop.
  long other_fds() {
    auto m =
        gale::IOLoop::current().run_sync([this] { return metrics(); }, std::chrono::seconds(15));
    auto all = static_cast<long>(fds());  // after the fetch: its kept-alive connection is counted
    return all - static_cast<long>(m["gale_http_connections"] + m["gale_pool_size"]);
  }

  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = status;
      pid_ = -1;
      return false;
    }
    return true;
  }

  // Waits (bounded) until GET /notes answers 200: the database client and schema are ready.
  void wait_ready(std::chrono::seconds limit = std::chrono::seconds(60)) {
    wait_ready("/notes?limit=1", limit);
  }
  // Waits (bounded) until GET `path` answers 200.
  void wait_ready(const std::string& path, std::chrono::seconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (!alive()) throw std::runtime_error("crud exited at start:\n" + log());
      if (get_status(path) == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("crud did not serve within the limit:\n" + log());
  }

  // SIGTERM (graceful), then SIGKILL if it lingers. Returns the exit status (-1: killed).
  int stop() {
    if (!alive()) return exit_status_;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 300 && alive(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (alive()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &exit_status_, 0);
      pid_ = -1;
      return -1;
    }
    return exit_status_;
  }

  // The program's output so far (its last 8 KiB).
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    return text.size() > 8192 ? text.substr(text.size() - 8192) : text;
  }

 private:
  void spawn(std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error(std::string("cannot start ") + argv[0]);
  }

  int get_status(const std::string& path) {
    try {
      gale::web::HTTPRequest r;
      r.url = url(path);
      r.raise_error = false;
      r.connect_timeout = std::chrono::seconds(1);
      r.request_timeout = std::chrono::seconds(5);
      return gale::IOLoop::current()
          .run_sync([&] { return gale::web::fetch(r); }, std::chrono::seconds(10))
          .code;
    } catch (const std::exception&) {
      return 0;
    }
  }

  int port_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::filesystem::path log_;
};

}  // namespace gale::testing
