// Document: an owning BSON document (libbson's bytes), for callers who want no JSON conversion, and
// the conversions between BSON and relaxed Extended JSON held in nlohmann::json:
//   ObjectId {"$oid": "..."}, datetime {"$date": "2024-05-01T10:00:00.123Z"} (or
//   {"$date": {"$numberLong": "..."}} outside years 1970-9999), int64 as a plain number (relaxed),
//   Decimal128 {"$numberDecimal": "..."}, binary {"$binary": {"base64": ..., "subType": "00"}}, and
//   every other BSON type in its Extended JSON form. Canonical forms ({"$numberLong": "5"}) are
//   accepted on input. nlohmann::json sorts object keys; use nlohmann::ordered_json where the order
//   matters (a compound sort, index keys), or pass a list of [key, value] pairs where documented.
//   The libbson side (bson_t in and out) is in <gale/mongo/bson.hpp>, so that this header, and
//   every other public one, needs no libbson header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gale::mongo {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

class Document {
 public:
  Document();  // {}
  // From an Extended JSON object; throws Error(invalid_argument) for anything else.
  Document(const json& value);  // NOLINT(google-explicit-constructor): {{"a", 1}} reads well
  Document(const ordered_json& value);  // NOLINT(google-explicit-constructor)
  // Parses untrusted bytes: the length, the structure and UTF-8 are checked; throws
  // Error(invalid_argument) saying what is wrong.
  static Document from_bytes(std::string_view bytes);
  // Takes bytes already checked (a server reply's body).
  static Document from_trusted(const std::uint8_t* data, std::size_t size);

  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.size() <= 5; }

  json to_json() const;
  ordered_json to_ordered_json() const;
  // Relaxed Extended JSON text.
  std::string to_string() const { return to_ordered_json().dump(); }

  friend bool operator==(const Document& a, const Document& b) { return a.bytes_ == b.bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

}  // namespace gale::mongo
