#include "gale/loop/io_loop.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "gale/loop/detail/ready_queue.hpp"
#include "gale/loop/detail/run_guarded.hpp"
#include "gale/loop/detail/timer_queue.hpp"
#include "gale/loop/detail/watchdog.hpp"
#include "gale/loop/fork_guard.hpp"
#include "gale/loop/impl/step_tracking.hpp"
#include "gale/loop/log.hpp"

namespace gale {
namespace {

thread_local IOLoop* t_current = nullptr;

// The loops alive on this thread (oldest first) and the one current() made; one object, so that the
// made loop goes away while the list it must leave still exists.
struct ThreadLoops {
  std::vector<IOLoop*> alive;
  std::unique_ptr<IOLoop> owned;
  ~ThreadLoops() { owned.reset(); }
};
thread_local ThreadLoops t_loops;

}  // namespace

struct IOLoop::Impl {
  // One thread runs the context and uses its sockets: posts from that thread skip the scheduler's
  // lock, and socket operations skip the per-socket lock (UNSAFE_IO). Other threads reach the loop
  // only through posts (add_callback, the executor's results), which stay locked.
  asio::io_context context{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
  detail::TimerQueue timers{context};
  detail::ReadyQueue ready{context};
  detail::StepCounter steps;
  std::atomic<bool> stop_requested{false};
  bool running = false;
  std::vector<std::pair<const void*, std::shared_ptr<void>>> locals;
  std::shared_ptr<const void> alive = std::make_shared<char>(0);  // see IOLoop::alive()
  Clock::duration blocking_threshold{};
  std::unique_ptr<detail::Watchdog> watchdog;
  std::unique_ptr<Executor> executor;
  Executor::Options executor_options;
  // The process the threads above were started in. After fork() they do not exist in the child
  // (only the forking thread does), and their locks may be held forever: the child leaves those
  // objects alone, on purpose leaked, and starts its own.
  std::uint64_t threads_generation = fork_generation();
  // The process the context's epoll instance belongs to: a forked child needs one of its own.
  std::uint64_t context_generation = fork_generation();

  void forget_threads_after_fork() noexcept {
    if (threads_generation == fork_generation()) return;
    (void)watchdog.release();
    (void)executor.release();
    threads_generation = fork_generation();
  }

  void stop_watchdog() noexcept {
    forget_threads_after_fork();
    watchdog.reset();
  }

  void start_watchdog() {
    stop_watchdog();
    if (running && blocking_threshold > Clock::duration::zero()) {
      watchdog = std::make_unique<detail::Watchdog>(steps, pthread_self(), blocking_threshold);
    }
  }

  Executor& get_executor() {
    forget_threads_after_fork();
    if (!executor) executor = std::make_unique<Executor>(executor_options);
    return *executor;
  }
};

IOLoop::IOLoop() : impl_(std::make_unique<Impl>()) {
  t_loops.alive.push_back(this);
  t_current = this;
}

std::shared_ptr<void>& IOLoop::local(const void* key) {
  for (auto& [k, v] : impl_->locals) {
    if (k == key) return v;
  }
  return impl_->locals.emplace_back(key, nullptr).second;
}

IOLoop::~IOLoop() {
  IOLoop* previous = std::exchange(t_current, this);  // pending work is torn down against this loop
  closing_ = true;
  impl_->alive.reset();
  impl_->stop_watchdog();
  if (impl_->executor) impl_->executor->shutdown();
  impl_->locals.clear();  // while the io_context lives: their sockets close on it
  impl_->timers.clear();
  impl_->ready.destroy_all();
  impl_->work.reset();
  impl_.reset();  // destroys the io_context and the handlers still queued on it
  std::erase(t_loops.alive, this);
  if (previous != this) {
    t_current = previous;
  } else {
    t_current = t_loops.alive.empty() ? nullptr : t_loops.alive.back();
  }
}

IOLoop& IOLoop::current() {
  if (t_current == nullptr) {
    if (!t_loops.owned) t_loops.owned = std::make_unique<IOLoop>();
    t_current = t_loops.owned.get();
  }
  return *t_current;
}

IOLoop* IOLoop::current_or_null() noexcept {
  return t_current;
}

void IOLoop::make_current() noexcept {
  t_current = this;
}

void IOLoop::start() {
  if (impl_->running)
    throw Error(ErrorKind::internal, "IOLoop::start: the loop is already running");
  impl_->context.restart();
  if (impl_->context_generation != fork_generation()) {
    impl_->context.notify_fork(asio::execution_context::fork_child);  // a new epoll instance
    impl_->context_generation = fork_generation();
  }
  if (impl_->stop_requested.exchange(false)) return;
  IOLoop* previous = std::exchange(t_current, this);
  detail::StepCounter* previous_counter = std::exchange(detail::t_step_counter, &impl_->steps);
  impl_->running = true;
  impl_->start_watchdog();
  for (;;) {
    try {
      impl_->context.run();
      break;
    } catch (...) {  // a raw asio handler threw: log it and keep serving, as Tornado does
      log::error("gale.loop", "exception in an I/O handler: {}",
                 describe(std::current_exception()));
    }
  }
  impl_->stop_watchdog();
  impl_->running = false;
  impl_->stop_requested.store(false);
  detail::t_step_counter = previous_counter;
  t_current = previous;
}

void IOLoop::stop() noexcept {
  impl_->stop_requested.store(true);
  impl_->context.stop();
}

bool IOLoop::running() const noexcept {
  return impl_->running;
}

bool IOLoop::closing() const noexcept {
  return closing_;
}

std::weak_ptr<const void> IOLoop::alive() const noexcept {
  return closing_ ? std::weak_ptr<const void>() : impl_->alive;
}

// While the loop is being destroyed its queues are torn down (impl_ itself goes away): a callback
// scheduled then, by the destructor of a coroutine frame it destroys, could never run. It is
// dropped, as schedule_resume() destroys a coroutine instead of queueing it.
void IOLoop::add_callback(Callback fn) {
  if (closing_) return;
  asio::post(impl_->context,
             [fn = std::move(fn)]() mutable { detail::run_guarded(fn, "callback"); });
}

TimeoutHandle IOLoop::call_later(Clock::duration delay, Callback fn) {
  return call_at(Clock::now() + delay, std::move(fn));
}

TimeoutHandle IOLoop::call_at(Clock::time_point when, Callback fn) {
  if (closing_) return TimeoutHandle();
  return TimeoutHandle(impl_->timers.schedule(when, std::move(fn)));
}

std::size_t IOLoop::pending_timers() const noexcept {
  return impl_->timers.size();
}

Executor& IOLoop::executor() {
  return impl_->get_executor();
}

void IOLoop::configure_executor(Executor::Options options) {
  impl_->forget_threads_after_fork();
  if (impl_->executor) impl_->executor->shutdown();
  impl_->executor_options = options;
  impl_->executor = std::make_unique<Executor>(options);
}

void IOLoop::set_blocking_log_threshold(Clock::duration threshold) {
  impl_->blocking_threshold = threshold;
  impl_->start_watchdog();
}

asio::io_context& IOLoop::context() noexcept {
  return impl_->context;
}

TimeoutHandle::TimeoutHandle(const TimeoutHandle& other) noexcept : entry_(other.entry_) {
  if (entry_ != nullptr) entry_->add_ref();
}

TimeoutHandle::~TimeoutHandle() {
  if (entry_ != nullptr) entry_->release();
}

void TimeoutHandle::cancel() noexcept {
  if (entry_ != nullptr && entry_->queue != nullptr) entry_->queue->cancel(entry_);
}

bool TimeoutHandle::pending() const noexcept {
  return entry_ != nullptr && entry_->queue != nullptr;
}

namespace detail {

IOLoop* exchange_current_loop(IOLoop* loop) noexcept {
  return std::exchange(t_current, loop);
}

void schedule_resume(std::coroutine_handle<> handle) noexcept {
  IOLoop* loop = t_current;
  if (loop == nullptr) {
    handle.resume();  // no loop on this thread: nothing to schedule on
  } else if (loop->closing()) {
    handle.destroy();  // the loop is going away: the coroutine will never run again
  } else {
    loop->impl_->ready.push(handle);
  }
}

void schedule_callback(Callback callback) noexcept {
  IOLoop* loop = t_current;
  if (loop == nullptr) {
    run_guarded(callback, "done callback");
  } else if (!loop->closing()) {
    loop->add_callback(std::move(callback));
  }
}

void log_unobserved(const std::exception_ptr& error) noexcept {
  try {
    log::error("gale.loop", "Future exception was never retrieved: {}", describe(error));
  } catch (...) {
  }
}

void throw_pending_result() {
  throw Error(ErrorKind::internal, "the Future is not done yet: co_await it first");
}

void throw_already_resolved() {
  throw Error(ErrorKind::internal, "the Promise was already resolved");
}

void throw_invalid_future() {
  throw Error(ErrorKind::internal, "empty Future (default-constructed or moved from)");
}

std::exception_ptr abandoned_error() {
  return std::make_exception_ptr(
      Error(ErrorKind::internal, "the operation was abandoned before it produced a result"));
}

}  // namespace detail
}  // namespace gale
