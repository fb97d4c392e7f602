// server-selection (server_selection, rtt, in_window) and max-staleness.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

#include "gale/loop/error.hpp"
#include "gale/mongo/server_selection.hpp"
#include "spec/spec_runner.hpp"

using namespace gale::mongo;
using nlohmann::json;
namespace spec = gale::spec;

namespace {

void expect(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

std::int64_t as_int(const json& v) {
  if (v.is_number()) return v.get<std::int64_t>();
  if (v.is_object() && v.contains("$numberLong"))
    return std::stoll(v["$numberLong"].get<std::string>());
  return 0;
}

TopologyDescription topology_of(const json& td) {
  std::vector<ServerDescription> servers;
  for (const auto& s : td.value("servers", json::array())) {
    ServerDescription d;
    d.address = s["address"].get<std::string>();
    d.type = parse_server_type(s["type"].get<std::string>());
    if (s.contains("avg_rtt_ms")) d.round_trip_ms = s["avg_rtt_ms"].get<double>();
    if (s.contains("tags")) d.tags = s["tags"];
    if (s.contains("lastUpdateTime")) d.last_update_ms = as_int(s["lastUpdateTime"]);
    if (s.contains("lastWrite")) d.last_write_date_ms = as_int(s["lastWrite"]["lastWriteDate"]);
    d.max_wire_version = s.value("maxWireVersion", 21);
    servers.push_back(std::move(d));
  }
  return TopologyDescription::from_servers(parse_topology_type(td["type"].get<std::string>()),
                                           std::move(servers));
}

std::set<std::string> addresses(const std::vector<const ServerDescription*>& v) {
  std::set<std::string> out;
  for (const auto* s : v) out.insert(s->address);
  return out;
}

std::set<std::string> addresses(const json& v) {
  std::set<std::string> out;
  for (const auto& s : v) out.insert(s["address"].get<std::string>());
  return out;
}

std::string show(const std::set<std::string>& s) {
  std::string out = "{";
  for (const auto& a : s) out += a + " ";
  return out + "}";
}

SelectionCriteria criteria_of(const json& t) {
  SelectionCriteria c;
  c.write = t.value("operation", "read") == "write";
  const json rp = t.value("read_preference", json::object());
  if (rp.contains("mode")) c.read_preference.mode = parse_read_mode(rp["mode"].get<std::string>());
  for (const auto& set : rp.value("tag_sets", json::array()))
    c.read_preference.tag_sets.push_back(set);
  if (rp.contains("maxStalenessSeconds") && as_int(rp["maxStalenessSeconds"]) != -1) {
    c.read_preference.max_staleness_seconds = as_int(rp["maxStalenessSeconds"]);
  }
  if (t.contains("heartbeatFrequencyMS"))
    c.heartbeat_frequency = Millis(as_int(t["heartbeatFrequencyMS"]));
  for (const auto& d : t.value("deprioritized_servers", json::array())) {
    c.deprioritized.push_back(d["address"].get<std::string>());
  }
  return c;
}

void run_selection(const json& t) {
  auto topology = topology_of(t["topology_description"]);
  auto criteria = criteria_of(t);
  if (t.value("error", false)) {
    bool threw = false;
    try {
      criteria.read_preference.validate(criteria.heartbeat_frequency);
      (void)select_servers(topology, criteria);
    } catch (const gale::Error&) {
      threw = true;
    }
    expect(threw, "an invalid read preference was accepted");
    return;
  }
  auto sel = select_servers(topology, criteria);
  if (t.contains("suitable_servers")) {
    auto want = addresses(t["suitable_servers"]);
    expect(want == addresses(sel.suitable),
           "suitable " + show(addresses(sel.suitable)) + ", expected " + show(want));
  }
  auto want = addresses(t["in_latency_window"]);
  expect(want == addresses(sel.in_window),
         "in window " + show(addresses(sel.in_window)) + ", expected " + show(want));
}

void run_rtt(const json& t) {
  std::optional<double> previous;
  if (!(t["avg_rtt_ms"].is_string() && t["avg_rtt_ms"] == "NULL"))
    previous = t["avg_rtt_ms"].get<double>();
  double got = average_rtt(previous, t["new_rtt_ms"].get<double>());
  expect(std::fabs(got - t["new_avg_rtt"].get<double>()) < 1e-6, "average " + std::to_string(got));
}

void run_in_window(const json& t) {
  auto topology = topology_of(t["topology_description"]);
  std::map<std::string, int> ops;
  for (const auto& m : t["mocked_topology_state"])
    ops[m["address"].get<std::string>()] = m["operation_count"].get<int>();
  SelectionCriteria c;
  c.read_preference.mode = ReadMode::nearest;
  auto sel = select_servers(topology, c);
  std::mt19937 rng(12345);
  std::map<std::string, int> seen;
  const int iterations = t["iterations"].get<int>();
  for (int i = 0; i < iterations; ++i) {
    const auto* s = pick_server(
        sel.in_window, [&](const std::string& a) { return ops[a]; }, rng);
    expect(s != nullptr, "nothing selected");
    ++seen[s->address];
  }
  const auto& outcome = t["outcome"];
  const double tolerance = outcome["tolerance"].get<double>();
  for (auto it = outcome["expected_frequencies"].begin();
       it != outcome["expected_frequencies"].end(); ++it) {
    double want = it.value().get<double>();
    double got = static_cast<double>(seen[it.key()]) / iterations;
    if (want == 0 || want == 1) {
      expect(got == want, it.key() + " frequency " + std::to_string(got));
    } else {
      expect(std::fabs(got - want) <= tolerance,
             it.key() + " frequency " + std::to_string(got) + " vs " + std::to_string(want));
    }
  }
}

int run_files(const std::string& area, const std::string& label, void (*fn)(const json&)) {
  return spec::run_area(area, label, [&](const spec::fs::path& file, spec::Tally& tally) {
    auto rel = file.parent_path().filename().string() + "/" + file.filename().string();
    tally.run(rel, [&] { fn(spec::load(file)); });
  });
}

}  // namespace

TEST_CASE("spec server-selection") {
  CHECK(run_files("server-selection/server_selection", "server-selection", run_selection) == 0);
}
TEST_CASE("spec server-selection rtt") {
  CHECK(run_files("server-selection/rtt", "server-selection/rtt", run_rtt) == 0);
}
TEST_CASE("spec server-selection in_window") {
  CHECK(run_files("server-selection/in_window", "server-selection/in_window", run_in_window) == 0);
}
TEST_CASE("spec max-staleness") {
  CHECK(run_files("max-staleness", "max-staleness", run_selection) == 0);
}
