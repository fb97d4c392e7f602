#include "gale/web/impl/json_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "gale/web/detail/utf8.hpp"

namespace gale::web::detail {
namespace {

using nlohmann::json;

// Characters (code points) of valid UTF-8 (the parser checked it): the bytes that start one.
std::size_t characters(std::string_view s) noexcept {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string number_text(double v) {
  return fmt::format("{}", v);  // 5, 2.5: the shortest text that reads back
}

// "must have 1 to 200 characters", "must have at most 20 items"
std::string range_message(std::optional<std::size_t> min, std::optional<std::size_t> max,
                          std::string_view unit) {
  if (min && max) return fmt::format("must have {} to {} {}", *min, *max, unit);
  if (min) return fmt::format("must have at least {} {}", *min, unit);
  return fmt::format("must have at most {} {}", *max, unit);
}

bool in_range(std::size_t n, std::optional<std::size_t> min, std::optional<std::size_t> max) {
  return (!min || n >= *min) && (!max || n <= *max);
}

// The start of a value for a message, cut between characters.
std::string quoted(const json& v) {
  if (v.is_string()) {
    return "'" + std::string(utf8_prefix(v.get_ref<const std::string&>(), 64)) + "'";
  }
  return std::string(utf8_prefix(v.dump(-1, ' ', false, json::error_handler_t::replace), 64));
}

void escape_into(std::string& out, std::string_view key) {
  for (char ch : key) {
    if (ch == '~') {
      out += "~0";
    } else if (ch == '/') {
      out += "~1";
    } else {
      out += ch;
    }
  }
}

}  // namespace

void DecodeContext::fail(std::string message) {
  if (errors_.size() < kMaxErrors) errors_.push_back(FieldError{pointer(), std::move(message)});
}

void DecodeContext::fail_at(std::string_view key, std::string message) {
  Step step(*this, key);
  fail(std::move(message));
}

std::string DecodeContext::pointer() const {
  std::vector<const Step*> steps;
  for (const Step* s = top_; s != nullptr; s = s->parent_) steps.push_back(s);
  std::string out;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    out += '/';
    if ((*it)->is_index_) {
      out += std::to_string((*it)->index_);
    } else {
      escape_into(out, (*it)->key_);
    }
  }
  return out;
}

const Rules& no_rules() noexcept {
  static const Rules none;
  return none;
}

bool check_string(const std::string& s, const Rules& r, DecodeContext& c) {
  bool ok = true;
  if (r.min_length || r.max_length) {
    if (!in_range(characters(s), r.min_length, r.max_length)) {
      c.fail(range_message(r.min_length, r.max_length, "characters"));
      ok = false;
    }
  }
  for (const Pattern& p : r.patterns) {
    bool match = p.matches ? p.matches(s) : std::regex_search(s, *p.compiled);
    if (!match) {
      c.fail(p.message);
      ok = false;
    }
  }
  if (!r.one_of.empty()) ok = check_one_of(json(s), r, c) && ok;
  return ok;
}

bool check_number(double v, const Rules& r, DecodeContext& c) {
  if (r.minimum && v < *r.minimum) {
    c.fail("must be at least " + number_text(*r.minimum));
    return false;
  }
  if (r.maximum && v > *r.maximum) {
    c.fail("must be at most " + number_text(*r.maximum));
    return false;
  }
  return true;
}

bool check_one_of(const json& v, const Rules& r, DecodeContext& c) {
  if (r.one_of.empty() || std::find(r.one_of.begin(), r.one_of.end(), v) != r.one_of.end()) {
    return true;
  }
  std::string allowed;
  for (const auto& a : r.one_of) allowed += (allowed.empty() ? "" : ", ") + quoted(a);
  c.fail("must be one of " + allowed);
  return false;
}

bool check_size(const json& v, const Rules& r, DecodeContext& c) {
  if (!in_range(v.size(), r.min_items, r.max_items)) {
    c.fail(range_message(r.min_items, r.max_items, v.is_array() ? "items" : "members"));
    return false;
  }
  if (!r.unique_items || !v.is_array() || v.size() < 2) return true;
  // Sorted, so that a long array costs n log n comparisons, not n squared.
  std::vector<const json*> sorted;
  sorted.reserve(v.size());
  for (const auto& e : v) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const json* a, const json* b) { return *a < *b; });
  auto twice = std::adjacent_find(sorted.begin(), sorted.end(),
                                  [](const json* a, const json* b) { return *a == *b; });
  if (twice == sorted.end()) return true;
  c.fail("has " + quoted(**twice) + " twice");
  return false;
}

void add_keywords(json& schema, const Rules& r, std::string_view type) {
  if (!r.description.empty()) schema["description"] = r.description;
  if (r.minimum) schema["minimum"] = *r.minimum;
  if (r.maximum) schema["maximum"] = *r.maximum;
  if (type == "string") {
    if (r.min_length) schema["minLength"] = *r.min_length;
    if (r.max_length) schema["maxLength"] = *r.max_length;
    // One pattern per schema: the others in an allOf.
    for (const Pattern& p : r.patterns) {
      if (!schema.contains("pattern")) {
        schema["pattern"] = p.regex;
      } else {
        schema["allOf"].push_back({{"pattern", p.regex}});
      }
    }
  }
  if (type == "array") {
    if (r.min_items) schema["minItems"] = *r.min_items;
    if (r.max_items) schema["maxItems"] = *r.max_items;
    if (r.unique_items) schema["uniqueItems"] = true;
  }
  if (type == "object") {
    if (r.min_items) schema["minProperties"] = *r.min_items;
    if (r.max_items) schema["maxProperties"] = *r.max_items;
  }
  if (!r.one_of.empty()) schema["enum"] = r.one_of;
}

std::string unknown_field_message(const std::vector<std::string_view>& names) {
  std::string list;
  for (auto n : names) list.append(list.empty() ? "" : ", ").append(n);
  return "is not a field (fields: " + list + ")";
}

}  // namespace gale::web::detail
