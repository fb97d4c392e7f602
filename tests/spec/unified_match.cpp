#include "spec/unified_match.hpp"

#include <cstdint>
#include <limits>
#include <set>
#include <string_view>

using nlohmann::json;

namespace gale::spec {

namespace {

// The one key of an Extended JSON wrapper ({"$oid": ...}), or "" for a plain document.
std::string wrapper_of(const json& v) {
  static const std::set<std::string, std::less<>> wrappers = {
      "$oid",       "$date",          "$timestamp",
      "$binary",    "$numberDecimal", "$numberLong",
      "$numberInt", "$numberDouble",  "$regularExpression",
      "$minKey",    "$maxKey",        "$undefined",
      "$symbol",    "$code",          "$dbPointer"};
  if (!v.is_object() || v.empty()) return "";
  const std::string& first = v.begin().key();
  return wrappers.count(first) != 0 ? first : "";
}

// Canonical numbers ({"$numberInt": "1"}) as plain ones; anything else as it is.
json plain_number(const json& v) {
  const std::string w = wrapper_of(v);
  if (w == "$numberInt" || w == "$numberLong") return std::stoll(v[w].get<std::string>());
  if (w == "$numberDouble") return std::stod(v[w].get<std::string>());
  return v;
}

bool has_type(const json& v, std::string_view type) {
  const json n = plain_number(v);
  const std::string w = wrapper_of(v);
  if (type == "double") return n.is_number_float();
  if (type == "int") {
    return n.is_number_integer() && n.get<std::int64_t>() >= std::numeric_limits<int32_t>::min() &&
           n.get<std::int64_t>() <= std::numeric_limits<int32_t>::max();
  }
  if (type == "long") return n.is_number_integer();
  if (type == "number") return n.is_number() || w == "$numberDecimal";
  if (type == "string") return v.is_string();
  if (type == "object") return v.is_object() && w.empty();
  if (type == "array") return v.is_array();
  if (type == "bool") return v.is_boolean();
  if (type == "null") return v.is_null();
  if (type == "objectId") return w == "$oid";
  if (type == "date") return w == "$date";
  if (type == "timestamp") return w == "$timestamp";
  if (type == "binData") return w == "$binary";
  if (type == "decimal") return w == "$numberDecimal";
  if (type == "regex") return w == "$regularExpression";
  if (type == "minKey") return w == "$minKey";
  if (type == "maxKey") return w == "$maxKey";
  if (type == "undefined") return w == "$undefined";
  if (type == "javascript") return w == "$code";
  throw UnsupportedMatch("$$type " + std::string(type));
}

// The one "$$..." key of an operator document, or "".
std::string operator_of(const json& v) {
  if (!v.is_object() || v.size() != 1) return "";
  const std::string& k = v.begin().key();
  return k.rfind("$$", 0) == 0 ? k : "";
}

std::string shown(const json* v) {
  if (v == nullptr) return "(absent)";
  std::string s = v->dump();
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

std::string at(const std::string& path) {
  return path.empty() ? "(root)" : path;
}

class Matcher {
 public:
  explicit Matcher(const EntityLookup& entities) : entities_(entities) {}

  std::optional<std::string> match(const json& expected, const json* actual, bool root,
                                   const std::string& path) {
    if (const std::string op = operator_of(expected); !op.empty()) {
      return special(op, expected[op], actual, root, path);
    }
    if (expected.is_object() && wrapper_of(expected).empty()) {
      if (actual == nullptr || !actual->is_object() || !wrapper_of(*actual).empty()) {
        return at(path) + ": expected a document " + shown(&expected) + ", got " + shown(actual);
      }
      for (const auto& [key, value] : expected.items()) {
        const std::string sub = path.empty() ? key : path + "." + key;
        const json* field = actual->contains(key) ? &(*actual)[key] : nullptr;
        const std::string op = operator_of(value);
        if (op == "$$exists") {
          const bool want = value[op].get<bool>();
          if (want != (field != nullptr)) {
            return sub + (want ? ": expected to exist, absent" : ": expected absent, got ") +
                   (want ? "" : shown(field));
          }
          continue;
        }
        if (op == "$$unsetOrMatches") {
          if (field == nullptr) continue;
          if (auto why = match(value[op], field, false, sub)) return why;
          continue;
        }
        // Other operators judge an absent value themselves ($$type fails, ...).
        if (field == nullptr && op.empty()) return sub + ": expected " + shown(&value) + ", absent";
        if (auto why = match(value, field, false, sub)) return why;
      }
      if (!root) {
        for (const auto& [key, _] : actual->items()) {
          if (!expected.contains(key)) {
            return at(path) + ": unexpected key " + key + " in a nested document " + shown(actual);
          }
        }
      }
      return std::nullopt;
    }
    if (expected.is_array()) {
      if (actual == nullptr || !actual->is_array()) {
        return at(path) + ": expected an array, got " + shown(actual);
      }
      if (actual->size() != expected.size()) {
        return at(path) + ": expected " + std::to_string(expected.size()) + " elements, got " +
               shown(actual);
      }
      for (std::size_t i = 0; i < expected.size(); ++i) {
        if (auto why =
                match(expected[i], &(*actual)[i], false, path + "[" + std::to_string(i) + "]"))
          return why;
      }
      return std::nullopt;
    }
    if (actual == nullptr) return at(path) + ": expected " + shown(&expected) + ", absent";
    const json e = plain_number(expected);
    const json a = plain_number(*actual);
    if (e.is_number() && a.is_number()) {
      if (e.get<double>() == a.get<double>()) return std::nullopt;
    } else if (e == a) {
      return std::nullopt;
    }
    return at(path) + ": expected " + shown(&expected) + ", got " + shown(actual);
  }

 private:
  std::optional<std::string> special(const std::string& op, const json& arg, const json* actual,
                                     bool root, const std::string& path) {
    if (op == "$$exists") {
      if (arg.get<bool>() == (actual != nullptr)) return std::nullopt;
      return at(path) +
             (actual ? ": expected absent, got " + shown(actual) : ": expected to exist");
    }
    if (op == "$$type") {
      if (actual == nullptr) return at(path) + ": expected a value of $$type " + arg.dump();
      const json types = arg.is_array() ? arg : json::array({arg});
      for (const auto& t : types) {
        if (has_type(*actual, t.get<std::string>())) return std::nullopt;
      }
      return at(path) + ": expected $$type " + arg.dump() + ", got " + shown(actual);
    }
    if (op == "$$unsetOrMatches") {
      if (actual == nullptr) return std::nullopt;
      return match(arg, actual, root, path);
    }
    if (op == "$$matchesEntity") {
      const json* entity = entities_ ? entities_(arg.get<std::string>()) : nullptr;
      if (entity == nullptr) {
        throw std::runtime_error("$$matchesEntity: no entity " + arg.get<std::string>());
      }
      return match(*entity, actual, root, path);
    }
    if (op == "$$lte") {
      const json a = actual ? plain_number(*actual) : json();
      const json e = plain_number(arg);
      if (a.is_number() && e.is_number() && a.get<double>() <= e.get<double>()) {
        return std::nullopt;
      }
      return at(path) + ": expected a number <= " + arg.dump() + ", got " + shown(actual);
    }
    if (op == "$$matchAsRoot") return match(arg, actual, true, path);
    if (op == "$$matchAsDocument") {
      if (actual == nullptr || !actual->is_string()) {
        return at(path) + ": expected an Extended JSON string, got " + shown(actual);
      }
      const json parsed = json::parse(actual->get<std::string>(), nullptr, false);
      if (parsed.is_discarded()) return at(path) + ": not JSON: " + shown(actual);
      return match(arg, &parsed, false, path);
    }
    throw UnsupportedMatch("the matching operator " + op);
  }

  const EntityLookup& entities_;
};

}  // namespace

std::optional<std::string> unified_match(const json& expected, const json* actual,
                                         const EntityLookup& entities, bool root) {
  Matcher m(entities);
  return m.match(expected, actual, root, "");
}

}  // namespace gale::spec
