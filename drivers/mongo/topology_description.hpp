// TopologyDescription: the SDAM state machine. Pure: fed with ServerDescriptions (from monitors, or
// from spec tests), it keeps the topology type, the servers and the replica set's bookkeeping.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/mongo/server_description.hpp"
#include "gale/mongo/settings.hpp"

namespace gale::mongo {

enum class TopologyType {
  unknown,
  single,
  sharded,
  replica_set_no_primary,
  replica_set_with_primary,
  load_balanced,
};
std::string_view to_string(TopologyType type) noexcept;  // spec names: "ReplicaSetNoPrimary", ...
// From the spec names; throws Error(invalid_argument).
TopologyType parse_topology_type(std::string_view name);

class TopologyDescription {
 public:
  // The initial state for these seeds and options (directConnection, replicaSet, loadBalanced).
  explicit TopologyDescription(const ClientSettings& settings);
  // A description taken as given (server selection tests): no state machine runs.
  static TopologyDescription from_servers(TopologyType type,
                                          std::vector<ServerDescription> servers);

  // A hello reply (or a failed check, as an Unknown description) for a server of the topology.
  // Descriptions of servers not in the topology, or older than the current one
  // (topologyVersion), are ignored. Returns false when ignored.
  bool apply(ServerDescription description);

  TopologyType type() const noexcept { return type_; }
  const std::map<std::string, ServerDescription>& servers() const noexcept { return servers_; }
  const ServerDescription* find(const std::string& address) const;
  const std::optional<std::string>& set_name() const noexcept { return set_name_; }
  const std::optional<std::int64_t>& max_set_version() const noexcept { return max_set_version_; }
  const std::optional<std::string>& max_election_id() const noexcept { return max_election_id_; }
  // Empty when every known server speaks a wire version gale supports; otherwise why not.
  const std::string& compatibility_error() const noexcept { return compat_error_; }
  bool compatible() const noexcept { return compat_error_.empty(); }
  std::optional<std::int64_t> logical_session_timeout_minutes() const;
  bool has_primary() const;

  // "ReplicaSetNoPrimary: a:27017 Unknown (connection refused), b:27017 RSSecondary", for errors.
  std::string summary() const;

 private:
  TopologyDescription() = default;
  void on_unknown_topology(const ServerDescription& d);
  void on_sharded(const ServerDescription& d);
  void on_rs_no_primary(const ServerDescription& d);
  void on_rs_with_primary(const ServerDescription& d);
  void update_rs_from_primary(const ServerDescription& d);
  void update_rs_without_primary(const ServerDescription& d);
  void update_rs_with_primary_from_member(const ServerDescription& d);
  void check_if_has_primary();
  void add_missing(const std::vector<std::string>& hosts);
  void check_compatibility();

  TopologyType type_ = TopologyType::unknown;
  std::map<std::string, ServerDescription> servers_;
  std::optional<std::string> set_name_;
  std::optional<std::int64_t> max_set_version_;
  std::optional<std::string> max_election_id_;
  std::string compat_error_;
  std::size_t seed_count_ = 0;
  std::string required_set_name_;  // the replicaSet option
};

}  // namespace gale::mongo
