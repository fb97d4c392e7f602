#include "gale/mongo/topology_description.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

#include "gale/loop/detail/enum_table.hpp"
#include "gale/loop/error.hpp"

namespace gale::mongo {
namespace {

// null < any value, as the spec orders (electionId, setVersion) tuples.
template <class T>
int compare(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a && !b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  return *a < *b ? -1 : (*b < *a ? 1 : 0);
}

bool is_rs_member(ServerType t) {
  return t == ServerType::rs_secondary || t == ServerType::rs_arbiter || t == ServerType::rs_other;
}

// Each type's name in the SDAM spec, read both ways.
struct TypeName {
  TopologyType type;
  std::string_view name;
};
constexpr auto kTypeNames = std::to_array<TypeName>({
    {TopologyType::unknown, "Unknown"},
    {TopologyType::single, "Single"},
    {TopologyType::sharded, "Sharded"},
    {TopologyType::replica_set_no_primary, "ReplicaSetNoPrimary"},
    {TopologyType::replica_set_with_primary, "ReplicaSetWithPrimary"},
    {TopologyType::load_balanced, "LoadBalanced"},
});
static_assert(gale::detail::covers_each_once(kTypeNames, &TypeName::type,
                                             static_cast<std::size_t>(TopologyType::load_balanced) +
                                                 1));
static_assert(gale::detail::distinct(kTypeNames, &TypeName::name));

}  // namespace

std::string_view to_string(TopologyType type) noexcept {
  const TypeName* row = gale::detail::find_row(kTypeNames, &TypeName::type, type);
  return row ? row->name : "Unknown";
}

TopologyType parse_topology_type(std::string_view name) {
  if (const TypeName* row = gale::detail::find_row(kTypeNames, &TypeName::name, name)) {
    return row->type;
  }
  throw Error(ErrorKind::invalid_argument, "unknown topology type " + std::string(name));
}

TopologyDescription TopologyDescription::from_servers(TopologyType type,
                                                      std::vector<ServerDescription> servers) {
  TopologyDescription t;
  t.type_ = type;
  t.seed_count_ = servers.size();
  for (auto& s : servers) {
    auto address = s.address;
    t.servers_.emplace(std::move(address), std::move(s));
  }
  return t;
}

TopologyDescription::TopologyDescription(const ClientSettings& s)
    : seed_count_(s.hosts.size()), required_set_name_(s.replica_set) {
  if (s.load_balanced) {
    type_ = TopologyType::load_balanced;
  } else if (s.direct_connection.value_or(false)) {
    type_ = TopologyType::single;
    if (!s.replica_set.empty()) set_name_ = s.replica_set;
  } else if (!s.replica_set.empty()) {
    type_ = TopologyType::replica_set_no_primary;
    set_name_ = s.replica_set;
  } else {
    type_ = TopologyType::unknown;
  }
  for (const auto& h : s.hosts) {
    auto address = h.to_string();
    auto d = ServerDescription::unknown(address);
    if (s.load_balanced) d.type = ServerType::load_balancer;
    servers_.emplace(address, std::move(d));
  }
}

const ServerDescription* TopologyDescription::find(const std::string& address) const {
  auto it = servers_.find(address);
  return it == servers_.end() ? nullptr : &it->second;
}

bool TopologyDescription::has_primary() const {
  return std::any_of(servers_.begin(), servers_.end(),
                     [](const auto& s) { return s.second.type == ServerType::rs_primary; });
}

std::optional<std::int64_t> TopologyDescription::logical_session_timeout_minutes() const {
  std::optional<std::int64_t> out;
  bool any = false;
  for (const auto& [_, s] : servers_) {
    if (!s.is_data_bearing()) continue;
    if (!s.logical_session_timeout_minutes) return std::nullopt;
    out = any ? std::min(*out, *s.logical_session_timeout_minutes)
              : *s.logical_session_timeout_minutes;
    any = true;
  }
  return out;
}

bool TopologyDescription::apply(ServerDescription d) {
  auto it = servers_.find(d.address);
  if (it == servers_.end()) return false;
  const auto& current = it->second;
  if (d.topology_version && current.topology_version &&
      d.topology_version->process_id == current.topology_version->process_id &&
      d.topology_version->counter < current.topology_version->counter) {
    return false;  // stale
  }
  if (type_ == TopologyType::load_balanced) {
    if (d.type == ServerType::unknown && !d.error.empty()) d.type = ServerType::unknown;
    it->second = std::move(d);
    return true;
  }
  if (type_ == TopologyType::single && !required_set_name_.empty() &&
      d.type != ServerType::unknown && d.set_name != required_set_name_) {
    d = ServerDescription::unknown(d.address, "the server's replica set name \"" +
                                                  d.set_name.value_or("") + "\" is not \"" +
                                                  required_set_name_ + "\"");
  }
  it->second = d;
  switch (type_) {
    case TopologyType::unknown:
      on_unknown_topology(d);
      break;
    case TopologyType::sharded:
      on_sharded(d);
      break;
    case TopologyType::replica_set_no_primary:
      on_rs_no_primary(d);
      break;
    case TopologyType::replica_set_with_primary:
      on_rs_with_primary(d);
      break;
    case TopologyType::single:
    case TopologyType::load_balanced:
      break;
  }
  check_compatibility();
  return true;
}

void TopologyDescription::on_unknown_topology(const ServerDescription& d) {
  switch (d.type) {
    case ServerType::standalone:
      if (seed_count_ == 1) {
        type_ = TopologyType::single;
      } else {
        servers_.erase(d.address);
      }
      break;
    case ServerType::mongos:
      type_ = TopologyType::sharded;
      break;
    case ServerType::rs_primary:
      type_ = TopologyType::replica_set_with_primary;
      update_rs_from_primary(d);
      break;
    case ServerType::rs_secondary:
    case ServerType::rs_arbiter:
    case ServerType::rs_other:
      type_ = TopologyType::replica_set_no_primary;
      update_rs_without_primary(d);
      break;
    default:
      break;
  }
}

void TopologyDescription::on_sharded(const ServerDescription& d) {
  if (d.type != ServerType::unknown && d.type != ServerType::mongos) servers_.erase(d.address);
}

void TopologyDescription::on_rs_no_primary(const ServerDescription& d) {
  if (d.type == ServerType::standalone || d.type == ServerType::mongos) {
    servers_.erase(d.address);
  } else if (d.type == ServerType::rs_primary) {
    type_ = TopologyType::replica_set_with_primary;
    update_rs_from_primary(d);
  } else if (is_rs_member(d.type)) {
    update_rs_without_primary(d);
  }
}

void TopologyDescription::on_rs_with_primary(const ServerDescription& d) {
  if (d.type == ServerType::standalone || d.type == ServerType::mongos) {
    servers_.erase(d.address);
    check_if_has_primary();
  } else if (d.type == ServerType::rs_primary) {
    update_rs_from_primary(d);
  } else if (is_rs_member(d.type)) {
    update_rs_with_primary_from_member(d);
  } else {
    check_if_has_primary();
  }
}

void TopologyDescription::update_rs_from_primary(const ServerDescription& d) {
  if (!set_name_) {
    set_name_ = d.set_name;
  } else if (*set_name_ != d.set_name) {
    servers_.erase(d.address);
    check_if_has_primary();
    return;
  }
  const bool stale_primary = [&] {
    if (d.max_wire_version >= 17) {
      int by_election = compare(max_election_id_, d.election_id);
      if (by_election > 0) return true;
      if (by_election == 0 && compare(max_set_version_, d.set_version) > 0) return true;
      max_election_id_ = d.election_id;
      max_set_version_ = d.set_version;
      return false;
    }
    if (d.set_version && d.election_id) {
      if (max_set_version_ && max_election_id_ &&
          (*max_set_version_ > *d.set_version ||
           (*max_set_version_ == *d.set_version && *max_election_id_ > *d.election_id))) {
        return true;
      }
      max_election_id_ = d.election_id;
    }
    if (d.set_version && (!max_set_version_ || *d.set_version > *max_set_version_)) {
      max_set_version_ = d.set_version;
    }
    return false;
  }();
  if (stale_primary) {
    servers_[d.address] = ServerDescription::unknown(
        d.address, "primary marked stale due to electionId/setVersion mismatch");
    check_if_has_primary();
    return;
  }
  for (auto& [address, s] : servers_) {
    if (address != d.address && s.type == ServerType::rs_primary) {
      s = ServerDescription::unknown(address, "a newer primary was discovered");
    }
  }
  add_missing(d.hosts);
  add_missing(d.passives);
  add_missing(d.arbiters);
  for (auto it = servers_.begin(); it != servers_.end();) {
    const auto& a = it->first;
    bool listed = std::find(d.hosts.begin(), d.hosts.end(), a) != d.hosts.end() ||
                  std::find(d.passives.begin(), d.passives.end(), a) != d.passives.end() ||
                  std::find(d.arbiters.begin(), d.arbiters.end(), a) != d.arbiters.end();
    it = listed ? std::next(it) : servers_.erase(it);
  }
  check_if_has_primary();
}

void TopologyDescription::update_rs_without_primary(const ServerDescription& d) {
  if (!set_name_) {
    set_name_ = d.set_name;
  } else if (*set_name_ != d.set_name) {
    servers_.erase(d.address);
    return;
  }
  add_missing(d.hosts);
  add_missing(d.passives);
  add_missing(d.arbiters);
  if (d.primary) {
    auto it = servers_.find(*d.primary);
    if (it != servers_.end() && it->second.type == ServerType::unknown) {
      it->second.type = ServerType::possible_primary;
    }
  }
  if (!d.me.empty() && d.address != d.me) servers_.erase(d.address);
}

void TopologyDescription::update_rs_with_primary_from_member(const ServerDescription& d) {
  if (!set_name_ || *set_name_ != d.set_name) {
    servers_.erase(d.address);
  } else if (!d.me.empty() && d.address != d.me) {
    servers_.erase(d.address);
  }
  check_if_has_primary();
}

void TopologyDescription::check_if_has_primary() {
  type_ =
      has_primary() ? TopologyType::replica_set_with_primary : TopologyType::replica_set_no_primary;
}

void TopologyDescription::add_missing(const std::vector<std::string>& hosts) {
  for (const auto& h : hosts) {
    if (!servers_.contains(h)) servers_.emplace(h, ServerDescription::unknown(h));
  }
}

void TopologyDescription::check_compatibility() {
  compat_error_.clear();
  for (const auto& [address, s] : servers_) {
    if (s.type == ServerType::unknown) continue;
    if (s.min_wire_version > kMaxWireVersion) {
      compat_error_ = "server at " + address + " requires wire version " +
                      std::to_string(s.min_wire_version) + ", but gale only supports up to " +
                      std::to_string(kMaxWireVersion);
    } else if (s.max_wire_version < kMinWireVersion) {
      compat_error_ = "server at " + address + " reports wire version " +
                      std::to_string(s.max_wire_version) + ", but gale requires at least " +
                      std::to_string(kMinWireVersion) + " (MongoDB 3.6)";
    }
  }
}

std::string TopologyDescription::summary() const {
  std::string out(to_string(type_));
  out += ":";
  bool first = true;
  for (const auto& [address, s] : servers_) {
    out += first ? " " : ", ";
    first = false;
    out += address + " " + std::string(to_string(s.type));
    if (!s.error.empty()) out += " (" + s.error + ")";
  }
  if (servers_.empty()) out += " no servers";
  return out;
}

}  // namespace gale::mongo
