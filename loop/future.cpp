#include "gale/loop/future.hpp"

namespace gale::detail {

StateBase::~StateBase() {
  if (status_ == Status::error && !observed_) log_unobserved(error_);
}

void StateBase::add_waiter(std::coroutine_handle<> handle) {
  if (done()) {
    schedule_resume(handle);
  } else if (!waiter_) {
    waiter_ = handle;
  } else {
    if (!more_) more_ = std::make_unique<MoreWaiters>();
    more_->handles.push_back(handle);
  }
}

void StateBase::add_callback(Callback callback) {
  if (done()) {
    schedule_callback(std::move(callback));
    return;
  }
  if (!more_) more_ = std::make_unique<MoreWaiters>();
  more_->callbacks.push_back(std::move(callback));
}

void StateBase::set_exception(std::exception_ptr error) {
  check_pending();
  error_ = std::move(error);
  status_ = Status::error;
  wake();
}

void StateBase::abandon() noexcept {
  if (done()) return;
  error_ = abandoned_error();
  status_ = Status::error;
  observed_ = true;  // only an awaiting consumer cares; nothing to log
  wake();
}

void StateBase::mark_value() noexcept {
  status_ = Status::value;
  wake();
}

void StateBase::wake() noexcept {
  std::coroutine_handle<> first = std::exchange(waiter_, {});
  std::unique_ptr<MoreWaiters> more = std::move(more_);
  // A coroutine that waits takes the error when it resumes; one that a closing loop destroys
  // instead (schedule_resume) never can, and its failure is no unretrieved error either.
  if (first || (more && !more->handles.empty())) observed_ = true;
  if (first) schedule_resume(first);
  if (more) {
    for (auto handle : more->handles) schedule_resume(handle);
    for (auto& callback : more->callbacks) schedule_callback(std::move(callback));
  }
}

}  // namespace gale::detail

namespace gale {

Future<void> make_ready_future() {
  static thread_local const Future<void> ready = [] {
    Promise<void> p;
    p.set_value();
    return p.get_future();
  }();
  return ready;
}

}  // namespace gale
