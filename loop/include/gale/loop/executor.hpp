// Executor: a bounded pool of threads for blocking or CPU-heavy work, so that nothing blocks the
// loop. Use it through IOLoop::run_in_executor(fn), which brings the result back to the loop.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gale/loop/unique_function.hpp"

namespace gale {

class Executor {
 public:
  struct Options {
    std::size_t threads = 0;       // 0: min(32, cores + 4), as Python's ThreadPoolExecutor
    std::size_t max_queue = 1024;  // tasks waiting for a thread; submit() refuses beyond
  };

  Executor();
  explicit Executor(Options options);
  // Shuts down: waits for running tasks, drops queued ones (their owners see them abandoned).
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task` and takes it; leaves it in place and returns false when the queue is full or the
  // executor is shut down.
  bool submit(Callback& task);
  void shutdown() noexcept;

  std::size_t thread_count() const noexcept { return threads_.size(); }
  std::size_t queued() const;
  // "executor queue is full: 1024 tasks waiting for 8 threads", for the error a refusal gives.
  std::string full_message() const;

 private:
  void work() noexcept;

  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Callback> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gale
