// Step tracking: every handler the io_context runs is a "step" of the loop. Asio's custom handler
// tracking hooks (ASIO_CUSTOM_HANDLER_TRACKING, set for every target that links gale_loop) call
// step_enter()/step_leave() around each handler, so the blocking watchdog can tell a loop waiting
// for events from a loop stuck inside one handler, whoever wrote the handler.
//
// The loop thread publishes a counter: odd while inside a step, even while idle; callbacks run back
// to back inside one handler (due timers) add 2 at each boundary. The watchdog thread only reads
// it.
#pragma once

#include <atomic>
#include <cstdint>

namespace gale::detail {

struct StepCounter {
  std::atomic<std::uint64_t> ticks{0};

  void bump(std::uint64_t by) noexcept {
    ticks.store(ticks.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
};

// The running loop's counter on its thread, null elsewhere.
inline thread_local StepCounter* t_step_counter = nullptr;
inline thread_local unsigned t_step_depth = 0;

inline void step_enter() noexcept {
  if (StepCounter* c = t_step_counter) c->bump(t_step_depth++ == 0 ? 1 : 2);
}
inline void step_leave() noexcept {
  if (StepCounter* c = t_step_counter) {
    if (--t_step_depth == 0) c->bump(1);
  }
}
// Between two callbacks run inside one handler.
inline void step_boundary() noexcept {
  if (StepCounter* c = t_step_counter) c->bump(2);
}

namespace asio_hooks {

struct tracked_handler {};

class completion {
 public:
  template <class Handler>
  explicit completion(const Handler&) noexcept {}
  completion(const completion&) = delete;
  completion& operator=(const completion&) = delete;
  ~completion() { invocation_end(); }

  template <class... Args>
  void invocation_begin(const Args&...) noexcept {
    step_enter();
    active_ = true;
  }
  void invocation_end() noexcept {
    if (active_) {
      active_ = false;
      step_leave();
    }
  }

 private:
  bool active_ = false;
};

}  // namespace asio_hooks
}  // namespace gale::detail

#define ASIO_INHERIT_TRACKED_HANDLER : public ::gale::detail::asio_hooks::tracked_handler
#define ASIO_ALSO_INHERIT_TRACKED_HANDLER , public ::gale::detail::asio_hooks::tracked_handler
#define ASIO_HANDLER_TRACKING_INIT (void)0
#define ASIO_HANDLER_LOCATION(args) (void)0
#define ASIO_HANDLER_CREATION(args) (void)0
#define ASIO_HANDLER_COMPLETION(args) ::gale::detail::asio_hooks::completion tracked_completion args
#define ASIO_HANDLER_INVOCATION_BEGIN(args) tracked_completion.invocation_begin args
#define ASIO_HANDLER_INVOCATION_END tracked_completion.invocation_end()
#define ASIO_HANDLER_OPERATION(args) (void)0
#define ASIO_HANDLER_REACTOR_REGISTRATION(args) (void)0
#define ASIO_HANDLER_REACTOR_DEREGISTRATION(args) (void)0
#define ASIO_HANDLER_REACTOR_READ_EVENT 1
#define ASIO_HANDLER_REACTOR_WRITE_EVENT 2
#define ASIO_HANDLER_REACTOR_ERROR_EVENT 4
#define ASIO_HANDLER_REACTOR_EVENTS(args) (void)0
#define ASIO_HANDLER_REACTOR_OPERATION(args) (void)0
