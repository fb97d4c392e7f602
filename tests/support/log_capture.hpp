// Captures what gale logs while it is alive, so that tests can assert on it.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/loop/log.hpp"

namespace gale::testing {

class LogCapture {
 public:
  LogCapture() {
    log::set_sink([this](log::Level level, std::string_view logger, std::string_view message) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(level, std::string(logger) + ": " + std::string(message));
    });
  }
  ~LogCapture() { log::set_sink({}); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // The first captured line that contains `needle` (at `level` or above), or "".
  std::string find(std::string_view needle, log::Level level = log::Level::debug) const {
    std::lock_guard lock(mutex_);
    for (const auto& [l, line] : lines_) {
      if (l >= level && line.find(needle) != std::string::npos) return line;
    }
    return {};
  }
  bool contains(std::string_view needle, log::Level level = log::Level::debug) const {
    return !find(needle, level).empty();
  }
  // Every captured line that contains `needle`.
  std::vector<std::string> lines(std::string_view needle) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& entry : lines_) {
      if (entry.second.find(needle) != std::string::npos) out.push_back(entry.second);
    }
    return out;
  }
  std::size_t count(std::string_view needle) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& entry : lines_) n += entry.second.find(needle) != std::string::npos;
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<log::Level, std::string>> lines_;
};

}  // namespace gale::testing
