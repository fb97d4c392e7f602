#include "gale/mongo/topology.hpp"

#include <algorithm>

#include "gale/loop/log.hpp"
#include "gale/mongo/reply.hpp"
#include "gale/mongo/scram.hpp"

namespace gale::mongo {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::shared_ptr<Topology> Topology::create(ClientSettings settings) {
  std::shared_ptr<Topology> t(new Topology(std::move(settings)));
  t->start();
  return t;
}

Topology::Topology(ClientSettings settings)
    : settings_(std::move(settings)),
      description_(settings_),
      scram_cache_(std::make_shared<ScramCache>()),
      metadata_(client_metadata(settings_.app_name)) {
  if (settings_.tls) tls_ = make_tls_context(settings_);
}

Topology::~Topology() {
  close();
}

void Topology::start() {
  sync_servers();
}

std::shared_ptr<ConnectionConfig> Topology::config_for(const std::string& address,
                                                       bool monitor) const {
  auto c = std::make_shared<ConnectionConfig>();
  c->address = settings_.hosts.size() == 1 && settings_.hosts[0].unix_socket
                   ? settings_.hosts[0]
                   : parse_address(address);
  c->connect_timeout = settings_.connect_timeout;
  c->socket_timeout = monitor ? settings_.connect_timeout : settings_.socket_timeout;
  c->tls = tls_;
  c->verify_hostname =
      !settings_.tls_allow_invalid_hostnames && !settings_.tls_allow_invalid_certificates;
  if (!monitor) c->credentials = settings_.credentials;
  c->scram_cache = scram_cache_;
  c->client_metadata = metadata_;
  c->compressors = settings_.compressors;
  c->zlib_level = settings_.zlib_level;
  c->load_balanced = settings_.load_balanced;
  return c;
}

void Topology::add_server(const std::string& address) {
  auto server = std::make_shared<Server>();
  server->address = address;
  server->app_config = config_for(address, false);
  server->monitor_config = config_for(address, true);
  PoolOptions o;
  o.name = "MongoDB " + address;
  o.max_size = settings_.max_pool_size;
  o.min_size = settings_.min_pool_size;
  o.max_connecting = std::max<std::size_t>(1, settings_.max_connecting);
  o.max_idle_time = settings_.max_idle_time;
  o.acquire_timeout = settings_.wait_queue_timeout.count() > 0
                          ? Clock::duration(settings_.wait_queue_timeout)
                          : Clock::duration(settings_.server_selection_timeout);
  o.check_after_idle = Clock::duration::zero();
  o.backoff_max = std::chrono::seconds(2);
  auto config = server->app_config;
  Pool<Connection>::Hooks hooks;
  hooks.connect = [config] {
    return Connection::open(config, Clock::now() + config->connect_timeout);
  };
  hooks.is_usable = [](const Connection& c) { return c.usable(); };
  // Bad credentials or an unusable TLS setup do not heal by retrying: fail the waiters now.
  hooks.is_fatal = [](const std::exception_ptr& e) {
    auto kind = kind_of(e);
    return kind == ErrorKind::unauthorized || kind == ErrorKind::invalid_argument ||
           kind == ErrorKind::forbidden;
  };
  server->pool = std::make_unique<Pool<Connection>>(o, std::move(hooks));
  servers_.emplace(address, server);
  if (!settings_.load_balanced) (void)monitor(shared_from_this(), server);
}

void Topology::sync_servers() {
  for (const auto& [address, _] : description_.servers()) {
    if (!servers_.contains(address)) add_server(address);
  }
  for (auto it = servers_.begin(); it != servers_.end();) {
    if (description_.find(it->first) == nullptr) {
      auto& s = *it->second;
      s.closed = true;
      s.pool->close();
      if (s.monitor_connection) s.monitor_connection->close();
      if (s.wake_armed) {
        s.wake_armed = false;
        s.wake.set_value();
      }
      it = servers_.erase(it);
    } else {
      ++it;
    }
  }
}

void Topology::notify_change() {
  auto waiting = std::move(waiters_);
  waiters_.clear();
  for (auto& p : waiting)
    if (!p->done()) p->set_value();
}

Future<void> Topology::wait_change(Clock::time_point deadline) {
  auto p = std::make_shared<Promise<void>>();
  waiters_.push_back(p);
  auto f = p->get_future();
  std::weak_ptr<Promise<void>> weak = p;
  auto timer = IOLoop::current().call_at(deadline, [weak] {
    if (auto q = weak.lock(); q && !q->done()) q->set_value();
  });
  co_await f;
  timer.cancel();
}

void Topology::request_checks() {
  auto now = Clock::now();
  for (auto& [_, s] : servers_) {
    if (!s->wake_armed || s->check_requested) continue;
    s->check_requested = true;
    auto at = std::max(now, s->last_check + std::chrono::milliseconds(500));
    std::weak_ptr<Server> weak = s;
    IOLoop::current().call_at(at, [weak] {
      auto srv = weak.lock();
      if (srv && srv->wake_armed) {
        srv->wake_armed = false;
        srv->wake.set_value();
      }
    });
  }
}

Future<void> Topology::pause(std::shared_ptr<Server> server, Clock::duration period) {
  server->wake = Promise<void>();
  server->wake_armed = true;
  server->check_requested = false;
  auto f = server->wake.get_future();
  std::weak_ptr<Server> weak = server;
  auto timer = IOLoop::current().call_later(period, [weak] {
    auto srv = weak.lock();
    if (srv && srv->wake_armed) {
      srv->wake_armed = false;
      srv->wake.set_value();
    }
  });
  co_await f;
  timer.cancel();
}

Future<void> Topology::monitor(std::shared_ptr<Topology> self, std::shared_ptr<Server> server) {
  const auto& address = server->address;
  std::weak_ptr<Topology> weak = self;
  self.reset();  // the monitor does not keep the topology alive
  int failures_in_a_row = 0;
  for (;;) {
    auto topology = weak.lock();
    if (!topology || topology->closed_ || server->closed) co_return;
    server->last_check = Clock::now();
    auto deadline = Clock::now() + topology->settings_.connect_timeout;
    auto config = server->monitor_config;
    topology.reset();
    ServerDescription d;
    std::exception_ptr error;
    auto started = Clock::now();
    try {
      if (!server->monitor_connection) {
        server->monitor_connection = co_await Connection::open(config, deadline);
        d = server->monitor_connection->description();
        d.round_trip_ms = server->monitor_connection->handshake_rtt_ms();
      } else {
        // hello if the handshake's legacy hello said helloOk: true, else the legacy hello.
        Document reply = co_await server->monitor_connection->heartbeat(deadline);
        double rtt = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        check_reply(reply);
        d = ServerDescription::from_hello(address, reply.to_json(), rtt);
      }
    } catch (...) {
      error = std::current_exception();
    }
    topology = weak.lock();
    if (!topology || topology->closed_ || server->closed) co_return;
    if (error) {
      server->monitor_connection.reset();
      d = ServerDescription::unknown(address, describe(error));
      ++failures_in_a_row;
    } else {
      failures_in_a_row = 0;
    }
    d.last_update_ms = now_ms();
    if (const auto* prev = topology->description_.find(address); prev && d.round_trip_ms) {
      d.round_trip_ms = average_rtt(prev->round_trip_ms, *d.round_trip_ms);
    }
    bool was_known = [&] {
      const auto* prev = topology->description_.find(address);
      return prev && prev->is_known();
    }();
    topology->apply(std::move(d));
    Clock::duration period = topology->settings_.heartbeat_frequency;
    topology.reset();
    // A server that was known and just failed is checked again at once (the spec's one retry).
    if (error && was_known && failures_in_a_row == 1) continue;
    co_await pause(server, period);
  }
}

void Topology::apply(ServerDescription d) {
  const std::string address = d.address;
  const bool unknown = !d.is_known();
  if (unknown && !d.error.empty()) {
    const auto* prev = description_.find(address);
    if (prev && prev->is_known()) {
      log::warning("gale.mongo", "MongoDB {} is now Unknown: {}", address, d.error);
    }
  }
  description_.apply(std::move(d));
  if (unknown) {
    if (auto it = servers_.find(address); it != servers_.end()) it->second->pool->clear();
  }
  sync_servers();
  notify_change();
}

void Topology::on_error(const std::string& address, const MongoError& error) {
  if (closed_) return;
  const bool network = error.network_error() && error.kind() != ErrorKind::timeout;
  const bool state_change = is_not_primary_code(error.code()) || is_recovering_code(error.code());
  if (!network && !state_change) return;
  auto d = ServerDescription::unknown(address, error.what());
  if (const auto* prev = description_.find(address)) d.topology_version = prev->topology_version;
  const bool shutdown = error.code() == 91 || error.code() == 11600;
  description_.apply(std::move(d));
  if (auto it = servers_.find(address); it != servers_.end()) {
    if (network || shutdown || state_change) it->second->pool->clear();
  }
  sync_servers();
  request_checks();
  notify_change();
}

Future<std::shared_ptr<Topology::Server>> Topology::select(SelectionCriteria criteria,
                                                           Clock::time_point deadline) {
  auto self = shared_from_this();
  const auto started = Clock::now();
  for (;;) {
    if (closed_) throw MongoError(ErrorKind::unavailable, "the MongoDB client is closed");
    Selection sel = select_servers(description_, criteria);
    if (!sel.in_window.empty()) {
      const auto* chosen = pick_server(
          sel.in_window,
          [this](const std::string& a) {
            auto it = servers_.find(a);
            return it == servers_.end() ? 0 : it->second->operations;
          },
          rng_);
      if (auto it = servers_.find(chosen->address); it != servers_.end()) co_return it->second;
    }
    if (Clock::now() >= deadline) {
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
      throw MongoError(
          ErrorKind::unavailable,
          "no MongoDB server suitable for a " + std::string(criteria.write ? "write" : "read") +
              " (" + std::string(to_string(criteria.read_preference.mode)) + ") after " +
              std::to_string(waited.count()) + " ms; topology " + description_.summary(),
          0, "ServerSelectionTimeout");
    }
    request_checks();
    co_await wait_change(deadline);
  }
}

bool Topology::supports_sessions() const {
  return description_.logical_session_timeout_minutes().has_value();
}

PoolStats Topology::pool_stats() const {
  PoolStats total;
  total.name = "MongoDB";
  for (const auto& [_, s] : servers_) {
    auto p = s->pool->stats();
    total.max_size += p.max_size;
    total.size += p.size;
    total.idle += p.idle;
    total.in_use += p.in_use;
    total.connecting += p.connecting;
    total.waiting += p.waiting;
    total.acquires += p.acquires;
    total.acquire_timeouts += p.acquire_timeouts;
    total.connects += p.connects;
    total.connect_failures += p.connect_failures;
    total.discarded += p.discarded;
    if (!p.last_connect_error.empty()) total.last_connect_error = p.last_connect_error;
  }
  return total;
}

std::vector<PoolStats> Topology::pool_stats_per_server() const {
  std::vector<PoolStats> out;
  for (const auto& [_, s] : servers_) out.push_back(s->pool->stats());
  return out;
}

void Topology::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& [_, s] : servers_) {
    s->closed = true;
    s->pool->close();
    if (s->monitor_connection) s->monitor_connection->close();
    if (s->wake_armed) {
      s->wake_armed = false;
      s->wake.set_value();
    }
  }
  notify_change();
}

}  // namespace gale::mongo
