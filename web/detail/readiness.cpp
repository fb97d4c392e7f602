#include "gale/web/detail/readiness.hpp"

#include <unistd.h>

#include <asio/posix/stream_descriptor.hpp>

#include <array>
#include <cerrno>
#include <cstring>

#include "gale/loop/error.hpp"
#include "gale/loop/fork_guard.hpp"

namespace gale::web::detail {

// What the pending wait on the loop shares with the Readiness: it may outlive it by one
// (cancelled) handler call.
struct Readiness::State {
  explicit State(asio::io_context& context) : descriptor(context) {}
  asio::posix::basic_stream_descriptor<asio::io_context::executor_type> descriptor;
  std::array<epoll_event, 256> events{};
  Handler* handler = nullptr;  // null once closed
  std::uint64_t generation = fork_generation();
};

Readiness::Readiness(asio::io_context& context, Handler handler)
    : context_(context), handler_(std::move(handler)) {}

Readiness::~Readiness() {
  close();
}

// Opened on first use, in the process that uses it: a set made before fork() would be shared by
// every worker.
void Readiness::open() {
  if (state_ && state_->generation == fork_generation()) return;
  close();
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    throw Error(ErrorKind::unavailable, std::string("epoll_create1: ") + std::strerror(errno));
  }
  auto state = std::make_shared<State>(context_);
  state->descriptor.assign(fd);
  state->handler = &handler_;
  state_ = std::move(state);
  wait(state_);
}

void Readiness::add(int fd, void* data) {
  control(EPOLL_CTL_ADD, fd, data);
}

void Readiness::modify(int fd, void* data) {
  control(EPOLL_CTL_MOD, fd, data);
}

void Readiness::control(int operation, int fd, void* data) {
  open();
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = data;
  if (::epoll_ctl(state_->descriptor.native_handle(), operation, fd, &ev) != 0) {
    throw Error(ErrorKind::unavailable, std::string("epoll_ctl: ") + std::strerror(errno));
  }
}

void Readiness::close() noexcept {
  if (!state_) return;
  state_->handler = nullptr;
  asio::error_code ignored;
  state_->descriptor.close(ignored);  // the pending wait ends as aborted
  state_.reset();
}

// One wait on the loop for the set to have events. A wake-up takes the events the set has, and
// takes again while more came in meanwhile (a few rounds at most, so that the loop's other work
// is not starved): each round that finds events saves the wait's re-arming (epoll_ctl) and the
// loop's own epoll_wait.
void Readiness::wait(const std::shared_ptr<State>& state) {
  state->descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                               [state](const asio::error_code& ec) {
                                 if (ec) return;
                                 for (int round = 0; round < kRounds; ++round) {
                                   if (state->handler == nullptr || take(*state) == 0) break;
                                 }
                                 if (state->handler != nullptr) wait(state);
                               });
}

// Hands the events the set has now to the handler; how many there were.
int Readiness::take(State& state) {
  int n = ::epoll_wait(state.descriptor.native_handle(), state.events.data(),
                       static_cast<int>(state.events.size()), 0);
  if (n > 0) (*state.handler)({state.events.data(), static_cast<std::size_t>(n)});
  return n;
}

}  // namespace gale::web::detail
