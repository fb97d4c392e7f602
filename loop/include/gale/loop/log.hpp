// A small leveled logger in Tornado's format: "[W 261122 18:34:05.123 gale.loop] message".
// The level comes from GALE_LOG_LEVEL (debug, info, warning, error, off) or set_level(); the sink
// (stderr by default) can be replaced, e.g. by tests that assert on what was logged. Thread-safe.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string_view>
#include <utility>

namespace gale::log {

enum class Level { debug, info, warning, error, off };

Level level() noexcept;
void set_level(Level level) noexcept;
inline bool enabled(Level l) noexcept {
  return l >= level();
}

// Parses "debug", "info", "warning"/"warn", "error", "off"; throws gale::Error on anything else.
Level parse_level(std::string_view name);

using Sink = std::function<void(Level, std::string_view logger, std::string_view message)>;
// Replaces the sink; an empty Sink restores the default (stderr).
void set_sink(Sink sink);

void write(Level level, std::string_view logger, std::string_view message);

template <class... Args>
void emit(Level l, std::string_view logger, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(l)) write(l, logger, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(std::string_view logger, fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::debug, logger, f, std::forward<Args>(args)...);
}
template <class... Args>
void info(std::string_view logger, fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::info, logger, f, std::forward<Args>(args)...);
}
template <class... Args>
void warning(std::string_view logger, fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::warning, logger, f, std::forward<Args>(args)...);
}
template <class... Args>
void error(std::string_view logger, fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::error, logger, f, std::forward<Args>(args)...);
}

}  // namespace gale::log
