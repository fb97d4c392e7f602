// The coroutines ready to resume on a loop. Resuming each through its own asio::post would make the
// io_context poll epoll between every two of them; instead they queue here and one posted handler
// resumes them in order, those they make ready included, up to a budget per turn so that I/O and
// timers still get their turn (as asyncio runs its ready queue once per iteration).
#pragma once

#include <asio/io_context.hpp>

#include <coroutine>
#include <cstddef>
#include <vector>

namespace gale::detail {

class ReadyQueue {
 public:
  // Coroutines resumed per turn before I/O is polled again.
  static constexpr std::size_t kBudget = 256;

  explicit ReadyQueue(asio::io_context& context) : context_(context) {}
  ~ReadyQueue() { destroy_all(); }
  ReadyQueue(const ReadyQueue&) = delete;
  ReadyQueue& operator=(const ReadyQueue&) = delete;

  void push(std::coroutine_handle<> handle);
  // Destroys the coroutines still queued (the loop is going away: they will never run).
  void destroy_all() noexcept;
  std::size_t size() const noexcept { return count_; }

 private:
  void drain();
  std::coroutine_handle<> pop() noexcept;
  void grow();

  asio::io_context& context_;
  std::vector<std::coroutine_handle<>> ring_ = std::vector<std::coroutine_handle<>>(64);
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  bool scheduled_ = false;
};

}  // namespace gale::detail
