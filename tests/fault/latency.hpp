// Latency samples of the fault tests: percentiles in milliseconds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <vector>

namespace fault {

class Latencies {
 public:
  void add(std::chrono::steady_clock::duration d) {
    ms_.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  std::size_t size() const noexcept { return ms_.size(); }
  // The p-th percentile (nearest rank), 0 < p <= 100; 0 without samples.
  double percentile(double p) const {
    if (ms_.empty()) return 0;
    std::vector<double> sorted = ms_;
    std::sort(sorted.begin(), sorted.end());
    auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
  }
  double max() const { return ms_.empty() ? 0 : *std::max_element(ms_.begin(), ms_.end()); }

 private:
  std::vector<double> ms_;
};

}  // namespace fault
