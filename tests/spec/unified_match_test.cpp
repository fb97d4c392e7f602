// unified_match.hpp: the unified format's matching rules, on the examples of its "Evaluating
// Matches" section and the operators the change-streams files use.
#include <catch2/catch.hpp>

#include "spec/unified_match.hpp"

using gale::spec::unified_match;
using nlohmann::json;

namespace {

bool matches(const json& expected, const json& actual, bool root = true) {
  return !unified_match(expected, &actual, nullptr, root);
}

}  // namespace

TEST_CASE("unified_match allows extra keys in root documents only") {
  CHECK(matches({{"x", 1}}, {{"x", 1}, {"y", 1}}));
  CHECK_FALSE(matches({{"x", 1}, {"y", 1}}, {{"x", 1}}));
  CHECK_FALSE(matches({{"x", {{"y", 1}}}}, {{"x", {{"y", 1}, {"z", 1}}}}));
  CHECK_FALSE(matches({{"x", 1}}, {{"x", 1}, {"y", 1}}, false));
}

TEST_CASE("unified_match compares numbers by value and arrays by length") {
  CHECK(matches({{"ok", 1}}, {{"ok", 1.0}}));
  CHECK_FALSE(matches({{"ok", 1}}, {{"ok", 1.5}}));
  CHECK(matches({{"n", {{"$numberLong", "5"}}}}, {{"n", 5}}));
  CHECK_FALSE(matches({{"a", json::array({1, 2, 3})}}, {{"a", json::array({1, 2, 3, 4})}}));
  CHECK_FALSE(matches({{"a", "1"}}, {{"a", 1}}));
}

TEST_CASE("unified_match operators exists type unsetOrMatches lte and matchesEntity") {
  CHECK(matches({{"a", {{"$$exists", true}}}}, {{"a", nullptr}}));
  CHECK_FALSE(matches({{"a", {{"$$exists", true}}}}, json::object()));
  CHECK(matches({{"a", {{"$$exists", false}}}}, json::object()));
  CHECK_FALSE(matches({{"a", {{"$$exists", false}}}}, {{"a", 1}}));

  CHECK(matches({{"a", {{"$$type", "object"}}}}, {{"a", {{"_data", "82"}}}}));
  CHECK_FALSE(matches({{"a", {{"$$type", "object"}}}}, {{"a", {{"$oid", "0123"}}}}));
  CHECK(matches({{"a", {{"$$type", json::array({"int", "long"})}}}}, {{"a", 5}}));
  CHECK_FALSE(matches({{"a", {{"$$type", "int"}}}}, {{"a", 5000000000}}));
  CHECK(
      matches({{"a", {{"$$type", "timestamp"}}}}, {{"a", {{"$timestamp", {{"t", 1}, {"i", 2}}}}}}));
  CHECK_FALSE(matches({{"a", {{"$$type", "string"}}}}, json::object()));

  // In a nested document: absent, or matching (its own rules: no extra keys).
  json unset = {{"d", {{"t", {{"$$unsetOrMatches", {{"$$exists", true}}}}}, {"u", 1}}}};
  CHECK(matches(unset, {{"d", {{"u", 1}}}}));
  CHECK(matches(unset, {{"d", {{"u", 1}, {"t", json::array()}}}}));
  CHECK_FALSE(matches({{"d", {{"$$unsetOrMatches", {{"x", 1}}}}}}, {{"d", {{"x", 2}}}}));

  CHECK(matches({{"n", {{"$$lte", 5}}}}, {{"n", 4.5}}));
  CHECK_FALSE(matches({{"n", {{"$$lte", 5}}}}, {{"n", 6}}));

  json saved = {{"$oid", "65a0b0c0d0e0f00000000001"}};
  auto lookup = [&](const std::string& id) -> const json* {
    return id == "id0" ? &saved : nullptr;
  };
  json expected = {{"_id", {{"$$matchesEntity", "id0"}}}};
  json actual = {{"_id", saved}};
  CHECK_FALSE(unified_match(expected, &actual, lookup));
  json other = {{"_id", {{"$oid", "65a0b0c0d0e0f00000000002"}}}};
  CHECK(unified_match(expected, &other, lookup));
  CHECK_THROWS_AS(unified_match({{"l", {{"$$sessionLsid", "s"}}}}, &actual, lookup),
                  gale::spec::UnsupportedMatch);
}
