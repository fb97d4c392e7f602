#include "gale/loop/detail/watchdog.hpp"

#include <cxxabi.h>
#include <execinfo.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>

#include "gale/loop/log.hpp"

namespace gale::detail {
namespace {

using namespace std::chrono;

// SIGURG: ignored by default, so a stray one can never kill the process.
constexpr int kStackSignal = SIGURG;
constexpr int kMaxFrames = 64;
constexpr int kSkippedFrames = 2;  // the signal handler and the kernel's signal trampoline

void* g_frames[kMaxFrames];
std::atomic<int> g_frame_count{-1};
std::mutex g_capture_mutex;  // one stack capture at a time, whichever loop asks

void on_stack_signal(int) {
  int saved_errno = errno;
  g_frame_count.store(backtrace(g_frames, kMaxFrames), std::memory_order_release);
  errno = saved_errno;
}

void install_handler_once() {
  static const bool installed = [] {
    void* warm[2];
    backtrace(warm, 2);  // loads the unwinder now, so that the signal handler never has to
    struct sigaction action {};
    action.sa_handler = on_stack_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(kStackSignal, &action, nullptr) == 0;
  }();
  (void)installed;
}

// "binary(_ZN4gale3fooEv+0x1a) [0x...]" -> "gale::foo()+0x1a  [binary]"
std::string readable_frame(const char* symbol) {
  std::string line(symbol);
  auto open = line.find('(');
  auto plus = line.find('+', open);
  if (open == std::string::npos || plus == std::string::npos || plus == open + 1) return line;
  std::string mangled = line.substr(open + 1, plus - open - 1);
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), &std::free);
  if (status != 0 || !name) return line;
  auto close = line.find(')', plus);
  std::string offset = line.substr(plus, close == std::string::npos ? 0 : close - plus);
  return std::string(name.get()) + offset + "  [" + line.substr(0, open) + "]";
}

std::string capture_stack(pthread_t thread) {
  std::lock_guard lock(g_capture_mutex);
  g_frame_count.store(-1, std::memory_order_relaxed);
  if (pthread_kill(thread, kStackSignal) != 0) return "  (the loop thread could not be signalled)";
  auto deadline = steady_clock::now() + 500ms;
  int count = -1;
  while ((count = g_frame_count.load(std::memory_order_acquire)) < 0) {
    if (steady_clock::now() > deadline) return "  (the loop thread did not answer in time)";
    std::this_thread::sleep_for(1ms);
  }
  std::unique_ptr<char*, decltype(&std::free)> symbols(backtrace_symbols(g_frames, count),
                                                       &std::free);
  std::string out;
  for (int i = kSkippedFrames; i < count; ++i) {
    out += fmt::format("\n  #{} {}", i - kSkippedFrames,
                       symbols ? readable_frame(symbols.get()[i]) : fmt::format("{}", g_frames[i]));
  }
  return out;
}

long long ms(steady_clock::duration d) {
  return duration_cast<milliseconds>(d).count();
}

}  // namespace

Watchdog::Watchdog(const StepCounter& counter, pthread_t loop_thread,
                   steady_clock::duration threshold)
    : counter_(counter), loop_thread_(loop_thread), threshold_(threshold) {
  install_handler_once();
  thread_ = std::thread([this] { run(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::run() {
  const auto period = std::clamp<steady_clock::duration>(threshold_ / 5, 1ms, 100ms);
  std::uint64_t seen = counter_.ticks.load(std::memory_order_relaxed);
  auto seen_at = steady_clock::now();
  std::uint64_t reported = 0;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    std::uint64_t tick = counter_.ticks.load(std::memory_order_relaxed);
    auto now = steady_clock::now();
    if (tick != seen) {
      if (reported != 0 && reported == seen) {
        log::warning("gale.loop", "IOLoop unblocked: the step held it for about {} ms",
                     ms(now - seen_at));
      }
      seen = tick;
      seen_at = now;
      continue;
    }
    bool in_step = (tick & 1) != 0;
    if (in_step && reported != tick && now - seen_at >= threshold_) {
      reported = tick;
      lock.unlock();
      report(now - seen_at, tick);
      lock.lock();
    }
  }
}

void Watchdog::report(steady_clock::duration blocked, std::uint64_t tick) {
  std::string stack = capture_stack(loop_thread_);
  bool moved_on = counter_.ticks.load(std::memory_order_relaxed) != tick;
  log::warning("gale.loop",
               "IOLoop blocked for {} ms (threshold {} ms) by one callback or coroutine step; "
               "stack of the loop thread{}:{}",
               ms(blocked), ms(threshold_),
               moved_on ? " (taken as the step ended, it may show the next one)" : "", stack);
}

}  // namespace gale::detail
