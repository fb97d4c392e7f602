// The JSON shape of a C++ struct, declared once next to it: field names, member pointers and
// constraints. From that one declaration json_type.hpp gives decode<T>() (parse and validate,
// every failing field reported), encode() and json_schema<T>() (JSON Schema 2020-12).
//
//   struct Note {
//     std::string slug, title, body;
//     std::vector<std::string> tags;
//     bool done = false;
//     std::optional<int> priority;
//     static auto json_fields() {
//       using gale::web::field;
//       return gale::web::fields(
//           field("slug", &Note::slug).min_length(1).max_length(100).pattern("^[a-z0-9-]+$"),
//           field("title", &Note::title).min_length(1).max_length(200),
//           field("body", &Note::body).max_length(100000).optional(),
//           field("tags", &Note::tags).max_items(20).unique_items().items(
//               gale::web::items().min_length(1).max_length(50)),
//           field("done", &Note::done).optional(),
//           field("priority", &Note::priority).minimum(1).maximum(5));
//     }
//   };
//
// Required or not: a member that is not a std::optional is required unless .optional() is said,
// and then keeps its initial value (the schema's "default") when absent; a std::optional member
// may be absent (it stays empty). null is a value like any other: refused unless the member is a
// nlohmann::json or the field says .nullable(). Unknown fields are refused ("is not a field"), so a
// typo is not silently dropped; .ignore({...}) names fields accepted and dropped (read-only fields
// a client sends back), .allow_unknown() accepts and drops any.
//
// Constraints apply to the member's JSON value: minimum/maximum to numbers, min_length/max_length
// (in characters, i.e. code points, as JSON Schema counts) and pattern (an ECMAScript regex,
// searched, as JSON Schema does: anchor it with ^...$) to strings, min_items/max_items and
// unique_items to arrays (and min/max_items to the number of members of a map), one_of to any;
// items() holds the constraints of an array's or a map's elements.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace gale::web {

// A pattern: the regex the schema shows; the message a failure gives; optionally a function that
// decides the same as the regex, faster (the regex is then never run: keep them in agreement).
struct Pattern {
  std::string regex;
  std::string message;
  bool (*matches)(std::string_view) = nullptr;
  std::shared_ptr<const std::regex> compiled;
};

struct Rules {
  std::optional<double> minimum, maximum;
  std::optional<std::size_t> min_length, max_length, min_items, max_items;
  bool unique_items = false;
  std::vector<Pattern> patterns;
  std::vector<nlohmann::json> one_of;  // the values allowed (JSON Schema's enum)
  std::shared_ptr<const Rules> items;  // of the elements of an array or a map
  std::string description;
};

class Items;

// The constraint setters, shared by field() and items().
template <class Self>
class Constraints {
 public:
  Self& minimum(double v) { return set(&Rules::minimum, v); }
  Self& maximum(double v) { return set(&Rules::maximum, v); }
  Self& min_length(std::size_t n) { return set(&Rules::min_length, n); }
  Self& max_length(std::size_t n) { return set(&Rules::max_length, n); }
  Self& min_items(std::size_t n) { return set(&Rules::min_items, n); }
  Self& max_items(std::size_t n) { return set(&Rules::max_items, n); }
  Self& unique_items() { return set(&Rules::unique_items, true); }
  Self& one_of(std::vector<nlohmann::json> values) {
    return set(&Rules::one_of, std::move(values));
  }
  Self& description(std::string text) { return set(&Rules::description, std::move(text)); }
  // Throws std::regex_error when `regex` is not one.
  Self& pattern(std::string regex, std::string message = {},
                bool (*matches)(std::string_view) = nullptr) {
    Pattern p{std::move(regex), std::move(message), matches, nullptr};
    if (!matches) p.compiled = std::make_shared<const std::regex>(p.regex, std::regex::ECMAScript);
    if (p.message.empty()) p.message = "must match the pattern " + p.regex;
    rules.patterns.push_back(std::move(p));
    return static_cast<Self&>(*this);
  }
  Self& items(const Items& element);

  Rules rules;

 private:
  template <class M, class V>
  Self& set(M Rules::*member, V&& value) {
    rules.*member = std::forward<V>(value);
    return static_cast<Self&>(*this);
  }
};

// The constraints of elements: field("tags", &Note::tags).items(items().max_length(50)).
class Items : public Constraints<Items> {};
inline Items items() {
  return {};
}

template <class Self>
Self& Constraints<Self>::items(const Items& element) {
  rules.items = std::make_shared<const Rules>(element.rules);
  return static_cast<Self&>(*this);
}

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <class C, class M>
class Field : public Constraints<Field<C, M>> {
 public:
  Field(std::string field_name, M C::*field_member)
      : name(std::move(field_name)), member(field_member) {}
  // May be absent; then the member keeps its initial value.
  Field& optional() {
    required = false;
    return *this;
  }
  // null is a value of this std::optional member: read as empty, and written for an empty one
  // (rather than leaving the field out).
  Field& nullable() {
    static_assert(detail::is_optional<M>::value, "nullable() is for std::optional members");
    null_allowed = true;
    return *this;
  }

  std::string name;
  M C::*member;
  bool required = !detail::is_optional<M>::value;
  bool null_allowed = false;
};

template <class C, class M>
Field<C, M> field(std::string name, M C::*member) {
  return Field<C, M>(std::move(name), member);
}

// With constraints shared between types (a slug in a create body and in a patch body).
template <class C, class M>
Field<C, M> field(std::string name, M C::*member, const Rules& rules) {
  Field<C, M> f(std::move(name), member);
  f.rules = rules;
  return f;
}

template <class... Fs>
class Fields {
 public:
  explicit Fields(Fs... fs) : list(std::move(fs)...) {}

  // Accepted when present and dropped (read-only fields a client may send back).
  Fields& ignore(std::vector<std::string> names) {
    ignored = std::move(names);
    return *this;
  }
  // Any field not declared is accepted and dropped (the default refuses it).
  Fields& allow_unknown() {
    unknown_allowed = true;
    return *this;
  }
  // At least one declared field must be given (a PATCH); `message` says so when none is.
  Fields& require_any(std::string message = {}) {
    any_required = true;
    any_message = message.empty() ? "must have at least one field" : std::move(message);
    return *this;
  }

  std::tuple<Fs...> list;
  std::vector<std::string> ignored;
  bool unknown_allowed = false;
  bool any_required = false;
  std::string any_message;
};

template <class... Fs>
Fields<Fs...> fields(Fs... fs) {
  return Fields<Fs...>(std::move(fs)...);
}

// A struct whose shape is declared: it has a static json_fields().
template <class T>
concept JsonDeclared = requires {
  T::json_fields();
};

}  // namespace gale::web
