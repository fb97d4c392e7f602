// The blocking watchdog behind IOLoop::set_blocking_log_threshold: a thread that samples the loop's
// step counter and, when one step holds the loop longer than the threshold, takes the loop thread's
// stack (with a signal, as Tornado's set_blocking_signal_threshold does) and logs it.
#pragma once

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gale/loop/impl/step_tracking.hpp"

namespace gale::detail {

class Watchdog {
 public:
  Watchdog(const StepCounter& counter, pthread_t loop_thread,
           std::chrono::steady_clock::duration threshold);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void run();
  void report(std::chrono::steady_clock::duration blocked, std::uint64_t tick);

  const StepCounter& counter_;
  pthread_t loop_thread_;
  std::chrono::steady_clock::duration threshold_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gale::detail
