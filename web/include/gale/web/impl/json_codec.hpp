// Codec<V>: how a C++ value of type V reads from JSON (checking its rules), writes to JSON, and
// shows as JSON Schema. One per kind of type: strings, bools, integers, floating point numbers,
// std::optional, std::vector, std::map with string keys, nlohmann::json (anything), and structs
// with json_fields() (json_fields.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "gale/web/impl/json_check.hpp"
#include "gale/web/json_fields.hpp"

namespace gale::web::detail {

using nlohmann::json;

template <class V>
inline constexpr bool kNoCodec = false;

template <class V, class = void>
struct Codec {
  static_assert(kNoCodec<V>,
                "gale::web: no JSON codec for this member type (a struct needs "
                "a static json_fields(); see gale/web/json_fields.hpp)");
};

template <>
struct Codec<std::string> {
  static void read(json& j, std::string& out, const Rules& r, DecodeContext& c) {
    if (!j.is_string()) return c.fail("must be a string");
    auto& s = j.get_ref<std::string&>();
    if (check_string(s, r, c)) out = std::move(s);
  }
  static json write(const std::string& v) { return v; }
  static json schema(const Rules& r) {
    json s = {{"type", "string"}};
    add_keywords(s, r, "string");
    return s;
  }
};

template <>
struct Codec<bool> {
  static void read(json& j, bool& out, const Rules& r, DecodeContext& c) {
    if (!j.is_boolean()) return c.fail("must be true or false");
    if (check_one_of(j, r, c)) out = j.get<bool>();
  }
  static json write(bool v) { return v; }
  static json schema(const Rules& r) {
    json s = {{"type", "boolean"}};
    add_keywords(s, r, "boolean");
    return s;
  }
};

template <class V>
struct Codec<V, std::enable_if_t<std::is_integral_v<V> && !std::is_same_v<V, bool>>> {
  using limits = std::numeric_limits<V>;
  static void read(json& j, V& out, const Rules& r, DecodeContext& c) {
    double as_double = 0;
    bool fits = false;
    if (j.is_number_unsigned()) {
      auto u = j.get<std::uint64_t>();
      fits = u <= static_cast<std::uint64_t>(limits::max());
      as_double = static_cast<double>(u);
    } else if (j.is_number_integer()) {
      auto i = j.get<std::int64_t>();
      fits = std::is_signed_v<V> ? (i >= static_cast<std::int64_t>(limits::min()) &&
                                    i <= static_cast<std::int64_t>(limits::max()))
                                 : false;
      as_double = static_cast<double>(i);
    } else if (j.is_number_float()) {
      // 3.0 is an integer to JSON Schema; 3.5 is not.
      double d = j.get<double>();
      if (std::trunc(d) != d) return c.fail("must be an integer");
      fits = d >= static_cast<double>(limits::min()) && d <= static_cast<double>(limits::max());
      as_double = d;
    } else {
      return c.fail("must be an integer");
    }
    if (!fits) {
      return c.fail("must be an integer from " + std::to_string(limits::min()) + " to " +
                    std::to_string(limits::max()));
    }
    if (!check_number(as_double, r, c) || !check_one_of(j, r, c)) return;
    out = j.is_number_float() ? static_cast<V>(as_double) : j.get<V>();
  }
  static json write(V v) { return v; }
  static json schema(const Rules& r) {
    json s = {{"type", "integer"}};
    if constexpr (sizeof(V) < sizeof(std::int64_t)) {
      s["minimum"] = limits::min();
      s["maximum"] = limits::max();
    }
    add_keywords(s, r, "integer");
    return s;
  }
};

template <class V>
struct Codec<V, std::enable_if_t<std::is_floating_point_v<V>>> {
  static void read(json& j, V& out, const Rules& r, DecodeContext& c) {
    if (!j.is_number()) return c.fail("must be a number");
    double d = j.get<double>();
    if (check_number(d, r, c) && check_one_of(j, r, c)) out = static_cast<V>(d);
  }
  static json write(V v) { return v; }
  static json schema(const Rules& r) {
    json s = {{"type", "number"}};
    add_keywords(s, r, "number");
    return s;
  }
};

// Any JSON value, null included.
template <>
struct Codec<json> {
  static void read(json& j, json& out, const Rules& r, DecodeContext& c) {
    if (check_one_of(j, r, c)) out = std::move(j);
  }
  static json write(const json& v) { return v; }
  static json schema(const Rules& r) {
    json s = json::object();
    add_keywords(s, r, "");
    return s;
  }
};

template <class V>
struct Codec<std::optional<V>> {
  static void read(json& j, std::optional<V>& out, const Rules& r, DecodeContext& c) {
    Codec<V>::read(j, out.emplace(), r, c);
  }
  static json write(const std::optional<V>& v) { return v ? Codec<V>::write(*v) : json(nullptr); }
  static json schema(const Rules& r) { return Codec<V>::schema(r); }
};

inline const Rules& element_rules(const Rules& r) noexcept {
  return r.items ? *r.items : no_rules();
}

template <class V>
struct Codec<std::vector<V>> {
  static void read(json& j, std::vector<V>& out, const Rules& r, DecodeContext& c) {
    if (!j.is_array()) return c.fail("must be an array");
    if (!check_size(j, r, c)) return;
    out.clear();
    out.resize(j.size());
    const Rules& element = element_rules(r);
    for (std::size_t i = 0; i < out.size(); ++i) {
      DecodeContext::Step step(c, i);
      Codec<V>::read(j[i], out[i], element, c);
    }
  }
  static json write(const std::vector<V>& v) {
    json a = json::array();
    for (const auto& e : v) a.push_back(Codec<V>::write(e));
    return a;
  }
  static json schema(const Rules& r) {
    json s = {{"type", "array"}, {"items", Codec<V>::schema(element_rules(r))}};
    add_keywords(s, r, "array");
    return s;
  }
};

template <class V>
struct Codec<std::map<std::string, V>> {
  static void read(json& j, std::map<std::string, V>& out, const Rules& r, DecodeContext& c) {
    if (!j.is_object()) return c.fail("must be a JSON object");
    if (!check_size(j, r, c)) return;
    out.clear();
    const Rules& element = element_rules(r);
    for (auto& [key, value] : j.get_ref<json::object_t&>()) {
      DecodeContext::Step step(c, key);
      Codec<V>::read(value, out[key], element, c);
    }
  }
  static json write(const std::map<std::string, V>& v) {
    json o = json::object();
    for (const auto& [key, value] : v) o[key] = Codec<V>::write(value);
    return o;
  }
  static json schema(const Rules& r) {
    json s = {{"type", "object"}, {"additionalProperties", Codec<V>::schema(element_rules(r))}};
    add_keywords(s, r, "object");
    return s;
  }
};

// The declaration of T, made once.
template <JsonDeclared T>
const auto& declaration() {
  static const auto d = T::json_fields();
  return d;
}

template <class T, class C, class M>
void read_member(const Field<C, M>& f, json& value, T& out, DecodeContext& c) {
  if constexpr (is_optional<M>::value) {
    if (f.null_allowed && value.is_null()) return (out.*(f.member)).reset();
  }
  DecodeContext::Step step(c, f.name);
  Codec<M>::read(value, out.*(f.member), f.rules, c);
}

template <class T, class... Fs>
void read_object(json& j, T& out, const Fields<Fs...>& d, DecodeContext& c) {
  if (!j.is_object()) return c.fail("must be a JSON object");
  std::array<bool, sizeof...(Fs)> seen{};
  // One walk over the members, each matched against the declared names.
  for (auto& member : j.get_ref<json::object_t&>()) {
    const std::string& key = member.first;  // not a structured binding: lambdas capture it
    json& value = member.second;
    bool known = std::apply(
        [&](const auto&... f) {
          std::size_t i = 0;
          return ((f.name == key ? (seen[i] = true, read_member(f, value, out, c), true)
                                 : (++i, false)) ||
                  ...);
        },
        d.list);
    if (known || d.unknown_allowed) continue;
    if (std::find(d.ignored.begin(), d.ignored.end(), key) != d.ignored.end()) continue;
    std::apply([&](const auto&... f) { c.fail_at(key, unknown_field_message({f.name...})); },
               d.list);
  }
  std::apply(
      [&](const auto&... f) {
        std::size_t i = 0;
        ((f.required && !seen[i] ? c.fail_at(f.name, "is required") : void(), ++i), ...);
      },
      d.list);
  if (d.any_required && std::find(seen.begin(), seen.end(), true) == seen.end()) {
    c.fail(d.any_message);
  }
}

template <class C, class M>
void write_member(json& o, const Field<C, M>& f, const C& v) {
  const M& member = v.*(f.member);
  if constexpr (is_optional<M>::value) {
    if (!member && f.null_allowed) o[f.name] = nullptr;
    if (!member) return;
  }
  o[f.name] = Codec<M>::write(member);
}

template <class T, class C, class M>
void add_property(json& properties, json& required, const Field<C, M>& f) {
  json s = Codec<M>::schema(f.rules);
  if (f.null_allowed) s = {{"anyOf", json::array({std::move(s), {{"type", "null"}}})}};
  if (f.required) {
    required.push_back(f.name);
  } else if constexpr (!is_optional<M>::value) {
    static const T defaults{};
    s["default"] = Codec<M>::write(defaults.*(f.member));
  }
  properties[f.name] = std::move(s);
}

template <JsonDeclared T>
struct Codec<T> {
  static void read(json& j, T& out, const Rules&, DecodeContext& c) {
    read_object(j, out, declaration<T>(), c);
  }
  static json write(const T& v) {
    json o = json::object();
    std::apply([&](const auto&... f) { (write_member(o, f, v), ...); }, declaration<T>().list);
    return o;
  }
  static json schema(const Rules&) {
    const auto& d = declaration<T>();
    json properties = json::object();
    json required = json::array();
    std::apply([&](const auto&... f) { (add_property<T>(properties, required, f), ...); }, d.list);
    for (const auto& name : d.ignored) properties[name] = {{"readOnly", true}};
    json s = {{"type", "object"}, {"properties", std::move(properties)}};
    if (!required.empty()) s["required"] = std::move(required);
    if (!d.unknown_allowed) s["additionalProperties"] = false;
    if (d.any_required) {
      json any = json::array();
      std::apply(
          [&](const auto&... f) {
            (any.push_back({{"required", json::array({f.name})}}), ...);
          },
          d.list);
      s["anyOf"] = std::move(any);
    }
    return s;
  }
};

}  // namespace gale::web::detail
