// ServerDescription: what the last hello (or its failure) said about one server, as the SDAM spec
// defines it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gale::mongo {

enum class ServerType {
  unknown,
  standalone,
  mongos,
  possible_primary,
  rs_primary,
  rs_secondary,
  rs_arbiter,
  rs_other,
  rs_ghost,
  load_balancer,
};
std::string_view to_string(ServerType type) noexcept;  // "Unknown", "RSPrimary", ... (spec names)
// From the spec names; throws Error(invalid_argument).
ServerType parse_server_type(std::string_view name);

// The wire versions gale speaks: MongoDB 3.6 (6) to 8.x (25).
constexpr int kMinWireVersion = 6;
constexpr int kMaxWireVersion = 25;

struct TopologyVersion {
  std::string process_id;  // ObjectId hex
  std::int64_t counter = 0;
};

struct ServerDescription {
  std::string address;  // "host:port", lower case
  ServerType type = ServerType::unknown;
  std::string error;
  std::optional<double> round_trip_ms;  // the moving average
  std::int64_t last_update_ms = 0;      // when the last hello came back (steady clock, ms)
  std::int64_t last_write_date_ms = 0;  // lastWrite.lastWriteDate, ms since the epoch
  int min_wire_version = 0;
  int max_wire_version = 0;
  std::string me;
  std::vector<std::string> hosts, passives, arbiters;
  nlohmann::json tags = nlohmann::json::object();
  std::optional<std::string> set_name;
  std::optional<std::int64_t> set_version;
  std::optional<std::string> election_id;  // ObjectId hex
  std::optional<std::string> primary;
  std::optional<std::int64_t> logical_session_timeout_minutes;
  std::optional<TopologyVersion> topology_version;
  std::int64_t max_bson_object_size = 16 * 1024 * 1024;
  std::int64_t max_message_size = 48'000'000;
  std::int64_t max_write_batch_size = 100'000;
  std::vector<std::string> compression;
  std::vector<std::string> sasl_supported_mechs;

  bool is_data_bearing() const noexcept;
  bool is_known() const noexcept { return type != ServerType::unknown; }

  // A description of a server that has not answered (yet), or whose check failed with `error`.
  static ServerDescription unknown(std::string address, std::string error = {});
  // From a hello reply (relaxed Extended JSON). An empty or ok:0 reply gives Unknown.
  static ServerDescription from_hello(std::string address, const nlohmann::json& reply,
                                      std::optional<double> rtt_ms, std::int64_t now_ms = 0);
};

// The exponentially weighted moving average of round trips: 0.2 * sample + 0.8 * previous.
double average_rtt(std::optional<double> previous, double sample) noexcept;

}  // namespace gale::mongo
