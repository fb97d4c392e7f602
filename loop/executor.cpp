#include "gale/loop/executor.hpp"

#include <algorithm>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"

namespace gale {

namespace {
std::size_t default_threads() {
  std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return std::min<std::size_t>(32, cores + 4);
}
}  // namespace

Executor::Executor() : Executor(Options{}) {}

Executor::Executor(Options options) : options_(options) {
  if (options_.threads == 0) options_.threads = default_threads();
  if (options_.max_queue == 0) {
    throw Error(ErrorKind::invalid_argument, "Executor: max_queue must be at least 1");
  }
  threads_.reserve(options_.threads);
  for (std::size_t i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { work(); });
}

Executor::~Executor() {
  shutdown();
}

bool Executor::submit(Callback& task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue) return false;
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

void Executor::shutdown() noexcept {
  std::deque<Callback> dropped;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    dropped.swap(queue_);
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
  // `dropped` is destroyed here, on the thread that shut the executor down.
}

std::size_t Executor::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::string Executor::full_message() const {
  std::lock_guard lock(mutex_);
  if (stopping_) return "executor is shut down";
  return fmt::format("executor queue is full: {} tasks waiting for {} threads", queue_.size(),
                     threads_.size());
}

void Executor::work() noexcept {
  for (;;) {
    Callback task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (...) {
      log::error("gale.executor", "task failed outside its Future: {}",
                 describe(std::current_exception()));
    }
  }
}

}  // namespace gale
