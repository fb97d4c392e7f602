// server-discovery-and-monitoring: feed the hello replies of each phase to a TopologyDescription
// and compare the outcome.
#include <catch2/catch.hpp>

#include "gale/mongo/settings.hpp"
#include "gale/mongo/topology_description.hpp"
#include "spec/spec_runner.hpp"

using namespace gale::mongo;
using nlohmann::json;
namespace spec = gale::spec;

namespace {

void expect(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

std::optional<std::int64_t> as_int(const json& v) {
  if (v.is_number()) return v.get<std::int64_t>();
  if (v.is_object() && v.contains("$numberLong"))
    return std::stoll(v["$numberLong"].get<std::string>());
  return std::nullopt;
}

void check_server(const std::string& address, const ServerDescription& s, const json& want) {
  const std::string at = address + ": ";
  expect(to_string(s.type) == want["type"].get<std::string>(),
         at + "type " + std::string(to_string(s.type)) + ", expected " +
             want["type"].get<std::string>());
  if (want.contains("setName")) {
    if (want["setName"].is_null()) {
      expect(!s.set_name, at + "setName should be unset");
    } else {
      expect(s.set_name == want["setName"].get<std::string>(), at + "setName");
    }
  }
  if (want.contains("setVersion")) {
    expect(
        want["setVersion"].is_null() ? !s.set_version : s.set_version == as_int(want["setVersion"]),
        at + "setVersion");
  }
  if (want.contains("electionId")) {
    expect(want["electionId"].is_null()
               ? !s.election_id
               : s.election_id == want["electionId"]["$oid"].get<std::string>(),
           at + "electionId");
  }
  if (want.contains("logicalSessionTimeoutMinutes")) {
    expect(want["logicalSessionTimeoutMinutes"].is_null()
               ? !s.logical_session_timeout_minutes
               : s.logical_session_timeout_minutes == as_int(want["logicalSessionTimeoutMinutes"]),
           at + "logicalSessionTimeoutMinutes");
  }
  if (want.contains("minWireVersion") && !want["minWireVersion"].is_null()) {
    expect(s.min_wire_version == want["minWireVersion"].get<int>(), at + "minWireVersion");
  }
  if (want.contains("maxWireVersion") && !want["maxWireVersion"].is_null()) {
    expect(s.max_wire_version == want["maxWireVersion"].get<int>(), at + "maxWireVersion");
  }
  if (want.contains("topologyVersion")) {
    const auto& tv = want["topologyVersion"];
    if (tv.is_null()) {
      expect(!s.topology_version, at + "topologyVersion should be unset");
    } else {
      expect(s.topology_version &&
                 s.topology_version->process_id == tv["processId"]["$oid"].get<std::string>() &&
                 s.topology_version->counter == as_int(tv["counter"]),
             at + "topologyVersion");
    }
  }
}

void check_outcome(const TopologyDescription& t, const json& outcome) {
  expect(std::string(to_string(t.type())) == outcome["topologyType"].get<std::string>(),
         "topologyType " + std::string(to_string(t.type())) + ", expected " +
             outcome["topologyType"].get<std::string>());
  if (outcome.contains("setName")) {
    expect(outcome["setName"].is_null() ? !t.set_name()
                                        : t.set_name() == outcome["setName"].get<std::string>(),
           "setName");
  }
  const auto& servers = outcome["servers"];
  expect(servers.size() == t.servers().size(),
         "expected " + std::to_string(servers.size()) + " servers, have " + t.summary());
  for (auto it = servers.begin(); it != servers.end(); ++it) {
    const auto* s = t.find(it.key());
    expect(s != nullptr, "missing server " + it.key() + " in " + t.summary());
    check_server(it.key(), *s, it.value());
  }
  if (outcome.contains("logicalSessionTimeoutMinutes")) {
    const auto& v = outcome["logicalSessionTimeoutMinutes"];
    expect(v.is_null() ? !t.logical_session_timeout_minutes()
                       : t.logical_session_timeout_minutes() == as_int(v),
           "logicalSessionTimeoutMinutes");
  }
  if (outcome.contains("maxSetVersion")) {
    const auto& v = outcome["maxSetVersion"];
    expect(v.is_null() ? !t.max_set_version() : t.max_set_version() == as_int(v), "maxSetVersion");
  }
  if (outcome.contains("maxElectionId")) {
    const auto& v = outcome["maxElectionId"];
    expect(v.is_null() ? !t.max_election_id() : t.max_election_id() == v["$oid"].get<std::string>(),
           "maxElectionId");
  }
  if (outcome.contains("compatible")) {
    expect(outcome["compatible"].get<bool>() == t.compatible(),
           "compatible: " + t.compatibility_error());
  }
}

void run_scenario(const json& doc) {
  ClientSettings settings = parse_uri(doc["uri"].get<std::string>());
  TopologyDescription t(settings);
  for (const auto& phase : doc["phases"]) {
    if (phase.contains("applicationErrors")) throw spec::Skip{"SDAM applicationErrors phases"};
    for (const auto& r : phase.value("responses", json::array())) {
      t.apply(ServerDescription::from_hello(r[0].get<std::string>(), r[1], 10.0));
    }
    check_outcome(t, phase["outcome"]);
  }
}

int run_sdam(const std::string& sub) {
  return spec::run_area("server-discovery-and-monitoring/" + sub, "sdam/" + sub,
                        [](const spec::fs::path& file, spec::Tally& tally) {
                          tally.run(file.filename().string(),
                                    [&] { run_scenario(spec::load(file)); });
                        });
}

}  // namespace

TEST_CASE("spec sdam rs") {
  CHECK(run_sdam("rs") == 0);
}
TEST_CASE("spec sdam sharded") {
  CHECK(run_sdam("sharded") == 0);
}
TEST_CASE("spec sdam single") {
  CHECK(run_sdam("single") == 0);
}
TEST_CASE("spec sdam load-balanced") {
  CHECK(run_sdam("load-balanced") == 0);
}
