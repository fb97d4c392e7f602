// PoolStats: what a pool holds and has done, for logs, tests and /metrics.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gale {

// Acquire waits, counted in buckets (Prometheus style: each count is of waits <= its bound).
class WaitHistogram {
 public:
  static constexpr std::array<double, 10> kBoundsMs = {0.1, 0.5, 1,   5,    10,
                                                       50,  100, 500, 1000, 5000};

  void record(std::chrono::steady_clock::duration wait) noexcept;
  // Waits <= kBoundsMs[i], cumulative; index kBoundsMs.size() counts every wait (+Inf).
  std::uint64_t cumulative(std::size_t i) const noexcept;
  std::uint64_t count() const noexcept { return count_; }
  double sum_ms() const noexcept { return sum_ms_; }

 private:
  std::array<std::uint64_t, kBoundsMs.size() + 1> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ms_ = 0;
};

struct PoolStats {
  std::string name;
  std::size_t max_size = 0;
  std::size_t size = 0;  // open connections: idle + in use
  std::size_t idle = 0;
  std::size_t in_use = 0;
  std::size_t connecting = 0;
  std::size_t waiting = 0;
  std::uint64_t acquires = 0;
  std::uint64_t acquire_timeouts = 0;
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t discarded = 0;  // closed because broken, stale, too old or idle too long
  std::string last_connect_error;
  WaitHistogram acquire_wait;
};

}  // namespace gale
