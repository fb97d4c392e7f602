// Client: one per process. Owns the topology (monitors, a connection pool per server) for the
// life of the process; copies share it.
//
//   auto mongo = gale::mongo::Client("mongodb://127.0.0.1:27017/?maxPoolSize=32");
//   auto notes = mongo["app"]["notes"];
//
// Creating it starts monitoring at once (nothing blocks); the first operation waits for a suitable
// server up to serverSelectionTimeoutMS. A second Client for the same hosts logs a warning; one
// created before fork() refuses to work in the child.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gale/mongo/database.hpp"
#include "gale/mongo/settings.hpp"
#include "gale/pool/pool_stats.hpp"

namespace gale::mongo {

class TopologyDescription;

class Client {
 public:
  explicit Client(std::string_view uri);
  explicit Client(ClientSettings settings);

  Database operator[](std::string name) const { return Database(state_, std::move(name)); }
  Database database(std::string name) const { return Database(state_, std::move(name)); }
  // The database named in the URI path ("test" when none).
  Database default_database() const;

  Future<std::vector<std::string>> list_database_names();
  Future<json> run_command(json command, std::string database);
  Future<json> run_command(json command) { return run_command(std::move(command), "admin"); }

  // A change stream on the whole deployment ($changeStream with allChangesForCluster, on admin;
  // change_stream.hpp).
  Future<ChangeStream> watch(json pipeline, ChangeStreamOptions options);
  Future<ChangeStream> watch(json pipeline) {
    return watch(std::move(pipeline), ChangeStreamOptions{});
  }
  Future<ChangeStream> watch() { return watch(json::array()); }

  // Connection pool statistics summed over every server ("MongoDB"); per_server() for each.
  PoolStats pool_stats() const;
  std::vector<PoolStats> pool_stats_per_server() const;
  const TopologyDescription& topology() const;
  const ClientSettings& settings() const;
  // killCursors sent for cursors dropped before they were exhausted.
  std::uint64_t cursors_killed() const;

  // Stops the monitors and closes every pool; later operations fail with Error(unavailable).
  void close();

 private:
  std::shared_ptr<detail::ClientState> state_;
};

}  // namespace gale::mongo
