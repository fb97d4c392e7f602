#include "gale/pool/backoff.hpp"

#include <algorithm>

namespace gale {

Backoff::Backoff(duration initial, duration max)
    : initial_(initial), max_(max), random_(std::random_device{}()) {}

Backoff::duration Backoff::next() {
  ++failures_;
  duration ceiling = initial_;
  for (std::uint32_t i = 1; i < failures_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  std::uniform_int_distribution<duration::rep> pick(ceiling.count() / 2, ceiling.count());
  return duration(pick(random_));
}

}  // namespace gale
