// The unified test format's "Evaluating Matches": an expected value from a spec file (Extended
// JSON) against what gale returned (relaxed Extended JSON in nlohmann::json). Root-level documents
// may hold extra keys, nested ones may not; numbers compare by value (1 matches 1.0); key order
// never matters. Special operators: $$exists, $$type, $$unsetOrMatches, $$matchesEntity, $$lte,
// $$matchAsDocument, $$matchAsRoot. $$sessionLsid and $$matchesHexBytes throw UnsupportedMatch.
//
// $$type "int" and "long": gale gives both BSON integer types as plain JSON numbers, so "int" is
// an integer within int32's range and "long" any integer.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace gale::spec {

// The value of a saved entity ($$matchesEntity), or nullptr when there is none of that name.
using EntityLookup = std::function<const nlohmann::json*(const std::string&)>;

// A special operator this matcher does not implement.
struct UnsupportedMatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// nullopt when `actual` (nullptr: absent) matches `expected`; otherwise where and why not, e.g.
// "fullDocument.x: expected 1, got 2". `root`: `actual` is a root-level document.
std::optional<std::string> unified_match(const nlohmann::json& expected,
                                         const nlohmann::json* actual, const EntityLookup& entities,
                                         bool root = true);

}  // namespace gale::spec
