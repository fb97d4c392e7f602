// Metrics of one process's Application, rendered in Prometheus' text format by /metrics
// (settings.metrics = true, or route MetricsHandler yourself):
//   gale_http_requests_total{status="200"}   requests answered, by status
//   gale_http_request_duration_seconds       latency histogram
//   gale_http_connections                    open connections
//   gale_loop_lag_seconds                    how late a periodic timer ran (last, and max since
//                                            the previous scrape)
//   gale_pool_*{pool="..."}                  the stats of every pool registered with add_pool()
//   gale_websockets, gale_event_streams      open WebSockets and event streams
//   gale_websocket_messages_total{direction} messages received ("in") and sent ("out")
//   gale_websocket_closes_total{code}        WebSockets closed, by close code (1006: no close
//   frame) gale_websocket_ping_timeouts_total       peers closed for not answering a ping in time
//   gale_slow_consumers_total                connections closed for not taking what was written
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gale/loop/io_loop.hpp"
#include "gale/pool/pool_stats.hpp"
#include "gale/web/request_handler.hpp"

namespace gale::web {

class Metrics {
 public:
  static constexpr std::array<double, 14> kLatencyBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void record_request(int status, Clock::duration elapsed) noexcept;
  std::uint64_t requests(int status) const noexcept;
  std::uint64_t requests_total() const noexcept { return total_; }

  void connection_opened() noexcept { ++connections_; }
  void connection_closed() noexcept { --connections_; }
  std::int64_t connections() const noexcept { return connections_; }

  // Long-lived connections.
  struct LongLived {
    std::int64_t websockets = 0;
    std::int64_t event_streams = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t messages_out = 0;
    std::uint64_t ping_timeouts = 0;
    std::uint64_t slow_consumers = 0;
    std::map<std::uint16_t, std::uint64_t> closes;  // by close code
  };
  LongLived& long_lived() noexcept { return long_lived_; }
  const LongLived& long_lived() const noexcept { return long_lived_; }

  // Registers a pool's stats, read at each scrape (e.g. [&pg] { return pg.pool_stats(); }).
  void add_pool(std::function<PoolStats()> stats);

  // Measures the loop's lag every `interval` on `loop` (the server starts it; idempotent).
  void start_loop_lag_probe(IOLoop& loop,
                            Clock::duration interval = std::chrono::milliseconds(250));
  void stop_loop_lag_probe() noexcept;
  void record_loop_lag(Clock::duration lag) noexcept;
  Clock::duration loop_lag() const noexcept { return lag_last_; }

  // The Prometheus text exposition (version 0.0.4). Resets the max loop lag.
  std::string render();

 private:
  void probe(Clock::time_point due);

  std::array<std::uint64_t, 600> by_status_{};
  std::uint64_t total_ = 0;
  std::array<std::uint64_t, kLatencyBounds.size() + 1> latency_{};
  double latency_sum_ = 0;
  std::int64_t connections_ = 0;
  LongLived long_lived_;
  std::vector<std::function<PoolStats()>> pools_;
  IOLoop* probe_loop_ = nullptr;
  Clock::duration probe_interval_{};
  TimeoutHandle probe_timer_;
  Clock::duration lag_last_{};
  Clock::duration lag_max_{};
};

// GET renders the Application's metrics.
struct MetricsHandler : RequestHandler {
  Future<void> get(std::string_view) override;
};

}  // namespace gale::web
