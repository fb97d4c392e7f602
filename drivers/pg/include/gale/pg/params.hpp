// Params: query parameters, always sent apart from the SQL text (never spliced into it).
//
//   pg.query("... WHERE id = $1 AND name = $2", 42, "O'Brien");
//
// Supported values: integers (int2/int4/int8, sent binary), float and double (float4/float8),
// bool, strings (text; the server infers the type, so '2024-01-02' fits a date column), nullptr,
// std::nullopt and std::optional<T> (NULL when empty), nlohmann::json (jsonb), byte arrays
// (Bytes, std::vector<std::byte>, std::vector<std::uint8_t>: bytea, binary), std::vector<T> of
// the scalar types above (an array: int8[], float8[], bool[], text[], jsonb[]; std::optional
// elements give NULLs), std::chrono::system_clock::time_point (timestamptz).
//
// PostgreSQL's text cannot hold a NUL byte: a string, a JSON value (any key or string in it) or
// an array element with one is refused with Error(invalid_argument) before anything is sent, so
// nothing is cut short on the way (bytea keeps NULs). A refused parameter, like an unsigned value
// beyond bigint, does not throw where the Params are made: the query's Future fails with it.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gale/pg/oids.hpp"

namespace gale::pg {

// A byte array parameter (bytea).
struct Bytes {
  std::span<const std::byte> data;
  Bytes(std::span<const std::byte> d) : data(d) {}  // NOLINT: implicit on purpose
  Bytes(const void* p, std::size_t n) : data(static_cast<const std::byte*>(p), n) {}
};

class Params {
 public:
  struct Slot {
    oid::Oid type;
    int offset;  // into the buffer; -1 for NULL
    int length;
    int format;  // 0 text, 1 binary
  };

  Params() = default;
  template <class... Args>
  explicit Params(const Args&... args) {
    slots_.reserve(sizeof...(Args));
    (add(args), ...);
  }

  std::size_t size() const noexcept { return slots_.size(); }
  const std::vector<Slot>& slots() const noexcept { return slots_; }
  const char* value(std::size_t i) const noexcept {
    return slots_[i].offset < 0 ? nullptr : buffer_.data() + slots_[i].offset;
  }
  // The parameter types in order, as bytes: part of a prepared statement's cache key.
  void append_types(std::string& key) const;
  // Why these parameters cannot be sent (a NUL in a text value, an integer beyond bigint); null
  // when they can. The first refusal wins.
  const std::exception_ptr& error() const noexcept { return error_; }

  void add(std::nullptr_t) { null(); }
  void add(std::nullopt_t) { null(); }
  void add(bool v);
  void add(std::int16_t v);
  void add(std::int32_t v);
  void add(std::int64_t v);
  template <std::integral T>
  requires(!std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
           !std::is_same_v<T, std::int16_t> && !std::is_same_v<T, std::int32_t> &&
           !std::is_same_v<T, std::int64_t>) void add(T v) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (v > static_cast<T>(INT64_MAX)) return too_large(static_cast<std::uint64_t>(v));
    }
    add(static_cast<std::int64_t>(v));
  }
  void add(float v);
  void add(double v);
  void add(std::string_view v) { text(oid::unknown, v); }
  void add(const std::string& v) { text(oid::unknown, v); }
  void add(const char* v);
  void add(const nlohmann::json& v);
  void add(Bytes v);
  void add(const std::vector<std::byte>& v) { add(Bytes(std::span<const std::byte>(v))); }
  void add(const std::vector<std::uint8_t>& v) { add(Bytes(v.data(), v.size())); }
  void add(std::chrono::system_clock::time_point v);
  template <class T>
  void add(const std::optional<T>& v) {
    if (v) {
      add(*v);
    } else {
      null();
    }
  }
  template <class T>
  void add(const std::vector<T>& v) {
    std::string literal = "{";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) literal += ',';
      element(literal, v[i]);
    }
    literal += '}';
    text(array_type<T>(), literal);
  }

 private:
  void null();
  void text(oid::Oid type, std::string_view v);
  void binary(oid::Oid type, const void* data, std::size_t n);
  void too_large(std::uint64_t v);
  void refuse_nul(std::string_view what);
  // A JSON value any of whose keys or strings holds a NUL byte.
  static bool has_nul(const nlohmann::json& v);

  static void quoted(std::string& out, std::string_view v);
  void element(std::string& out, bool v) { out += v ? 't' : 'f'; }
  void element(std::string& out, std::string_view v) { quoted(out, v); }
  void element(std::string& out, const std::string& v) { quoted(out, v); }
  void element(std::string& out, const char* v) { quoted(out, v); }
  void element(std::string& out, const nlohmann::json& v);
  void element(std::string& out, double v);
  void element(std::string& out, float v) { element(out, static_cast<double>(v)); }
  template <std::integral T>
  requires(!std::is_same_v<T, bool>) void element(std::string& out, T v) {
    out += std::to_string(v);
  }
  template <class T>
  void element(std::string& out, const std::optional<T>& v) {
    if (v) {
      element(out, *v);
    } else {
      out += "NULL";
    }
  }

  template <class T>
  static oid::Oid array_type() {
    if constexpr (optional_like<T>::value) {
      return array_type<typename T::value_type>();
    } else if constexpr (std::is_same_v<T, bool>) {
      return oid::bool_array;
    } else if constexpr (std::is_integral_v<T>) {
      return oid::int8_array;
    } else if constexpr (std::is_floating_point_v<T>) {
      return oid::float8_array;
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
      return oid::jsonb_array;
    } else {
      return oid::text_array;
    }
  }

  template <class T>
  struct optional_like : std::false_type {};
  template <class T>
  struct optional_like<std::optional<T>> : std::true_type {};

  std::vector<Slot> slots_;
  std::string buffer_;
  std::exception_ptr error_;
};

}  // namespace gale::pg
