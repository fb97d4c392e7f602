#include "gale/pool/pool.hpp"

#include <fmt/format.h>

namespace gale::detail {

std::string pool_wait_message(const PoolStats& stats, Clock::duration waited) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(waited).count();
  std::string message =
      fmt::format("no {} connection free after {} ms: {} of {} in use, {} opening, {} waiting",
                  stats.name, ms, stats.in_use, stats.max_size, stats.connecting, stats.waiting);
  if (stats.size == 0 && !stats.last_connect_error.empty()) {
    message += fmt::format(" (none open; last connect error: {})", stats.last_connect_error);
  }
  return message;
}

Error pool_unavailable(const std::string& message) {
  return Error(ErrorKind::unavailable, message, std::string(kDatabaseUnavailable));
}

}  // namespace gale::detail
