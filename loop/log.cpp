#include "gale/loop/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

#include "gale/loop/error.hpp"

namespace gale::log {
namespace {

Level level_from_env() noexcept {
  const char* env = std::getenv("GALE_LOG_LEVEL");
  if (env == nullptr || *env == '\0') return Level::info;
  try {
    return parse_level(env);
  } catch (...) {
    return Level::info;
  }
}

std::atomic<Level>& level_ref() noexcept {
  static std::atomic<Level> value{level_from_env()};
  return value;
}

struct SinkHolder {
  std::mutex mutex;
  Sink sink;
};

SinkHolder& sink_holder() {
  static SinkHolder holder;
  return holder;
}

char level_letter(Level l) noexcept {
  switch (l) {
    case Level::debug:
      return 'D';
    case Level::info:
      return 'I';
    case Level::warning:
      return 'W';
    case Level::error:
      return 'E';
    case Level::off:
      break;
  }
  return '?';
}

void write_stderr(Level l, std::string_view logger, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%y%m%d %H:%M:%S", &tm);
  std::string line = fmt::format("[{} {}.{:03d} {}] {}\n", level_letter(l), stamp,
                                 static_cast<int>(millis.count()), logger, message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

Level level() noexcept {
  return level_ref().load(std::memory_order_relaxed);
}

void set_level(Level l) noexcept {
  level_ref().store(l, std::memory_order_relaxed);
}

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warning" || name == "warn") return Level::warning;
  if (name == "error") return Level::error;
  if (name == "off" || name == "none") return Level::off;
  throw Error(ErrorKind::invalid_argument,
              "unknown log level '" + std::string(name) + "' (debug, info, warning, error, off)");
}

void set_sink(Sink sink) {
  auto& holder = sink_holder();
  std::lock_guard lock(holder.mutex);
  holder.sink = std::move(sink);
}

void write(Level l, std::string_view logger, std::string_view message) {
  auto& holder = sink_holder();
  std::lock_guard lock(holder.mutex);
  if (holder.sink) {
    holder.sink(l, logger, message);
  } else {
    write_stderr(l, logger, message);
  }
}

}  // namespace gale::log
