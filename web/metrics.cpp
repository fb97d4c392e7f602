#include "gale/web/metrics.hpp"

#include <fmt/format.h>

#include "gale/web/application.hpp"

namespace gale::web {
namespace {

double seconds(Clock::duration d) noexcept {
  return std::chrono::duration<double>(d).count();
}

void render_pool(std::string& out, const PoolStats& s) {
  auto gauge = [&](std::string_view name, double value) {
    out += fmt::format("gale_pool_{}{{pool=\"{}\"}} {}\n", name, s.name, value);
  };
  gauge("max_size", static_cast<double>(s.max_size));
  gauge("size", static_cast<double>(s.size));
  gauge("idle", static_cast<double>(s.idle));
  gauge("in_use", static_cast<double>(s.in_use));
  gauge("connecting", static_cast<double>(s.connecting));
  gauge("waiting", static_cast<double>(s.waiting));
  gauge("acquires_total", static_cast<double>(s.acquires));
  gauge("acquire_timeouts_total", static_cast<double>(s.acquire_timeouts));
  gauge("connects_total", static_cast<double>(s.connects));
  gauge("connect_failures_total", static_cast<double>(s.connect_failures));
  gauge("discarded_total", static_cast<double>(s.discarded));
  const auto& h = s.acquire_wait;
  for (std::size_t i = 0; i <= WaitHistogram::kBoundsMs.size(); ++i) {
    std::string le = i < WaitHistogram::kBoundsMs.size()
                         ? fmt::format("{}", WaitHistogram::kBoundsMs[i] / 1000.0)
                         : std::string("+Inf");
    out += fmt::format("gale_pool_acquire_wait_seconds_bucket{{pool=\"{}\",le=\"{}\"}} {}\n",
                       s.name, le, h.cumulative(i));
  }
  out += fmt::format("gale_pool_acquire_wait_seconds_sum{{pool=\"{}\"}} {}\n", s.name,
                     h.sum_ms() / 1000.0);
  out += fmt::format("gale_pool_acquire_wait_seconds_count{{pool=\"{}\"}} {}\n", s.name, h.count());
}

void render_long_lived(std::string& out, const Metrics::LongLived& l) {
  out += "# HELP gale_websockets Open WebSockets.\n# TYPE gale_websockets gauge\n";
  out += fmt::format("gale_websockets {}\n", l.websockets);
  out += "# HELP gale_event_streams Open event streams.\n# TYPE gale_event_streams gauge\n";
  out += fmt::format("gale_event_streams {}\n", l.event_streams);
  out += "# HELP gale_websocket_messages_total WebSocket messages received and sent.\n";
  out += "# TYPE gale_websocket_messages_total counter\n";
  out += fmt::format("gale_websocket_messages_total{{direction=\"in\"}} {}\n", l.messages_in);
  out += fmt::format("gale_websocket_messages_total{{direction=\"out\"}} {}\n", l.messages_out);
  out += "# HELP gale_websocket_closes_total WebSockets closed, by close code.\n";
  out += "# TYPE gale_websocket_closes_total counter\n";
  for (const auto& [code, n] : l.closes) {
    out += fmt::format("gale_websocket_closes_total{{code=\"{}\"}} {}\n", code, n);
  }
  out += "# HELP gale_websocket_ping_timeouts_total Peers closed for not answering a ping.\n";
  out += "# TYPE gale_websocket_ping_timeouts_total counter\n";
  out += fmt::format("gale_websocket_ping_timeouts_total {}\n", l.ping_timeouts);
  out += "# HELP gale_slow_consumers_total Connections closed for not taking what was written.\n";
  out += "# TYPE gale_slow_consumers_total counter\n";
  out += fmt::format("gale_slow_consumers_total {}\n", l.slow_consumers);
}

}  // namespace

Metrics::Metrics() = default;
Metrics::~Metrics() {
  stop_loop_lag_probe();
}

void Metrics::record_request(int status, Clock::duration elapsed) noexcept {
  if (status >= 0 && status < static_cast<int>(by_status_.size())) ++by_status_[status];
  ++total_;
  double s = seconds(elapsed);
  latency_sum_ += s;
  std::size_t i = 0;
  while (i < kLatencyBounds.size() && s > kLatencyBounds[i]) ++i;
  ++latency_[i];
}

std::uint64_t Metrics::requests(int status) const noexcept {
  return status >= 0 && status < static_cast<int>(by_status_.size()) ? by_status_[status] : 0;
}

void Metrics::add_pool(std::function<PoolStats()> stats) {
  pools_.push_back(std::move(stats));
}

void Metrics::start_loop_lag_probe(IOLoop& loop, Clock::duration interval) {
  if (probe_loop_ != nullptr) return;
  probe_loop_ = &loop;
  probe_interval_ = interval;
  Clock::time_point due = Clock::now() + interval;
  probe_timer_ = loop.call_at(due, [this, due] { probe(due); });
}

void Metrics::stop_loop_lag_probe() noexcept {
  probe_timer_.cancel();
  probe_loop_ = nullptr;
}

void Metrics::probe(Clock::time_point due) {
  record_loop_lag(Clock::now() - due);
  Clock::time_point next = Clock::now() + probe_interval_;
  probe_timer_ = probe_loop_->call_at(next, [this, next] { probe(next); });
}

void Metrics::record_loop_lag(Clock::duration lag) noexcept {
  lag_last_ = lag;
  if (lag > lag_max_) lag_max_ = lag;
}

std::string Metrics::render() {
  std::string out;
  out += "# HELP gale_http_requests_total HTTP requests answered, by status.\n";
  out += "# TYPE gale_http_requests_total counter\n";
  for (std::size_t s = 0; s < by_status_.size(); ++s) {
    if (by_status_[s] != 0) {
      out += fmt::format("gale_http_requests_total{{status=\"{}\"}} {}\n", s, by_status_[s]);
    }
  }
  out += "# HELP gale_http_request_duration_seconds Time from request headers to response.\n";
  out += "# TYPE gale_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kLatencyBounds.size(); ++i) {
    cumulative += latency_[i];
    std::string le =
        i < kLatencyBounds.size() ? fmt::format("{}", kLatencyBounds[i]) : std::string("+Inf");
    out +=
        fmt::format("gale_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
  }
  out += fmt::format("gale_http_request_duration_seconds_sum {}\n", latency_sum_);
  out += fmt::format("gale_http_request_duration_seconds_count {}\n", total_);
  out += "# HELP gale_http_connections Open HTTP connections.\n";
  out += "# TYPE gale_http_connections gauge\n";
  out += fmt::format("gale_http_connections {}\n", connections_);
  render_long_lived(out, long_lived_);
  out += "# HELP gale_loop_lag_seconds How late the loop ran a periodic timer (last probe).\n";
  out += "# TYPE gale_loop_lag_seconds gauge\n";
  out += fmt::format("gale_loop_lag_seconds {}\n", seconds(lag_last_));
  out += "# HELP gale_loop_lag_max_seconds The largest loop lag since the previous scrape.\n";
  out += "# TYPE gale_loop_lag_max_seconds gauge\n";
  out += fmt::format("gale_loop_lag_max_seconds {}\n", seconds(lag_max_));
  lag_max_ = lag_last_;
  if (!pools_.empty()) out += "# TYPE gale_pool_size gauge\n";
  for (const auto& stats : pools_) render_pool(out, stats());
  return out;
}

Future<void> MetricsHandler::get(std::string_view) {
  set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  write(application().metrics().render());
  return make_ready_future();
}

}  // namespace gale::web
