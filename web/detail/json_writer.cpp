#include "gale/web/detail/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "gale/web/detail/utf8.hpp"

namespace gale::web::detail {
namespace {

using json = nlohmann::json;

// How dump() writes each ASCII byte inside a string: 0 as itself, 'u' as \u00XX, else a
// backslash and this letter.
constexpr std::array<char, 128> kEscapes = [] {
  std::array<char, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b';
  t['\t'] = 't';
  t['\n'] = 'n';
  t['\f'] = 'f';
  t['\r'] = 'r';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();

// The bytes dump() writes as they are in the usual case: printable ASCII other than '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x80; ++c) t[c] = kEscapes[c] == 0;
  return t;
}();

// Escapes byte by byte: in well-formed UTF-8 a byte below 0x80 is always a whole code point, so
// this matches dump()'s code-point escaping. False when the text is not UTF-8 (the caller then
// lets nlohmann report it as dump() does).
bool append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool ascii = true;
  const char* run = s.data();
  const char* end = s.data() + s.size();
  for (const char* p = run; p != end; ++p) {
    auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      ascii = false;
      continue;
    }
    char e = kEscapes[c];
    if (e == 0) continue;
    out.append(run, p);
    if (e == 'u') {
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(u, sizeof u);
    } else {
      const char pair[2] = {'\\', e};
      out.append(pair, sizeof pair);
    }
    run = p + 1;
  }
  out.append(run, end);
  return ascii || valid_utf8(s);
}

bool append_string(std::string& out, std::string_view s) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size() && kPlain[bytes[i]]) ++i;
  out.push_back('"');
  out.append(s.data(), i);
  bool ok = i == s.size() || append_escaped(out, s.substr(i));
  out.push_back('"');
  return ok;
}

template <class Int>
void append_integer(std::string& out, Int value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

void append_float(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out.append("null");  // as dump(): JSON has no NaN or infinity
    return;
  }
  // nlohmann's own shortest round-trip formatting, so that the digits are dump()'s.
  std::array<char, 64> digits;
  char* end = nlohmann::detail::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), end);
}

bool append_value(std::string& out, const json& value);

bool append_object(std::string& out, const json::object_t& object) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, item] : object) {
    if (!first) out.push_back(',');
    first = false;
    if (!append_string(out, key)) return false;
    out.push_back(':');
    if (!append_value(out, item)) return false;
  }
  out.push_back('}');
  return true;
}

bool append_array(std::string& out, const json::array_t& array) {
  out.push_back('[');
  bool first = true;
  for (const auto& item : array) {
    if (!first) out.push_back(',');
    first = false;
    if (!append_value(out, item)) return false;
  }
  out.push_back(']');
  return true;
}

// False for what this writer leaves to nlohmann: text that is not UTF-8, binary values.
bool append_value(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      return append_object(out, *value.get_ptr<const json::object_t*>());
    case json::value_t::array:
      return append_array(out, *value.get_ptr<const json::array_t*>());
    case json::value_t::string:
      return append_string(out, *value.get_ptr<const json::string_t*>());
    case json::value_t::boolean:
      out.append(*value.get_ptr<const json::boolean_t*>() ? "true" : "false");
      return true;
    case json::value_t::number_integer:
      append_integer(out, *value.get_ptr<const json::number_integer_t*>());
      return true;
    case json::value_t::number_unsigned:
      append_integer(out, *value.get_ptr<const json::number_unsigned_t*>());
      return true;
    case json::value_t::number_float:
      append_float(out, *value.get_ptr<const json::number_float_t*>());
      return true;
    case json::value_t::null:
      out.append("null");
      return true;
    default:
      return false;  // binary, discarded
  }
}

// dump() itself, straight into `out`.
void append_with_nlohmann(std::string& out, const json& value) {
  nlohmann::detail::output_string_adapter<char, std::string> adapter(out);
  // An aliasing shared_ptr that owns nothing: the adapter lives on the stack.
  nlohmann::detail::output_adapter_t<char> sink(std::shared_ptr<void>(), &adapter);
  nlohmann::detail::serializer<json> serializer(sink, ' ', json::error_handler_t::strict);
  serializer.dump(value, false, false, 0);
}

}  // namespace

void append_json(std::string& out, const json& value) {
  std::size_t mark = out.size();
  if (append_value(out, value)) return;
  out.resize(mark);
  try {
    append_with_nlohmann(out, value);
  } catch (...) {
    out.resize(mark);
    throw;
  }
}

}  // namespace gale::web::detail
