#include "gale/loop/detail/ready_queue.hpp"

#include <asio/post.hpp>

#include "gale/loop/impl/step_tracking.hpp"

namespace gale::detail {

void ReadyQueue::push(std::coroutine_handle<> handle) {
  if (count_ == ring_.size()) grow();
  ring_[(head_ + count_) % ring_.size()] = handle;
  ++count_;
  if (!scheduled_) {
    scheduled_ = true;
    asio::post(context_, [this] { drain(); });
  }
}

std::coroutine_handle<> ReadyQueue::pop() noexcept {
  std::coroutine_handle<> handle = ring_[head_];
  head_ = (head_ + 1) % ring_.size();
  --count_;
  return handle;
}

void ReadyQueue::grow() {
  std::vector<std::coroutine_handle<>> bigger(ring_.size() * 2);
  for (std::size_t i = 0; i < count_; ++i) bigger[i] = ring_[(head_ + i) % ring_.size()];
  ring_ = std::move(bigger);
  head_ = 0;
}

void ReadyQueue::drain() {
  for (std::size_t turn = 0; turn < kBudget && count_ > 0; ++turn) {
    if (turn > 0) step_boundary();  // each resumption is a step of its own for the watchdog
    pop().resume();
  }
  scheduled_ = false;
  if (count_ > 0) {
    scheduled_ = true;
    asio::post(context_, [this] { drain(); });  // behind the I/O that is ready by now
  }
}

void ReadyQueue::destroy_all() noexcept {
  while (count_ > 0) pop().destroy();
}

}  // namespace gale::detail
