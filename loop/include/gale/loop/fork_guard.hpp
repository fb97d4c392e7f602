// ForkGuard: remembers the process a client was created in. server.start(n) forks workers; a client
// (its sockets, its pool, its loop) created before the fork must not be used after it, because the
// parent and the children would share its sockets. Clients call check() on each use.
#pragma once

#include <cstdint>
#include <string_view>

namespace gale {

// Counts the forks this process went through (0 in the original process).
std::uint64_t fork_generation() noexcept;

class ForkGuard {
 public:
  ForkGuard() noexcept : generation_(fork_generation()) {}

  // Throws Error(internal) naming `what` if the process forked since construction.
  void check(std::string_view what) const {
    if (generation_ != fork_generation()) fail(what);
  }

 private:
  [[noreturn]] static void fail(std::string_view what);
  std::uint64_t generation_;
};

}  // namespace gale
