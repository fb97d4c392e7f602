#include "gale/pg/value_json.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cmath>

#include "gale/loop/error.hpp"

namespace gale::pg {

oid::Oid oid::array_element(Oid array_type) noexcept {
  switch (array_type) {
    case 1000:
      return bool_;
    case 1001:
      return bytea;
    case 1002:
      return char_;
    case 1003:
      return name;
    case 1005:
      return int2;
    case 1007:
      return int4;
    case 1009:
      return text;
    case 1014:
      return bpchar;
    case 1015:
      return varchar;
    case 1016:
      return int8;
    case 1021:
      return float4;
    case 1022:
      return float8;
    case 1028:
      return oid;
    case 1115:
      return timestamp;
    case 1182:
      return date;
    case 1183:
      return time;
    case 1185:
      return timestamptz;
    case 1187:
      return interval;
    case 1231:
      return numeric;
    case 1270:
      return timetz;
    case 199:
      return json;
    case 2951:
      return uuid;
    case 3807:
      return jsonb;
    case 791:
      return money;
    default:
      return unknown;
  }
}

namespace detail {
namespace {

nlohmann::json integer_json(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size()) return v;
  return std::string(text);  // xid and friends beyond int64: keep exact
}

nlohmann::json float_json(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::string(text);  // NaN, Infinity, -Infinity: JSON has no numbers for them
  }
  return v;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// json and jsonb values. PostgreSQL accepts numbers that no double holds ('1e400'::jsonb comes
// back as 401 digits): nlohmann refuses them, and the refusal is a gale::Error like any value
// this conversion cannot give.
nlohmann::json embedded_json(std::string_view text) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    throw Error(
        ErrorKind::internal,
        std::string("PostgreSQL sent a json value that JSON here cannot hold: ") + e.what());
  }
}

[[noreturn]] void bad_bytea() {
  throw Error(ErrorKind::internal, "PostgreSQL sent a bytea value that does not decode");
}

// Splits the offset of a time: "...05.5+01" -> position of the sign, or npos.
std::size_t offset_sign(std::string_view t) noexcept {
  auto pos = t.find_last_of("+-");
  // A date's dashes come before the 'T'/space; an offset sign follows the time's colons.
  auto colon = t.find(':');
  if (pos == std::string_view::npos || colon == std::string_view::npos || pos < colon) {
    return std::string_view::npos;
  }
  return pos;
}

class ArrayParser {
 public:
  ArrayParser(oid::Oid element, std::string_view text, const TypeCatalog* catalog)
      : element_(element), s_(text), catalog_(catalog) {}

  nlohmann::json parse() {
    if (!s_.empty() && s_[0] == '[') {  // dimension decoration: [1:2][0:1]={...}
      auto eq = s_.find('=');
      if (eq == std::string_view::npos) fail();
      i_ = eq + 1;
    }
    auto out = list();
    if (i_ != s_.size()) fail();
    return out;
  }

 private:
  nlohmann::json list() {
    expect('{');
    auto out = nlohmann::json::array();
    if (peek() == '}') {
      ++i_;
      return out;
    }
    for (;;) {
      out.push_back(item());
      char c = next();
      if (c == '}') return out;
      if (c != ',' && c != ';') fail();
    }
  }

  nlohmann::json item() {
    char c = peek();
    if (c == '{') return list();
    if (c == '"') return value_to_json(element_, quoted(), catalog_);
    auto start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ';' && s_[i_] != '}') ++i_;
    auto raw = s_.substr(start, i_ - start);
    if (raw == "NULL") return nullptr;
    return value_to_json(element_, raw, catalog_);
  }

  std::string quoted() {
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') ++i_;
      if (i_ >= s_.size()) fail();
      out += s_[i_++];
    }
    expect('"');
    return out;
  }

  char peek() const {
    if (i_ >= s_.size()) fail();
    return s_[i_];
  }
  char next() {
    char c = peek();
    ++i_;
    return c;
  }
  void expect(char c) {
    if (next() != c) fail();
  }
  [[noreturn]] void fail() const {
    throw Error(ErrorKind::internal, "PostgreSQL sent an array literal that does not parse");
  }

  oid::Oid element_;
  std::string_view s_;
  const TypeCatalog* catalog_;
  std::size_t i_ = 0;
};

}  // namespace

std::string iso_timestamp(std::string_view text) {
  std::string out(text);
  if (out.size() > 10 && out[10] == ' ') out[10] = 'T';
  auto sign = offset_sign(out);
  if (sign == std::string::npos) return out;
  // "+01" -> "+01:00"; "+05:30" stays; "+05:30:15" stays (seconds offsets are historical).
  if (out.size() - sign == 3) out += ":00";
  return out;
}

std::vector<std::uint8_t> decode_bytea(std::string_view t) {
  std::vector<std::uint8_t> out;
  if (t.size() >= 2 && t[0] == '\\' && t[1] == 'x') {
    if (t.size() % 2 != 0) bad_bytea();
    out.reserve((t.size() - 2) / 2);
    for (std::size_t i = 2; i < t.size(); i += 2) {
      int hi = hex_digit(t[i]);
      int lo = hex_digit(t[i + 1]);
      if (hi < 0 || lo < 0) bad_bytea();
      out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
  }
  // Escape format: \\ for a backslash, \ooo for other bytes.
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '\\') {
      out.push_back(static_cast<std::uint8_t>(t[i]));
    } else if (i + 1 < t.size() && t[i + 1] == '\\') {
      out.push_back('\\');
      ++i;
    } else if (i + 3 < t.size()) {
      int v = 0;
      for (int k = 1; k <= 3; ++k) {
        char c = t[i + static_cast<std::size_t>(k)];
        if (c < '0' || c > '7') bad_bytea();
        v = v * 8 + (c - '0');
      }
      out.push_back(static_cast<std::uint8_t>(v));
      i += 3;
    } else {
      bad_bytea();
    }
  }
  return out;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

nlohmann::json array_to_json(oid::Oid element, std::string_view text, const TypeCatalog* catalog) {
  return ArrayParser(element, text, catalog).parse();
}

nlohmann::json value_to_json(oid::Oid type, std::string_view text, const TypeCatalog* catalog) {
  switch (type) {
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::oid:
    case oid::xid:
      return integer_json(text);
    case oid::float4:
    case oid::float8:
      return float_json(text);
    case oid::bool_:
      return text == "t";
    case oid::json:
    case oid::jsonb:
      return embedded_json(text);
    case oid::timestamp:
    case oid::timestamptz:
    case oid::timetz:
      return iso_timestamp(text);
    case oid::bytea:
      return base64(decode_bytea(text));
    default:
      break;
  }
  if (auto element = oid::array_element(type); element != oid::unknown) {
    return array_to_json(element, text, catalog);
  }
  if (const TypeCatalog::Type* t = catalog != nullptr ? catalog->find(type) : nullptr) {
    if (t->kind == 'd' && t->target != type) return value_to_json(t->target, text, catalog);
    if (t->kind == 'a') return array_to_json(t->target, text, catalog);
  }
  return std::string(text);  // numeric, money, text types, uuid, date, time, interval, others
}

}  // namespace detail
}  // namespace gale::pg
