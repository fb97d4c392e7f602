#include "gale/mongo/server_description.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>

#include "gale/loop/detail/enum_table.hpp"
#include "gale/loop/error.hpp"

namespace gale::mongo {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> host_list(const nlohmann::json& reply, const char* key) {
  std::vector<std::string> out;
  if (auto it = reply.find(key); it != reply.end() && it->is_array()) {
    for (const auto& h : *it)
      if (h.is_string()) out.push_back(lower(h.get<std::string>()));
  }
  return out;
}

std::optional<std::int64_t> int_field(const nlohmann::json& reply, const char* key) {
  auto it = reply.find(key);
  if (it == reply.end()) return std::nullopt;
  if (it->is_number()) return it->get<std::int64_t>();
  if (it->is_object() && it->contains("$numberLong")) {
    return std::stoll(it->at("$numberLong").get<std::string>());
  }
  return std::nullopt;
}

bool flag(const nlohmann::json& reply, const char* key) {
  auto it = reply.find(key);
  return it != reply.end() && it->is_boolean() && it->get<bool>();
}

std::optional<std::string> oid_field(const nlohmann::json& v) {
  if (v.is_object() && v.contains("$oid")) return v["$oid"].get<std::string>();
  return std::nullopt;
}

std::int64_t date_ms(const nlohmann::json& v) {
  if (v.is_number()) return v.get<std::int64_t>();
  if (v.is_object()) {
    if (auto it = v.find("$numberLong"); it != v.end()) return std::stoll(it->get<std::string>());
    if (auto it = v.find("$date"); it != v.end()) return date_ms(*it);
  }
  return 0;
}

ServerType type_of(const nlohmann::json& reply) {
  if (flag(reply, "isreplicaset")) return ServerType::rs_ghost;
  if (auto it = reply.find("msg"); it != reply.end() && *it == "isdbgrid")
    return ServerType::mongos;
  if (reply.contains("setName")) {
    if (flag(reply, "hidden")) return ServerType::rs_other;
    if (flag(reply, "isWritablePrimary") || flag(reply, "ismaster")) return ServerType::rs_primary;
    if (flag(reply, "secondary")) return ServerType::rs_secondary;
    if (flag(reply, "arbiterOnly")) return ServerType::rs_arbiter;
    return ServerType::rs_other;
  }
  return ServerType::standalone;
}

void read_limits(const nlohmann::json& reply, ServerDescription& d) {
  d.min_wire_version = static_cast<int>(int_field(reply, "minWireVersion").value_or(0));
  d.max_wire_version = static_cast<int>(int_field(reply, "maxWireVersion").value_or(0));
  d.max_bson_object_size = int_field(reply, "maxBsonObjectSize").value_or(d.max_bson_object_size);
  d.max_message_size = int_field(reply, "maxMessageSizeBytes").value_or(d.max_message_size);
  d.max_write_batch_size = int_field(reply, "maxWriteBatchSize").value_or(d.max_write_batch_size);
  d.logical_session_timeout_minutes = int_field(reply, "logicalSessionTimeoutMinutes");
  for (const char* key : {"compression", "saslSupportedMechs"}) {
    auto it = reply.find(key);
    if (it == reply.end() || !it->is_array()) continue;
    auto& list = std::string_view(key) == "compression" ? d.compression : d.sasl_supported_mechs;
    for (const auto& m : *it)
      if (m.is_string()) list.push_back(m.get<std::string>());
  }
}

void read_replica_set(const nlohmann::json& reply, ServerDescription& d) {
  d.hosts = host_list(reply, "hosts");
  d.passives = host_list(reply, "passives");
  d.arbiters = host_list(reply, "arbiters");
  if (auto it = reply.find("me"); it != reply.end() && it->is_string()) d.me = lower(*it);
  if (auto it = reply.find("setName"); it != reply.end() && it->is_string()) d.set_name = *it;
  d.set_version = int_field(reply, "setVersion");
  if (auto it = reply.find("electionId"); it != reply.end()) d.election_id = oid_field(*it);
  if (auto it = reply.find("primary"); it != reply.end() && it->is_string()) d.primary = lower(*it);
  if (auto it = reply.find("tags"); it != reply.end() && it->is_object()) d.tags = *it;
  if (auto it = reply.find("lastWrite"); it != reply.end() && it->is_object()) {
    if (auto w = it->find("lastWriteDate"); w != it->end()) d.last_write_date_ms = date_ms(*w);
  }
  if (auto it = reply.find("topologyVersion"); it != reply.end() && it->is_object()) {
    TopologyVersion tv;
    if (auto p = oid_field(it->value("processId", nlohmann::json()))) tv.process_id = *p;
    if (auto c = int_field(*it, "counter")) tv.counter = *c;
    d.topology_version = tv;
  }
}

// Each type's name in the SDAM spec, read both ways.
struct TypeName {
  ServerType type;
  std::string_view name;
};
constexpr auto kTypeNames = std::to_array<TypeName>({
    {ServerType::unknown, "Unknown"},
    {ServerType::standalone, "Standalone"},
    {ServerType::mongos, "Mongos"},
    {ServerType::possible_primary, "PossiblePrimary"},
    {ServerType::rs_primary, "RSPrimary"},
    {ServerType::rs_secondary, "RSSecondary"},
    {ServerType::rs_arbiter, "RSArbiter"},
    {ServerType::rs_other, "RSOther"},
    {ServerType::rs_ghost, "RSGhost"},
    {ServerType::load_balancer, "LoadBalancer"},
});
static_assert(gale::detail::covers_each_once(kTypeNames, &TypeName::type,
                                             static_cast<std::size_t>(ServerType::load_balancer) +
                                                 1));
static_assert(gale::detail::distinct(kTypeNames, &TypeName::name));

}  // namespace

std::string_view to_string(ServerType type) noexcept {
  const TypeName* row = gale::detail::find_row(kTypeNames, &TypeName::type, type);
  return row ? row->name : "Unknown";
}

ServerType parse_server_type(std::string_view name) {
  if (const TypeName* row = gale::detail::find_row(kTypeNames, &TypeName::name, name)) {
    return row->type;
  }
  throw Error(ErrorKind::invalid_argument, "unknown server type " + std::string(name));
}

bool ServerDescription::is_data_bearing() const noexcept {
  return type == ServerType::standalone || type == ServerType::mongos ||
         type == ServerType::rs_primary || type == ServerType::rs_secondary ||
         type == ServerType::load_balancer;
}

ServerDescription ServerDescription::unknown(std::string address, std::string error) {
  ServerDescription d;
  d.address = std::move(address);
  d.error = std::move(error);
  return d;
}

ServerDescription ServerDescription::from_hello(std::string address, const nlohmann::json& reply,
                                                std::optional<double> rtt_ms, std::int64_t now_ms) {
  ServerDescription d;
  d.address = std::move(address);
  d.last_update_ms = now_ms;
  if (!reply.is_object() || reply.empty()) {
    d.error = "network error";
    return d;
  }
  auto ok = reply.find("ok");
  if (ok == reply.end() || !ok->is_number() || ok->get<double>() != 1.0) {
    d.error = reply.value("errmsg", std::string("hello failed"));
    if (auto it = reply.find("topologyVersion"); it != reply.end()) read_replica_set(reply, d);
    return d;
  }
  d.type = type_of(reply);
  d.round_trip_ms = rtt_ms;
  read_limits(reply, d);
  read_replica_set(reply, d);
  return d;
}

double average_rtt(std::optional<double> previous, double sample) noexcept {
  if (!previous) return sample;
  return 0.2 * sample + 0.8 * *previous;
}

}  // namespace gale::mongo
