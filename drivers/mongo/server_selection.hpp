// Server selection (pure): which servers of a TopologyDescription suit an operation, by read
// preference (mode, tag sets, maxStalenessSeconds), and which of them are in the latency window.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "gale/mongo/settings.hpp"
#include "gale/mongo/topology_description.hpp"

namespace gale::mongo {

struct SelectionCriteria {
  bool write = false;
  ReadPreference read_preference;
  Millis local_threshold{15};
  Millis heartbeat_frequency{10'000};
  std::vector<std::string> deprioritized;  // servers a retry avoids when it can
};

struct Selection {
  std::vector<const ServerDescription*> suitable;
  std::vector<const ServerDescription*> in_window;
};

// Throws Error(invalid_argument) for a read preference the topology cannot honour (staleness below
// the floor).
Selection select_servers(const TopologyDescription& topology, const SelectionCriteria& criteria);

// "Power of two choices": two random servers of the window, the one with fewer operations in
// flight.
const ServerDescription* pick_server(const std::vector<const ServerDescription*>& window,
                                     const std::function<int(const std::string&)>& operations,
                                     std::mt19937& rng);

}  // namespace gale::mongo
