#include "gale/pool/pool_stats.hpp"

#include <stdexcept>

#include "gale/loop/error.hpp"
#include "gale/pool/pool_options.hpp"

namespace gale {

void WaitHistogram::record(std::chrono::steady_clock::duration wait) noexcept {
  double ms = std::chrono::duration<double, std::milli>(wait).count();
  std::size_t i = 0;
  while (i < kBoundsMs.size() && ms > kBoundsMs[i]) ++i;
  ++buckets_[i];
  ++count_;
  sum_ms_ += ms;
}

std::uint64_t WaitHistogram::cumulative(std::size_t i) const noexcept {
  std::uint64_t total = 0;
  for (std::size_t b = 0; b <= i && b < buckets_.size(); ++b) total += buckets_[b];
  return total;
}

void PoolOptions::validate() const {
  auto bad = [](const char* what) { throw Error(ErrorKind::invalid_argument, what); };
  if (max_size == 0) bad("pool max_size must be at least 1");
  if (min_size > max_size) bad("pool min_size must not exceed max_size");
  if (max_connecting == 0) bad("pool max_connecting must be at least 1");
  if (acquire_timeout <= duration::zero()) bad("pool acquire_timeout must be positive");
  if (backoff_initial <= duration::zero() || backoff_max < backoff_initial) {
    bad("pool backoff must be positive, with backoff_max >= backoff_initial");
  }
  if (maintenance_interval <= duration::zero()) bad("pool maintenance_interval must be positive");
}

}  // namespace gale
