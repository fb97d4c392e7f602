#include "gale/mongo/server_selection.hpp"

#include <algorithm>
#include <limits>

#include "gale/loop/error.hpp"

namespace gale::mongo {
namespace {

using Servers = std::vector<const ServerDescription*>;

bool matches_tags(const ServerDescription& s, const nlohmann::json& tag_set) {
  for (auto it = tag_set.begin(); it != tag_set.end(); ++it) {
    auto have = s.tags.find(it.key());
    if (have == s.tags.end() || *have != it.value()) return false;
  }
  return true;
}

Servers by_tags(const Servers& in, const std::vector<nlohmann::json>& tag_sets) {
  if (tag_sets.empty()) return in;
  for (const auto& set : tag_sets) {
    Servers out;
    for (const auto* s : in)
      if (matches_tags(*s, set)) out.push_back(s);
    if (!out.empty()) return out;
  }
  return {};
}

Servers by_staleness(const TopologyDescription& t, const Servers& in, const SelectionCriteria& c) {
  const auto& max = c.read_preference.max_staleness_seconds;
  if (!max || *max <= 0) return in;
  const double limit_ms = static_cast<double>(*max) * 1000.0;
  const double heartbeat = static_cast<double>(c.heartbeat_frequency.count());
  const ServerDescription* primary = nullptr;
  for (const auto& [_, s] : t.servers())
    if (s.type == ServerType::rs_primary) primary = &s;
  std::int64_t max_write = std::numeric_limits<std::int64_t>::min();
  for (const auto& [_, s] : t.servers())
    if (s.type == ServerType::rs_secondary) max_write = std::max(max_write, s.last_write_date_ms);
  Servers out;
  for (const auto* s : in) {
    if (s->type != ServerType::rs_secondary) {
      out.push_back(s);
      continue;
    }
    double staleness = 0;
    if (primary != nullptr) {
      staleness = static_cast<double>((s->last_update_ms - s->last_write_date_ms) -
                                      (primary->last_update_ms - primary->last_write_date_ms)) +
                  heartbeat;
    } else {
      staleness = static_cast<double>(max_write - s->last_write_date_ms) + heartbeat;
    }
    if (staleness <= limit_ms) out.push_back(s);
  }
  return out;
}

Servers of_type(const TopologyDescription& t, std::initializer_list<ServerType> types) {
  Servers out;
  for (const auto& [_, s] : t.servers())
    if (std::find(types.begin(), types.end(), s.type) != types.end()) out.push_back(&s);
  return out;
}

Servers replica_set(const TopologyDescription& t, const SelectionCriteria& c) {
  Servers primary = of_type(t, {ServerType::rs_primary});
  if (c.write) return primary;
  const auto& rp = c.read_preference;
  auto secondaries = [&] {
    return by_tags(by_staleness(t, of_type(t, {ServerType::rs_secondary}), c), rp.tag_sets);
  };
  switch (rp.mode) {
    case ReadMode::primary:
      return primary;
    case ReadMode::primary_preferred:
      return primary.empty() ? secondaries() : primary;
    case ReadMode::secondary:
      return secondaries();
    case ReadMode::secondary_preferred: {
      auto s = secondaries();
      return s.empty() ? primary : s;
    }
    case ReadMode::nearest:
      return by_tags(
          by_staleness(t, of_type(t, {ServerType::rs_primary, ServerType::rs_secondary}), c),
          rp.tag_sets);
  }
  return {};
}

Servers latency_window(const Servers& suitable, Millis threshold) {
  double fastest = std::numeric_limits<double>::max();
  for (const auto* s : suitable) fastest = std::min(fastest, s->round_trip_ms.value_or(0.0));
  Servers out;
  for (const auto* s : suitable) {
    if (s->round_trip_ms.value_or(0.0) <= fastest + static_cast<double>(threshold.count())) {
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

namespace {
Selection select_all(const TopologyDescription& t, const SelectionCriteria& c);
}

// Deprioritized servers (a retry's failed server) are left out when anything else suits.
Selection select_servers(const TopologyDescription& t, const SelectionCriteria& c) {
  if (c.deprioritized.empty() || t.type() == TopologyType::single ||
      t.type() == TopologyType::load_balanced) {
    return select_all(t, c);
  }
  std::vector<ServerDescription> kept;
  for (const auto& [address, s] : t.servers()) {
    if (std::find(c.deprioritized.begin(), c.deprioritized.end(), address) ==
        c.deprioritized.end()) {
      kept.push_back(s);
    }
  }
  auto filtered = TopologyDescription::from_servers(t.type(), std::move(kept));
  SelectionCriteria plain = c;
  plain.deprioritized.clear();
  Selection sel = select_all(filtered, plain);
  if (sel.suitable.empty()) return select_all(t, plain);
  Selection out;  // the same servers, pointing into `t`
  for (const auto* s : sel.suitable) out.suitable.push_back(t.find(s->address));
  for (const auto* s : sel.in_window) out.in_window.push_back(t.find(s->address));
  return out;
}

namespace {
Selection select_all(const TopologyDescription& t, const SelectionCriteria& c) {
  Selection out;
  if (!t.compatible()) {
    throw Error(ErrorKind::unavailable, t.compatibility_error(), std::string(kDatabaseUnavailable));
  }
  switch (t.type()) {
    case TopologyType::unknown:
      return out;
    case TopologyType::single:
      for (const auto& [_, s] : t.servers())
        if (s.is_known()) out.suitable.push_back(&s);
      break;
    case TopologyType::load_balanced:
      for (const auto& [_, s] : t.servers()) out.suitable.push_back(&s);
      out.in_window = out.suitable;
      return out;
    case TopologyType::sharded:
      out.suitable = of_type(t, {ServerType::mongos});
      break;
    case TopologyType::replica_set_no_primary:
    case TopologyType::replica_set_with_primary:
      if (!c.write) c.read_preference.validate(c.heartbeat_frequency);
      out.suitable = replica_set(t, c);
      break;
  }
  out.in_window = latency_window(out.suitable, c.local_threshold);
  return out;
}
}  // namespace

const ServerDescription* pick_server(const std::vector<const ServerDescription*>& window,
                                     const std::function<int(const std::string&)>& operations,
                                     std::mt19937& rng) {
  if (window.empty()) return nullptr;
  if (window.size() == 1) return window.front();
  std::uniform_int_distribution<std::size_t> dist(0, window.size() - 1);
  std::size_t a = dist(rng);
  std::size_t b = dist(rng);
  while (b == a) b = dist(rng);
  return operations(window[a]->address) <= operations(window[b]->address) ? window[a] : window[b];
}

}  // namespace gale::mongo
