#include "gale/pg/params.hpp"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "gale/loop/error.hpp"

namespace gale::pg {
namespace {

template <class T>
T to_network(T v) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if constexpr (sizeof(T) == 2)
      return static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(v)));
    if constexpr (sizeof(T) == 4)
      return static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(v)));
    if constexpr (sizeof(T) == 8)
      return static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(v)));
  }
  return v;
}

std::string float_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

}  // namespace

void Params::append_types(std::string& key) const {
  for (const auto& s : slots_) {
    key.append(reinterpret_cast<const char*>(&s.type), sizeof(s.type));
    key += static_cast<char>(s.format);
  }
}

void Params::null() {
  slots_.push_back(Slot{oid::unknown, -1, 0, 0});
}

void Params::text(oid::Oid type, std::string_view v) {
  // libpq sends a text parameter as a C string: a NUL would end it there, silently.
  if (v.find('\0') != std::string_view::npos) refuse_nul("a text value");
  slots_.push_back(Slot{type, static_cast<int>(buffer_.size()), static_cast<int>(v.size()), 0});
  buffer_.append(v);
  buffer_ += '\0';  // libpq reads text parameters as C strings
}

void Params::binary(oid::Oid type, const void* data, std::size_t n) {
  slots_.push_back(Slot{type, static_cast<int>(buffer_.size()), static_cast<int>(n), 1});
  buffer_.append(static_cast<const char*>(data), n);
}

void Params::too_large(std::uint64_t v) {
  if (!error_) {
    error_ = std::make_exception_ptr(Error(
        ErrorKind::invalid_argument,
        fmt::format("parameter ${}: {} does not fit PostgreSQL's bigint", slots_.size() + 1, v),
        "an integer is out of range"));
  }
  null();  // keeps the numbering of the parameters after it; the query is never sent
}

void Params::refuse_nul(std::string_view what) {
  if (error_) return;
  error_ = std::make_exception_ptr(
      Error(ErrorKind::invalid_argument,
            fmt::format("parameter ${}: {} cannot contain a NUL byte (PostgreSQL's text cannot "
                        "hold one)",
                        slots_.size() + 1, what),
            "a text value cannot contain a NUL byte"));
}

bool Params::has_nul(const nlohmann::json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>().find('\0') != std::string::npos;
  if (v.is_array()) {
    for (const auto& e : v)
      if (has_nul(e)) return true;
  }
  if (v.is_object()) {
    for (const auto& [key, e] : v.items())
      if (key.find('\0') != std::string::npos || has_nul(e)) return true;
  }
  return false;
}

void Params::add(bool v) {
  char b = v ? 1 : 0;
  binary(oid::bool_, &b, 1);
}

void Params::add(std::int16_t v) {
  auto n = to_network(v);
  binary(oid::int2, &n, sizeof n);
}

void Params::add(std::int32_t v) {
  auto n = to_network(v);
  binary(oid::int4, &n, sizeof n);
}

void Params::add(std::int64_t v) {
  auto n = to_network(v);
  binary(oid::int8, &n, sizeof n);
}

void Params::add(float v) {
  auto n = to_network(std::bit_cast<std::uint32_t>(v));
  binary(oid::float4, &n, sizeof n);
}

void Params::add(double v) {
  auto n = to_network(std::bit_cast<std::uint64_t>(v));
  binary(oid::float8, &n, sizeof n);
}

void Params::add(const char* v) {
  if (v == nullptr) {
    null();
  } else {
    text(oid::unknown, v);
  }
}

void Params::add(const nlohmann::json& v) {
  // dump() writes a NUL as \u0000, which jsonb refuses and json would keep: refused here, alike.
  if (has_nul(v)) refuse_nul("a JSON value");
  text(oid::jsonb, v.dump());
}

void Params::add(Bytes v) {
  binary(oid::bytea, v.data.data(), v.data.size());
}

void Params::add(std::chrono::system_clock::time_point v) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(v.time_since_epoch()).count();
  auto secs = us / 1'000'000;
  auto frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  auto day = floor<days>(sys_seconds(seconds(secs)));
  year_month_day ymd(day);
  hh_mm_ss<seconds> hms(sys_seconds(seconds(secs)) - day);
  text(oid::timestamptz,
       fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00", static_cast<int>(ymd.year()),
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                   hms.hours().count(), hms.minutes().count(), hms.seconds().count(), frac));
}

void Params::quoted(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void Params::element(std::string& out, const nlohmann::json& v) {
  if (has_nul(v)) refuse_nul("a JSON array element");
  quoted(out, v.dump());
}

void Params::element(std::string& out, double v) {
  out += float_text(v);
}

}  // namespace gale::pg
