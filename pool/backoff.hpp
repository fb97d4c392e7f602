// Exponential backoff with jitter for reconnects: after n failures in a row, a delay drawn
// uniformly from [d/2, d] where d = min(max, initial * 2^(n-1)). Reset on success.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace gale {

class Backoff {
 public:
  using duration = std::chrono::steady_clock::duration;

  Backoff(duration initial, duration max);

  duration next();  // counts a failure and gives the delay before the next attempt
  void reset() noexcept { failures_ = 0; }
  std::uint32_t failures() const noexcept { return failures_; }

 private:
  duration initial_;
  duration max_;
  std::uint32_t failures_ = 0;
  std::minstd_rand random_;
};

}  // namespace gale
