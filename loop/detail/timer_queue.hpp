// The loop's timers: a binary heap ordered by (deadline, insertion order), so timers due at the
// same instant run in the order they were added, with one asio::steady_timer armed at the earliest.
// Cancelling removes the entry from the heap at once, so cancelled timeouts cost no memory.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "gale/loop/unique_function.hpp"

namespace gale::detail {

class TimerQueue;

struct TimerEntry {
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

  std::chrono::steady_clock::time_point when;
  std::uint64_t seq = 0;
  Callback fn;
  TimerQueue* queue = nullptr;  // null once run, cancelled, or the queue is gone
  std::size_t index = npos;     // position in the heap
  std::uint32_t refs = 1;

  void add_ref() noexcept { ++refs; }
  void release() noexcept {
    if (--refs == 0) delete this;
  }
};

class TimerQueue {
 public:
  explicit TimerQueue(asio::io_context& context);
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Returns the new entry with one reference for the caller's handle.
  TimerEntry* schedule(std::chrono::steady_clock::time_point when, Callback fn);
  void cancel(TimerEntry* entry) noexcept;
  std::size_t size() const noexcept { return heap_.size(); }
  // Drops every pending timer (when the loop closes).
  void clear() noexcept;

 private:
  static bool before(const TimerEntry* a, const TimerEntry* b) noexcept {
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
  }
  void place(TimerEntry* entry, std::size_t index) noexcept;
  void sift_up(std::size_t index) noexcept;
  void sift_down(std::size_t index) noexcept;
  TimerEntry* remove_at(std::size_t index) noexcept;
  void arm();
  void on_expiry();

  asio::steady_timer timer_;
  std::vector<TimerEntry*> heap_;
  std::vector<TimerEntry*> due_;
  std::chrono::steady_clock::time_point armed_at_ = std::chrono::steady_clock::time_point::max();
  std::uint64_t next_seq_ = 0;
};

}  // namespace gale::detail
