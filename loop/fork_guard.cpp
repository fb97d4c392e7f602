#include "gale/loop/fork_guard.hpp"

#include <pthread.h>

#include <atomic>
#include <string>

#include "gale/loop/error.hpp"

namespace gale {
namespace {

std::atomic<std::uint64_t> g_generation{0};

void after_fork_in_child() {
  g_generation.fetch_add(1, std::memory_order_relaxed);
}

const bool g_registered = [] {
  pthread_atfork(nullptr, nullptr, after_fork_in_child);
  return true;
}();

}  // namespace

std::uint64_t fork_generation() noexcept {
  (void)g_registered;
  return g_generation.load(std::memory_order_relaxed);
}

void ForkGuard::fail(std::string_view what) {
  throw Error(ErrorKind::internal,
              std::string(what) +
                  " was created before fork() and cannot be used in a forked worker: create "
                  "database clients after server.start(n), in each worker");
}

}  // namespace gale
