// The TechEmpower test rules shared by both databases: random World ids, the `queries` argument,
// and the fortunes page. https://github.com/TechEmpower/FrameworkBenchmarks/wiki
// ("Project Information Framework Tests Overview").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace techempower {

inline constexpr int kWorldRows = 10000;

// A uniformly random id in 1..10000 (a per-thread generator, never cached results).
int random_world_id();

// The `queries` argument: an integer clamped to 1..500; missing, empty or not a number: 1.
int clamp_queries(const std::optional<std::string>& text);

// {"id": 3217, "randomNumber": 2149}
nlohmann::json world_json(std::int64_t id, std::int64_t random_number);

struct Fortune {
  std::int64_t id;
  std::string message;
};

// Adds the fortune of request time (id 0), sorts by message, and renders the page with every
// message HTML-escaped.
std::string fortunes_page(std::vector<Fortune> fortunes);

// & < > " ' escaped.
void append_escaped(std::string& out, std::string_view text);

}  // namespace techempower
