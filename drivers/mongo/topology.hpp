// Topology: the live side of SDAM. One monitor per server on the loop (a hello every
// heartbeatFrequencyMS on a connection of its own, sooner when a selection waits), one
// Pool<Connection> per server, server selection that waits up to serverSelectionTimeoutMS, and
// the error handling that marks a server Unknown and clears its pool.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/mongo/connection.hpp"
#include "gale/mongo/error.hpp"
#include "gale/mongo/server_selection.hpp"
#include "gale/mongo/settings.hpp"
#include "gale/mongo/topology_description.hpp"
#include "gale/pool/pool.hpp"
#include "gale/pool/pool_stats.hpp"

namespace gale::mongo {

class Topology : public std::enable_shared_from_this<Topology> {
 public:
  struct Server {
    std::string address;
    std::unique_ptr<Pool<Connection>> pool;
    int operations = 0;  // in flight, for the "power of two choices"
    bool closed = false;
    Promise<void> wake;  // resolves to run the monitor's next check early
    bool wake_armed = false;
    Clock::time_point last_check{};
    bool check_requested = false;
    std::unique_ptr<Connection> monitor_connection;
    std::shared_ptr<const ConnectionConfig> app_config;
    std::shared_ptr<const ConnectionConfig> monitor_config;
  };

  static std::shared_ptr<Topology> create(ClientSettings settings);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // A server for `criteria`, waiting for the monitors until `deadline`; Error(unavailable) naming
  // the topology's state when none turns up.
  Future<std::shared_ptr<Server>> select(SelectionCriteria criteria, Clock::time_point deadline);

  // What an operation learnt: a network error or a "not primary"/"node is recovering" error marks
  // the server Unknown and clears its pool.
  void on_error(const std::string& address, const MongoError& error);

  const TopologyDescription& description() const noexcept { return description_; }
  const ClientSettings& settings() const noexcept { return settings_; }
  // Whether the deployment supports sessions (logicalSessionTimeoutMinutes in every hello).
  bool supports_sessions() const;
  // Pool statistics summed over every server (name "MongoDB", max_size summed too).
  PoolStats pool_stats() const;
  std::vector<PoolStats> pool_stats_per_server() const;

  void close();

 private:
  explicit Topology(ClientSettings settings);
  void start();
  void sync_servers();
  void add_server(const std::string& address);
  void notify_change();
  void request_checks();
  void apply(ServerDescription d);
  static Future<void> monitor(std::shared_ptr<Topology> self, std::shared_ptr<Server> server);
  Future<void> wait_change(Clock::time_point deadline);
  static Future<void> pause(std::shared_ptr<Server> server, Clock::duration period);
  std::shared_ptr<ConnectionConfig> config_for(const std::string& address, bool monitor) const;
  std::vector<std::shared_ptr<Promise<void>>> waiters_;

  ClientSettings settings_;
  TopologyDescription description_;
  std::map<std::string, std::shared_ptr<Server>> servers_;
  std::shared_ptr<const ConnectionConfig> app_config_template_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::shared_ptr<ScramCache> scram_cache_;
  nlohmann::json metadata_;
  std::mt19937 rng_{std::random_device{}()};
  bool closed_ = false;
};

}  // namespace gale::mongo
