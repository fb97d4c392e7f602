#include "crud/preconditions.hpp"

#include <charconv>
#include <cstdint>

namespace crud {
namespace {

constexpr std::size_t kMaxTags = 16;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(tag) for each comma-separated entry of an If-Match / If-None-Match list.
template <class F>
void each_tag(std::string_view list, F fn) {
  std::size_t count = 0;
  while (!list.empty() && count++ < kMaxTags) {
    auto comma = list.find(',');
    fn(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// "\"12\"" -> 12; anything else (weak, not a number) -> 0.
std::int64_t version_of(std::string_view tag) {
  if (tag.size() < 3 || tag.front() != '"' || tag.back() != '"') return 0;
  tag = tag.substr(1, tag.size() - 2);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), v);
  return ec == std::errc() && end == tag.data() + tag.size() && v > 0 ? v : 0;
}

}  // namespace

Versions accepted_versions(std::string_view if_match) {
  if_match = trim(if_match);
  if (if_match.empty() || if_match == "*") return {};
  Versions out;
  each_tag(if_match, [&](std::string_view tag) {
    if (auto v = version_of(tag); v > 0) out.push_back(v);
  });
  if (out.empty()) out.push_back(0);
  return out;
}

bool none_match(std::string_view if_none_match, const Note& note) {
  if_none_match = trim(if_none_match);
  if (if_none_match == "*") return true;
  bool found = false;
  // If-None-Match compares weakly: W/"3" matches version 3 too.
  each_tag(if_none_match, [&](std::string_view tag) {
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    found = found || version_of(tag) == note.version;
  });
  return found;
}

}  // namespace crud
