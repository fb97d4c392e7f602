// Future<T> and Promise<T>: the one async result type, as in Tornado.
//
// A function returning Future<T> may be a coroutine (co_await, co_return). It starts running at
// once (eagerly, like a Tornado coroutine) and runs until its first co_await of a pending Future;
// its return value or exception lands in the Future it returned.
//
// Resolution and resumption: a Future is resolved on its loop's thread; the coroutines awaiting it
// and its done-callbacks are then scheduled on that loop (never run inline inside set_value), so a
// producer never re-enters consumer code. co_await of a Future that is already done does not
// suspend.
//
// Cancellation model (documented in README.md, "Cancellation"):
//  - A Future is a read-only result. Dropping it does not stop the work that produces it; a
//  coroutine
//    runs to completion even when nobody waits for it.
//  - with_timeout(d, f) stops *waiting* after d and fails with ErrorKind::timeout; the operation
//    behind f continues and its late result is dropped (a late failure is logged as unobserved).
//    Operations that own resources (queries, pool waits, HTTP reads) take their own deadlines and
//    clean up themselves, e.g. a timed-out query is cancelled on the server.
//  - Timers (call_later handles, PeriodicCallback) are cancellable.
//  - When a producer goes away without a result (a Promise destroyed unresolved), its Future fails
//    with ErrorKind::internal "abandoned", so no awaiting coroutine waits forever. When an IOLoop
//    is destroyed, coroutines still suspended on it are destroyed without being resumed.
//
// A Future that failed and whose error nobody observed (result(), exception() or co_await) logs the
// error when its last reference goes away.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gale/loop/error.hpp"
#include "gale/loop/unique_function.hpp"

namespace gale {

template <class T>
class Future;
template <class T>
class Promise;

// The value type that stands for "nothing" where one is needed (gather over Future<void>).
struct Unit {
  friend bool operator==(Unit, Unit) noexcept { return true; }
};

namespace detail {

template <class T>
class CoroutinePromise;
template <class T>
class CoroutinePromiseBase;

// Loop glue, implemented in io_loop.cpp.
void schedule_resume(std::coroutine_handle<> handle) noexcept;
void schedule_callback(Callback callback) noexcept;
void log_unobserved(const std::exception_ptr& error) noexcept;
[[noreturn]] void throw_pending_result();
[[noreturn]] void throw_already_resolved();
[[noreturn]] void throw_invalid_future();
std::exception_ptr abandoned_error();

template <class T>
using Stored = std::conditional_t<std::is_void_v<T>, Unit, T>;

// Whether a copy of T really compiles: std::is_copy_constructible says yes for containers of
// move-only types, whose copy constructor then fails to instantiate.
template <class T>
struct is_copyable : std::is_copy_constructible<T> {};
template <class T, class A>
struct is_copyable<std::vector<T, A>> : is_copyable<T> {};
template <class T>
struct is_copyable<std::optional<T>> : is_copyable<T> {};
template <class A, class B>
struct is_copyable<std::pair<A, B>> : std::conjunction<is_copyable<A>, is_copyable<B>> {};
template <class... T>
struct is_copyable<std::tuple<T...>> : std::conjunction<is_copyable<T>...> {};

// What every FutureState shares: reference counts, status, error, and who waits for it.
class StateBase {
 public:
  StateBase() = default;
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;

  bool done() const noexcept { return status_ != Status::pending; }
  bool failed() const noexcept { return status_ == Status::error; }

  void add_ref() noexcept { ++refs_; }
  void add_future_ref() noexcept {
    ++refs_;
    ++futures_;
  }
  void drop_future_ref() noexcept { --futures_; }
  // Turns one plain reference (from new or add_ref) into a Future's reference.
  void adopt_as_future() noexcept { ++futures_; }

  // Registers a coroutine to resume (through the loop) when this state is done.
  void add_waiter(std::coroutine_handle<> handle);
  // Registers a callback to run (through the loop) when this state is done; schedules it at once if
  // the state is already done.
  void add_callback(Callback callback);

  void set_exception(std::exception_ptr error);
  // Fails the state quietly: the producer went away (or the loop is closing) without a result.
  void abandon() noexcept;

  const std::exception_ptr& error_for_observer() noexcept {
    observed_ = true;
    return error_;
  }
  void mark_observed() noexcept { observed_ = true; }

 protected:
  ~StateBase();
  void mark_value() noexcept;
  void check_pending() const {
    if (done()) throw_already_resolved();
  }
  bool drop_ref() noexcept { return --refs_ == 0; }
  bool sole_future() const noexcept { return futures_ <= 1; }

 private:
  enum class Status : std::uint8_t { pending, value, error };
  struct MoreWaiters {
    std::vector<std::coroutine_handle<>> handles;
    std::vector<Callback> callbacks;
  };

  void wake() noexcept;

  std::uint32_t refs_ = 1;
  std::uint32_t futures_ = 0;
  Status status_ = Status::pending;
  bool observed_ = false;
  std::exception_ptr error_;
  std::coroutine_handle<> waiter_;
  std::unique_ptr<MoreWaiters> more_;
};

template <class T>
class FutureState final : public StateBase {
 public:
  FutureState() noexcept {}
  ~FutureState() {
    if (has_value_) value_.~Stored<T>();
  }

  void release() noexcept {
    if (drop_ref()) delete this;
  }

  template <class... Args>
  void set_value(Args&&... args) {
    check_pending();
    ::new (static_cast<void*>(&value_)) Stored<T>(std::forward<Args>(args)...);
    has_value_ = true;
    mark_value();
  }

  // The value for an observer; throws the error if the state failed, Error(internal) if pending.
  const Stored<T>& value_for_observer() {
    if (!done()) throw_pending_result();
    if (auto& e = error_for_observer()) std::rethrow_exception(e);
    return value_;
  }

  // The value for `co_await std::move(future)`: moved out when no other Future shares this state.
  Stored<T> take_value() {
    if (auto& e = error_for_observer()) std::rethrow_exception(e);
    if constexpr (is_copyable<Stored<T>>::value) {
      if (!sole_future()) return value_;
    }
    return std::move(value_);
  }

 private:
  union {
    Stored<T> value_;
  };
  bool has_value_ = false;
};

template <class T, bool Take>
struct Awaiter {
  FutureState<T>* state;

  bool await_ready() const noexcept { return state->done(); }
  void await_suspend(std::coroutine_handle<> handle) { state->add_waiter(handle); }
  decltype(auto) await_resume() {
    if constexpr (std::is_void_v<T>) {
      if (auto& e = state->error_for_observer()) std::rethrow_exception(e);
    } else if constexpr (Take) {
      return state->take_value();
    } else {
      return state->value_for_observer();
    }
  }
};

}  // namespace detail

template <class T>
class Future {
 public:
  using value_type = T;
  using promise_type = detail::CoroutinePromise<T>;

  Future() noexcept = default;
  Future(const Future& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) state_->add_future_ref();
  }
  Future(Future&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Future& operator=(Future other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~Future() {
    if (state_ != nullptr) {
      state_->drop_future_ref();
      state_->release();
    }
  }

  bool valid() const noexcept { return state_ != nullptr; }
  bool done() const { return state().done(); }

  // The value (nothing for Future<void>); rethrows the error if the Future failed; throws
  // Error(internal) if it is still pending.
  decltype(auto) result() const {
    if constexpr (std::is_void_v<T>) {
      (void)state().value_for_observer();
    } else {
      return state().value_for_observer();
    }
  }

  // The error, or nullptr if the Future succeeded; throws Error(internal) if it is still pending.
  std::exception_ptr exception() const {
    if (!done()) detail::throw_pending_result();
    return state().error_for_observer();
  }

  // Runs fn(future) on the loop once the Future is done (at the next loop iteration if it already
  // is).
  void add_done_callback(UniqueFunction<void(const Future&)> fn) const {
    state().add_callback([self = *this, fn = std::move(fn)]() mutable { fn(self); });
  }

  // co_await on an lvalue yields a const reference; on an rvalue (co_await f() or
  // co_await std::move(f)) the value is moved out when no other Future shares it.
  detail::Awaiter<T, false> operator co_await() const& { return {&state()}; }
  detail::Awaiter<T, true> operator co_await() && { return {&state()}; }

 private:
  friend class Promise<T>;
  friend class detail::CoroutinePromiseBase<T>;

  // Takes over one reference of `state` and counts this handle as a Future.
  explicit Future(detail::FutureState<T>* state) noexcept : state_(state) {
    state_->adopt_as_future();
  }

  detail::FutureState<T>& state() const {
    if (state_ == nullptr) detail::throw_invalid_future();
    return *state_;
  }

  detail::FutureState<T>* state_ = nullptr;
};

// The producer side of a Future. Resolve it on the loop's thread (from other threads, go through
// IOLoop::add_callback). Destroying an unresolved Promise fails its Future as "abandoned".
template <class T>
class Promise {
 public:
  Promise() : state_(new detail::FutureState<T>()) {}
  Promise(Promise&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Promise& operator=(Promise&& other) noexcept {
    if (this != &other) {
      reset();
      state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
  }
  Promise(const Promise&) = delete;
  Promise& operator=(const Promise&) = delete;
  ~Promise() { reset(); }

  Future<T> get_future() const {
    state_->add_ref();
    return Future<T>(state_);
  }

  bool done() const noexcept { return state_->done(); }

  template <class... Args>
  void set_value(Args&&... args) {
    state_->set_value(std::forward<Args>(args)...);
  }
  void set_exception(std::exception_ptr error) { state_->set_exception(std::move(error)); }
  template <class E>
  void set_error(E&& error) {
    set_exception(std::make_exception_ptr(std::forward<E>(error)));
  }

 private:
  void reset() noexcept {
    if (state_ != nullptr) {
      if (!state_->done()) state_->abandon();
      state_->release();
      state_ = nullptr;
    }
  }

  detail::FutureState<T>* state_;
};

template <class T>
Future<std::decay_t<T>> make_ready_future(T&& value) {
  Promise<std::decay_t<T>> p;
  p.set_value(std::forward<T>(value));
  return p.get_future();
}

// A done Future<void>. Every call on a thread shares one state (no allocation per call): a
// succeeded Future<void> holds nothing that could differ.
Future<void> make_ready_future();

template <class T>
Future<T> make_exceptional_future(std::exception_ptr error) {
  Promise<T> p;
  p.set_exception(std::move(error));
  return p.get_future();
}

template <class T, class E>
Future<T> make_exceptional_future(E&& error) {
  return make_exceptional_future<T>(std::make_exception_ptr(std::forward<E>(error)));
}

namespace detail {

template <class T>
class CoroutinePromiseBase {
 public:
  CoroutinePromiseBase() : state_(new FutureState<T>()) {}
  CoroutinePromiseBase(const CoroutinePromiseBase&) = delete;
  CoroutinePromiseBase& operator=(const CoroutinePromiseBase&) = delete;
  ~CoroutinePromiseBase() {
    if (!state_->done()) state_->abandon();  // destroyed while suspended (the loop closed)
    state_->release();
  }

  Future<T> get_return_object() {
    state_->add_ref();
    return Future<T>(state_);
  }
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { state_->set_exception(std::current_exception()); }

 protected:
  FutureState<T>* state_;
};

template <class T>
class CoroutinePromise : public CoroutinePromiseBase<T> {
 public:
  template <class U = T>
  void return_value(U&& value) {
    this->state_->set_value(std::forward<U>(value));
  }
};

template <>
class CoroutinePromise<void> : public CoroutinePromiseBase<void> {
 public:
  void return_void() { state_->set_value(); }
};

}  // namespace detail
}  // namespace gale
