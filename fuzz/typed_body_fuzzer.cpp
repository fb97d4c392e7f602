// decode<T>(): an untrusted JSON body read into declared types (json_fields.hpp) with every kind of
// member and constraint: the api tests' own (tests/api/declared_types.hpp), and Extras below.
// Whatever the body, decode either gives a value whose encode() decodes again to the same JSON (so
// every constraint held), or throws ValidationError (400 or 422) with 1 to 100 field errors, each
// naming by a well-formed JSON Pointer a place of the body or a missing member of an object of the
// body, and each message valid UTF-8 (a client's own text comes back whole, not cut inside a
// character). Any other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "declared_types.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/json_body.hpp"
#include "gale/web/json_type.hpp"

namespace {

using api_test::Board;
using api_test::Item;
using api_test::Loose;
using api_test::Patch;
using gale::web::field;

// A pattern decided by a function, as a handler may give one (the api types' run std::regex).
bool lower_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

// What the api tests' types (tests/api/declared_types.hpp) leave out: a nullable member, an
// unsigned 16-bit one, a raw JSON one, and a pattern decided by a function.
struct Extras {
  std::optional<std::string> note;
  std::uint16_t port = 80;
  nlohmann::json extra;
  std::vector<std::string> words;
  static auto json_fields() {
    return gale::web::fields(field("note", &Extras::note).nullable().max_length(8),
                             field("port", &Extras::port).optional(),
                             field("extra", &Extras::extra).optional(),
                             field("words", &Extras::words)
                                 .optional()
                                 .items(gale::web::items().pattern("^[a-z]+$", "", lower_word)));
  }
};

// The error names a place of the body, or a member missing from an object of the body.
void check_path(const nlohmann::json& body, const std::string& path) {
  if (!path.empty() && path.front() != '/') std::abort();
  nlohmann::json::json_pointer pointer(path);  // throws (a finding) when the escapes are wrong
  if (body.contains(pointer)) return;
  if (pointer.empty()) std::abort();
  auto parent = pointer.parent_pointer();
  if (!body.contains(parent) || !body.at(parent).is_object()) std::abort();
}

void check_refusal(const nlohmann::json& body, const gale::web::ValidationError& e) {
  if (e.status() != 400 && e.status() != 422) std::abort();
  const auto& errors = e.errors();
  if (errors.empty() || errors.size() > 100) std::abort();
  nlohmann::json envelope = {{"message", e.what()}, {"errors", nlohmann::json::array()}};
  for (const auto& error : errors) {
    check_path(body, error.path);
    if (error.message.empty()) std::abort();
    envelope["errors"].push_back({{"path", error.path}, {"message", error.message}});
  }
  (void)envelope.dump();  // strict: throws on a message that is not valid UTF-8
}

template <class T>
void decode_one(const nlohmann::json& body) {
  nlohmann::json encoded;
  try {
    encoded = gale::web::encode(gale::web::decode<T>(body));
  } catch (const gale::web::ValidationError& e) {
    check_refusal(body, e);
    return;
  }
  T again = gale::web::decode<T>(encoded);  // uncaught: refusing its own output is a finding
  if (gale::web::encode(again) != encoded) std::abort();
  (void)encoded.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gale::web::JsonLimits limits;
  limits.max_size = 4096;
  limits.max_depth = 16;
  nlohmann::json body;
  try {
    body = gale::web::parse_json(text, limits);
  } catch (const gale::web::HTTPError&) {
    return 0;  // not JSON, or over the limits: json_body_fuzzer's concern
  }
  decode_one<Board>(body);
  decode_one<Patch>(body);
  decode_one<Loose>(body);
  decode_one<Extras>(body);
  if (body.contains("items")) decode_one<std::vector<Item>>(body["items"]);
  return 0;
}
