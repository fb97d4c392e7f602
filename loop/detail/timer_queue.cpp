#include "gale/loop/detail/timer_queue.hpp"

#include <utility>

#include "gale/loop/detail/run_guarded.hpp"
#include "gale/loop/impl/step_tracking.hpp"

namespace gale::detail {

using Clock = std::chrono::steady_clock;

TimerQueue::TimerQueue(asio::io_context& context) : timer_(context) {}

TimerQueue::~TimerQueue() {
  clear();
}

TimerEntry* TimerQueue::schedule(Clock::time_point when, Callback fn) {
  auto* entry = new TimerEntry{when, next_seq_++, std::move(fn), this};
  entry->add_ref();  // one for the heap, one for the caller's handle
  heap_.push_back(entry);
  place(entry, heap_.size() - 1);
  sift_up(entry->index);
  if (entry->index == 0 && when < armed_at_) arm();
  return entry;
}

void TimerQueue::cancel(TimerEntry* entry) noexcept {
  if (entry->queue != this) return;
  entry->queue = nullptr;
  Callback fn = std::move(entry->fn);  // destroyed after the heap is consistent again
  if (entry->index != TimerEntry::npos) remove_at(entry->index)->release();
}

void TimerQueue::clear() noexcept {
  while (!heap_.empty()) {
    TimerEntry* entry = remove_at(heap_.size() - 1);
    entry->queue = nullptr;
    Callback fn = std::move(entry->fn);
    entry->release();
  }
}

void TimerQueue::place(TimerEntry* entry, std::size_t index) noexcept {
  heap_[index] = entry;
  entry->index = index;
}

void TimerQueue::sift_up(std::size_t index) noexcept {
  TimerEntry* entry = heap_[index];
  while (index > 0) {
    std::size_t parent = (index - 1) / 2;
    if (!before(entry, heap_[parent])) break;
    place(heap_[parent], index);
    index = parent;
  }
  place(entry, index);
}

void TimerQueue::sift_down(std::size_t index) noexcept {
  TimerEntry* entry = heap_[index];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * index + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], entry)) break;
    place(heap_[child], index);
    index = child;
  }
  place(entry, index);
}

TimerEntry* TimerQueue::remove_at(std::size_t index) noexcept {
  TimerEntry* removed = heap_[index];
  TimerEntry* last = heap_.back();
  heap_.pop_back();
  removed->index = TimerEntry::npos;
  if (last != removed) {
    place(last, index);
    if (index > 0 && before(last, heap_[(index - 1) / 2])) {
      sift_up(index);
    } else {
      sift_down(index);
    }
  }
  return removed;
}

void TimerQueue::arm() {
  if (heap_.empty()) return;
  armed_at_ = heap_.front()->when;
  timer_.expires_at(armed_at_);  // aborts the wait armed before, if any
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec != asio::error::operation_aborted) on_expiry();
  });
}

void TimerQueue::on_expiry() {
  armed_at_ = Clock::time_point::max();
  const auto now = Clock::now();
  due_.clear();
  while (!heap_.empty() && heap_.front()->when <= now) due_.push_back(remove_at(0));
  std::vector<TimerEntry*> due = std::move(due_);
  for (TimerEntry* entry : due) {
    if (entry->queue == this) {  // not cancelled by an earlier callback of this batch
      entry->queue = nullptr;
      Callback fn = std::move(entry->fn);
      run_guarded(fn, "timer callback");
      step_boundary();
    }
    entry->release();
  }
  due.clear();
  due_ = std::move(due);  // keep the capacity
  arm();
}

}  // namespace gale::detail
