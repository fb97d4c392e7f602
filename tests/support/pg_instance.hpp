// A PostgreSQL cluster of the test's own (scripts/pg-instance), for tests that kill the server:
// the shared cluster of scripts/services, which other tests use meanwhile, stays untouched.
// GALE_SOURCE_DIR names the checkout (set by the tests' CMakeLists).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "support/ports.hpp"

namespace gale::testing {

class PgInstance {
 public:
  PgInstance() : port_(free_port()) {
    // Under /tmp: the postgres user must reach it.
    dir_ = "/tmp/gale-pg-instance-" + std::to_string(getpid()) + "-" + std::to_string(port_);
    start();
  }
  ~PgInstance() { (void)run("remove " + dir_); }
  PgInstance(const PgInstance&) = delete;
  PgInstance& operator=(const PgInstance&) = delete;

  int port() const noexcept { return port_; }
  // postgresql://gale:gale@127.0.0.1:PORT/gale, then `?query` when given.
  std::string uri(const std::string& query = "") const {
    return "postgresql://gale:gale@127.0.0.1:" + std::to_string(port_) + "/gale" +
           (query.empty() ? "" : "?" + query);
  }

  // Starts it (crash recovery after kill()) and waits until it accepts connections. Blocks.
  void start() {
    if (run("start " + dir_ + " " + std::to_string(port_)) != 0) {
      throw std::runtime_error("scripts/pg-instance start failed (see " + dir_ + ")");
    }
  }
  // SIGKILL to the postmaster and every process of the cluster at once. Blocks.
  void kill() {
    if (run("kill " + dir_) != 0) throw std::runtime_error("scripts/pg-instance kill failed");
  }

 private:
  static int run(const std::string& args) {
    std::string cmd =
        std::string(GALE_SOURCE_DIR) + "/scripts/pg-instance " + args + " > /dev/null";
    return std::system(cmd.c_str());
  }

  int port_;
  std::string dir_;
};

}  // namespace gale::testing
