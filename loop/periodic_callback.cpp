#include "gale/loop/periodic_callback.hpp"

#include <random>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"

namespace gale {

struct PeriodicCallback::State : std::enable_shared_from_this<State> {
  Step step;
  Clock::duration period;
  double jitter;
  bool running = false;
  std::uint64_t generation = 0;  // bumped by stop(): a run still in flight does not reschedule
  Clock::time_point next;
  TimeoutHandle timer;

  Clock::duration jittered() {
    if (jitter <= 0.0) return period;
    thread_local std::minstd_rand random{std::random_device{}()};
    double r = std::uniform_real_distribution<double>(-0.5, 0.5)(random);
    return std::chrono::duration_cast<Clock::duration>(period * (1.0 + jitter * r));
  }

  void schedule_next() {
    const auto now = Clock::now();
    if (next <= now) next += ((now - next) / period + 1) * period;  // skip the missed runs
    std::weak_ptr<State> weak = weak_from_this();
    timer = IOLoop::current().call_at(next - period + jittered(), [weak] {
      if (auto self = weak.lock()) self->run();
    });
  }

  void run() {
    if (!running) return;
    Future<void> pending;
    try {
      pending = step();
    } catch (...) {
      log::error("gale.loop", "exception in periodic callback: {}",
                 describe(std::current_exception()));
    }
    if (!pending.valid() || pending.done()) {
      finished(pending);
      return;
    }
    std::weak_ptr<State> weak = weak_from_this();
    pending.add_done_callback([weak, gen = generation](const Future<void>& done) {
      auto self = weak.lock();
      if (self && self->running && self->generation == gen) self->finished(done);
    });
  }

  void finished(const Future<void>& done) {
    if (done.valid() && done.exception()) {
      log::error("gale.loop", "periodic callback failed: {}", describe(done.exception()));
    }
    if (running) schedule_next();
  }
};

PeriodicCallback::PeriodicCallback(Step step, Clock::duration period, double jitter, Tag)
    : state_(std::make_shared<State>()) {
  if (period <= Clock::duration::zero()) {
    throw Error(ErrorKind::invalid_argument, "PeriodicCallback: the period must be positive");
  }
  state_->step = std::move(step);
  state_->period = period;
  state_->jitter = jitter;
}

PeriodicCallback::~PeriodicCallback() {
  stop();
}

void PeriodicCallback::start() {
  if (state_->running) return;
  state_->running = true;
  state_->next = Clock::now();
  state_->schedule_next();
}

void PeriodicCallback::stop() noexcept {
  state_->running = false;
  ++state_->generation;
  state_->timer.cancel();
}

bool PeriodicCallback::is_running() const noexcept {
  return state_->running;
}

}  // namespace gale
