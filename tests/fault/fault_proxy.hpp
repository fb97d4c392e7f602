// FaultProxy: a TCP proxy on 127.0.0.1 that makes the link to a server slow or lossy, on a thread
// of its own (so it keeps forwarding whatever the test's loop does). It stands in for `tc netem`,
// which needs root and a network namespace. Faults apply to each chunk read, in both directions:
//   delay + jitter   every chunk is held that long before it is passed on (order is kept)
//   stall            with probability stall_probability a chunk is held `stall` longer: a lost
//                    segment waiting for its retransmission, holding up what follows it
//   reset            with probability reset_probability the connection is reset (RST both ways)
//   blackhole        nothing is passed on (connections are accepted, data is held) until it ends
// and cut() resets every open connection at once (a link that drops).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

namespace fault {

class FaultProxy {
 public:
  struct Faults {
    std::chrono::milliseconds delay{0};
    std::chrono::milliseconds jitter{0};
    double stall_probability = 0;
    std::chrono::milliseconds stall{0};
    double reset_probability = 0;
    bool blackhole = false;
  };

  // Listens on a free port and forwards each connection to 127.0.0.1:upstream_port.
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const noexcept;
  // From any thread; applies to chunks read from now on. Ending a blackhole (or any change)
  // releases what is held once its time has come.
  void set(Faults faults);
  // From any thread: resets every connection open now (RST both ways), once; new ones pass.
  void cut();
  std::size_t connections() const noexcept;  // accepted so far
  std::size_t resets() const noexcept;       // connections reset by the proxy

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace fault
