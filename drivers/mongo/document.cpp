#include "gale/mongo/bson.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <string>

#include "gale/loop/error.hpp"

namespace gale::mongo {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorKind::invalid_argument, message);
}

struct BsonFree {
  void operator()(char* p) const noexcept { bson_free(p); }
};

bool is_ext_keyword(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "$oid",           "$symbol", "$numberInt", "$numberLong", "$numberDouble",
      "$numberDecimal", "$binary", "$code",      "$timestamp",  "$regularExpression",
      "$dbPointer",     "$date",   "$minKey",    "$maxKey",     "$undefined",
      "$uuid"};
  for (auto k : kKeys)
    if (k == key) return true;
  return false;
}

// Rare wrappers go through libbson's own Extended JSON parser: {"v": <value>} -> element "v".
template <class J>
void append_via_libbson(bson_t* out, std::string_view key, const J& value) {
  J wrapper = J::object();
  wrapper["v"] = value;
  std::string text = wrapper.dump();
  bson_error_t error;
  bson_t tmp;
  if (!bson_init_from_json(&tmp, text.data(), static_cast<ssize_t>(text.size()), &error)) {
    invalid("invalid Extended JSON for \"" + std::string(key) + "\": " + error.message);
  }
  bson_iter_t it;
  if (bson_iter_init_find(&it, &tmp, "v")) {
    bson_append_iter(out, key.data(), static_cast<int>(key.size()), &it);
  }
  bson_destroy(&tmp);
}

std::int64_t parse_int64(const std::string& s, std::string_view what) {
  if (s.empty() || s.size() > 20) invalid(std::string(what) + ": not an integer: " + s);
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used, 10);
  } catch (...) {
    invalid(std::string(what) + ": not a 64-bit integer: " + s);
  }
  if (used != s.size()) invalid(std::string(what) + ": not an integer: " + s);
  return v;
}

template <class J>
void append_all(bson_t* out, const J& doc);

void put_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// {"$code": ..., "$scope": {...}} byte by byte: libbson's append stops at a NUL in the code.
template <class J>
bool append_code_with_scope(bson_t* out, std::string_view key, const J& obj) {
  if (obj.size() != 2 || !obj.contains("$code") || !obj.contains("$scope") ||
      !obj["$code"].is_string() || !obj["$scope"].is_object()) {
    return false;
  }
  const auto& code = obj["$code"].template get_ref<const std::string&>();
  bson_t scope;
  bson_init(&scope);
  try {
    append_all(&scope, obj["$scope"]);
  } catch (...) {
    bson_destroy(&scope);
    throw;
  }
  std::string element(1, static_cast<char>(BSON_TYPE_CODEWSCOPE));
  element.append(key.data(), key.size());
  element.push_back('\0');
  put_le32(element, static_cast<std::uint32_t>(4 + 4 + code.size() + 1 + scope.len));
  put_le32(element, static_cast<std::uint32_t>(code.size() + 1));
  element += code;
  element.push_back('\0');
  element.append(reinterpret_cast<const char*>(bson_get_data(&scope)), scope.len);
  bson_destroy(&scope);
  std::string doc;
  put_le32(doc, static_cast<std::uint32_t>(4 + element.size() + 1));
  doc += element;
  doc.push_back('\0');
  bson_t tmp;
  if (!bson_init_static(&tmp, reinterpret_cast<const std::uint8_t*>(doc.data()), doc.size())) {
    invalid("invalid code with scope");
  }
  bson_concat(out, &tmp);
  return true;
}

template <class J>
bool append_fast_wrapper(bson_t* out, std::string_view key, const J& obj) {
  const int klen = static_cast<int>(key.size());
  if (append_code_with_scope(out, key, obj)) return true;
  if (obj.size() != 1) return false;
  auto it = obj.begin();
  const std::string& name = it.key();
  const J& v = it.value();
  if (name == "$oid" && v.is_string()) {
    const auto& hex = v.template get_ref<const std::string&>();
    if (hex.size() != 24 || !bson_oid_is_valid(hex.c_str(), hex.size())) {
      invalid("invalid ObjectId for \"" + std::string(key) + "\": " + hex);
    }
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, hex.c_str());
    bson_append_oid(out, key.data(), klen, &oid);
    return true;
  }
  if (name == "$numberLong" && v.is_string()) {
    bson_append_int64(out, key.data(), klen,
                      parse_int64(v.template get_ref<const std::string&>(), key));
    return true;
  }
  if (name == "$code" && v.is_string()) {
    // A code value is laid out as a string with another type byte; libbson's own append stops at
    // the first NUL, so append a string and retag it.
    const auto& code = v.template get_ref<const std::string&>();
    const std::uint32_t at = out->len - 1;
    bson_append_utf8(out, key.data(), klen, code.data(), static_cast<int>(code.size()));
    const_cast<std::uint8_t*>(bson_get_data(out))[at] = BSON_TYPE_CODE;
    return true;
  }
  if (name == "$numberDouble" && v.is_string()) {
    const auto& text = v.template get_ref<const std::string&>();
    double d = 0;
    if (text == "Infinity") {
      d = std::numeric_limits<double>::infinity();
    } else if (text == "-Infinity") {
      d = -std::numeric_limits<double>::infinity();
    } else if (text == "NaN") {
      d = std::numeric_limits<double>::quiet_NaN();
    } else {
      char* end = nullptr;
      d = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() ||
          text.find_first_of("xXnNiI") != std::string::npos) {
        invalid("invalid $numberDouble for \"" + std::string(key) + "\": " + text);
      }
    }
    bson_append_double(out, key.data(), klen, d);
    return true;
  }
  if (name == "$numberDecimal" && v.is_string()) {
    bson_decimal128_t dec;
    const auto& text = v.template get_ref<const std::string&>();
    // libbson stops at a NUL even when given the length: "1\u00002" would read as 1.
    if (text.find('\0') != std::string::npos ||
        !bson_decimal128_from_string_w_len(text.data(), static_cast<int>(text.size()), &dec)) {
      invalid("invalid Decimal128 for \"" + std::string(key) + "\": " + text);
    }
    bson_append_decimal128(out, key.data(), klen, &dec);
    return true;
  }
  if (name == "$date" && v.is_number()) {
    invalid("\"" + std::string(key) +
            "\": $date takes an ISO-8601 string or {\"$numberLong\": ...}");
  }
  if (name == "$date" && v.is_object() && v.size() == 1 && v.contains("$numberLong") &&
      v["$numberLong"].is_string()) {
    bson_append_date_time(
        out, key.data(), klen,
        parse_int64(v["$numberLong"].template get_ref<const std::string&>(), key));
    return true;
  }
  return false;
}

template <class J>
void append_value(bson_t* out, std::string_view key, const J& value);

template <class J>
void append_object(bson_t* out, std::string_view key, const J& value) {
  if (!value.empty() && is_ext_keyword(value.begin().key())) {
    if (!append_fast_wrapper(out, key, value)) append_via_libbson(out, key, value);
    return;
  }
  bson_t child;
  bson_append_document_begin(out, key.data(), static_cast<int>(key.size()), &child);
  for (auto it = value.begin(); it != value.end(); ++it) append_value(&child, it.key(), it.value());
  bson_append_document_end(out, &child);
}

template <class J>
void append_array(bson_t* out, std::string_view key, const J& value) {
  bson_t child;
  bson_append_array_begin(out, key.data(), static_cast<int>(key.size()), &child);
  char buf[16];
  const char* k = nullptr;
  std::uint32_t i = 0;
  for (const auto& item : value) {
    std::size_t n = bson_uint32_to_string(i++, &k, buf, sizeof buf);
    append_value(&child, std::string_view(k, n), item);
  }
  bson_append_array_end(out, &child);
}

template <class J>
void append_value(bson_t* out, std::string_view key, const J& value) {
  const char* k = key.data();
  const int klen = static_cast<int>(key.size());
  if (key.find('\0') != std::string_view::npos) invalid("a key holds a NUL character");
  switch (value.type()) {
    case nlohmann::detail::value_t::null:
    case nlohmann::detail::value_t::discarded:
      bson_append_null(out, k, klen);
      return;
    case nlohmann::detail::value_t::boolean:
      bson_append_bool(out, k, klen, value.template get<bool>());
      return;
    case nlohmann::detail::value_t::number_integer: {
      auto v = value.template get<std::int64_t>();
      if (v >= std::numeric_limits<std::int32_t>::min() &&
          v <= std::numeric_limits<std::int32_t>::max()) {
        bson_append_int32(out, k, klen, static_cast<std::int32_t>(v));
      } else {
        bson_append_int64(out, k, klen, v);
      }
      return;
    }
    case nlohmann::detail::value_t::number_unsigned: {
      auto v = value.template get<std::uint64_t>();
      if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
        bson_append_int32(out, k, klen, static_cast<std::int32_t>(v));
      } else if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        bson_append_int64(out, k, klen, static_cast<std::int64_t>(v));
      } else {
        invalid("\"" + std::string(key) + "\": " + std::to_string(v) +
                " does not fit a 64-bit signed integer");
      }
      return;
    }
    case nlohmann::detail::value_t::number_float:
      bson_append_double(out, k, klen, value.template get<double>());
      return;
    case nlohmann::detail::value_t::string: {
      const auto& s = value.template get_ref<const std::string&>();
      bson_append_utf8(out, k, klen, s.data(), static_cast<int>(s.size()));
      return;
    }
    case nlohmann::detail::value_t::array:
      append_array(out, key, value);
      return;
    case nlohmann::detail::value_t::object:
      append_object(out, key, value);
      return;
    case nlohmann::detail::value_t::binary: {
      const auto& b = value.get_binary();
      bson_append_binary(out, k, klen, BSON_SUBTYPE_BINARY, b.data(),
                         static_cast<std::uint32_t>(b.size()));
      return;
    }
  }
}

template <class J>
void append_all(bson_t* out, const J& doc) {
  if (!doc.is_object())
    invalid("a document must be a JSON object, not " + std::string(doc.type_name()));
  for (auto it = doc.begin(); it != doc.end(); ++it) append_value(out, it.key(), it.value());
}

// ---- BSON -> relaxed Extended JSON

std::string format_date(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (millis != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", millis);
    out += frac;
  }
  out += 'Z';
  return out;
}

template <class J>
J via_libbson(const bson_iter_t* iter) {
  bson_t tmp;
  bson_init(&tmp);
  bson_append_iter(&tmp, "v", 1, iter);
  std::size_t len = 0;
  std::unique_ptr<char, BsonFree> text(bson_as_relaxed_extended_json(&tmp, &len));
  bson_destroy(&tmp);
  if (!text) invalid("a BSON value could not be rendered as Extended JSON");
  J parsed = J::parse(text.get(), text.get() + len);
  return std::move(parsed["v"]);
}

template <class J>
J doc_to_json(bson_iter_t* it, bool array);

template <class J>
J iter_value(const bson_iter_t* it) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_DOUBLE: {
      double d = bson_iter_double(it);
      if (std::isfinite(d)) return J(d);
      return via_libbson<J>(it);
    }
    case BSON_TYPE_UTF8: {
      std::uint32_t len = 0;
      const char* s = bson_iter_utf8(it, &len);
      if (!bson_utf8_validate(s, len, true)) invalid("a BSON string is not valid UTF-8");
      return J(std::string(s, len));
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
      bson_iter_t child;
      if (!bson_iter_recurse(it, &child)) invalid("a nested BSON document is corrupt");
      return doc_to_json<J>(&child, bson_iter_type(it) == BSON_TYPE_ARRAY);
    }
    case BSON_TYPE_OID: {
      char hex[25];
      bson_oid_to_string(bson_iter_oid(it), hex);
      J out = J::object();
      out["$oid"] = std::string(hex, 24);
      return out;
    }
    case BSON_TYPE_BOOL:
      return J(bson_iter_bool(it));
    case BSON_TYPE_DATE_TIME: {
      std::int64_t ms = bson_iter_date_time(it);
      J out = J::object();
      if (ms >= 0 && ms <= 253402300799999LL) {
        out["$date"] = format_date(ms);
      } else {
        J inner = J::object();
        inner["$numberLong"] = std::to_string(ms);
        out["$date"] = std::move(inner);
      }
      return out;
    }
    case BSON_TYPE_NULL:
      return J(nullptr);
    case BSON_TYPE_INT32:
      return J(bson_iter_int32(it));
    case BSON_TYPE_INT64:
      return J(bson_iter_int64(it));
    case BSON_TYPE_CODE: {
      std::uint32_t len = 0;
      const char* code = bson_iter_code(it, &len);
      if (!bson_utf8_validate(code, len, true)) invalid("a BSON code string is not valid UTF-8");
      J out = J::object();
      out["$code"] = std::string(code, len);
      return out;
    }
    case BSON_TYPE_CODEWSCOPE: {
      std::uint32_t len = 0, scope_len = 0;
      const std::uint8_t* scope = nullptr;
      const char* code = bson_iter_codewscope(it, &len, &scope_len, &scope);
      bson_t scope_doc;
      if (code == nullptr || !bson_init_static(&scope_doc, scope, scope_len) ||
          !bson_utf8_validate(code, len, true)) {
        invalid("a BSON code-with-scope value is corrupt");
      }
      J out = J::object();
      out["$code"] = std::string(code, len);
      bson_iter_t child;
      if (!bson_iter_init(&child, &scope_doc)) invalid("a BSON code scope is corrupt");
      out["$scope"] = doc_to_json<J>(&child, false);
      return out;
    }
    default:
      return via_libbson<J>(it);
  }
}

template <class J>
J doc_to_json(bson_iter_t* it, bool array) {
  J out = array ? J::array() : J::object();
  while (bson_iter_next(it)) {
    if (array) {
      out.push_back(iter_value<J>(it));
    } else {
      std::uint32_t klen = bson_iter_key_len(it);
      const char* key = bson_iter_key(it);
      if (!bson_utf8_validate(key, klen, false)) invalid("a BSON key is not valid UTF-8");
      out[std::string(key, klen)] = iter_value<J>(it);
    }
  }
  if (it->err_off != 0) invalid("corrupt BSON at offset " + std::to_string(it->err_off));
  return out;
}

template <class J>
J bson_to_json(const bson_t* doc) {
  bson_iter_t it;
  if (!bson_iter_init(&it, doc)) invalid("corrupt BSON document");
  return doc_to_json<J>(&it, false);
}

}  // namespace

void append_json(bson_t* out, std::string_view key, const json& value) {
  append_value(out, key, value);
}
void append_json(bson_t* out, std::string_view key, const ordered_json& value) {
  append_value(out, key, value);
}
void append_members(bson_t* out, const json& doc) {
  append_all(out, doc);
}
void append_members(bson_t* out, const ordered_json& doc) {
  append_all(out, doc);
}

json to_json(const bson_t* doc) {
  return bson_to_json<json>(doc);
}
ordered_json to_ordered_json(const bson_t* doc) {
  return bson_to_json<ordered_json>(doc);
}
json value_to_json(const bson_iter_t* iter) {
  return iter_value<json>(iter);
}

Document::Document() : bytes_{5, 0, 0, 0, 0} {}

namespace {
template <class J>
std::vector<std::uint8_t> encode(const J& value) {
  bson_t b;
  bson_init(&b);
  try {
    append_all(&b, value);
  } catch (...) {
    bson_destroy(&b);
    throw;
  }
  const std::uint8_t* p = bson_get_data(&b);
  std::vector<std::uint8_t> out(p, p + b.len);
  bson_destroy(&b);
  return out;
}
}  // namespace

Document::Document(const json& value) : bytes_(encode(value)) {}
Document::Document(const ordered_json& value) : bytes_(encode(value)) {}
Document from_bson(const bson_t* bson) {
  return Document::from_trusted(bson_get_data(bson), bson->len);
}

Document Document::from_bytes(std::string_view bytes) {
  if (bytes.size() < 5) invalid("a BSON document needs at least 5 bytes");
  std::int32_t declared = 0;
  std::memcpy(&declared, bytes.data(), 4);
  declared = BSON_UINT32_FROM_LE(declared);
  if (declared < 5 || static_cast<std::size_t>(declared) != bytes.size()) {
    invalid("the BSON length prefix (" + std::to_string(declared) + ") does not match the " +
            std::to_string(bytes.size()) + " bytes given");
  }
  bson_t view;
  if (!bson_init_static(&view, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())) {
    invalid("invalid BSON document header");
  }
  bson_error_t error;
  if (!bson_validate_with_error(
          &view,
          static_cast<bson_validate_flags_t>(BSON_VALIDATE_UTF8 | BSON_VALIDATE_UTF8_ALLOW_NULL),
          &error)) {
    invalid(std::string("invalid BSON: ") + error.message);
  }
  Document d;
  d.bytes_.assign(bytes.begin(), bytes.end());
  (void)bson_to_json<json>(&view);  // every value readable (nested lengths, Decimal128, ...)
  return d;
}

Document Document::from_trusted(const std::uint8_t* data, std::size_t size) {
  Document d;
  d.bytes_.assign(data, data + size);
  return d;
}

bson_t bson_view(const Document& document) {
  bson_t b;
  if (!bson_init_static(&b, document.data(), document.size())) invalid("corrupt BSON document");
  return b;
}

json Document::to_json() const {
  bson_t b = bson_view(*this);
  return bson_to_json<json>(&b);
}

ordered_json Document::to_ordered_json() const {
  bson_t b = bson_view(*this);
  return bson_to_json<ordered_json>(&b);
}

}  // namespace gale::mongo
