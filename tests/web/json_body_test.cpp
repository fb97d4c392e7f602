#include <catch2/catch.hpp>

#include <string>

#include "gale/web/http_error.hpp"
#include "gale/web/json_body.hpp"

using gale::web::HTTPError;
using gale::web::JsonLimits;
using gale::web::parse_json;

namespace {

int status_of(std::string_view text, JsonLimits limits = {}) {
  try {
    (void)parse_json(text, limits);
    return 200;
  } catch (const HTTPError& e) {
    return e.status();
  }
}

}  // namespace

TEST_CASE("parse_json accepts JSON within the limits", "[json]") {
  auto doc = parse_json(R"({"a": [1, 2, {"b": null}], "c": "d"})", {});
  CHECK(doc["a"][1] == 2);
  CHECK(doc["c"] == "d");
}

TEST_CASE("parse_json refuses malformed JSON with 400", "[json]") {
  CHECK(status_of("{\"a\": }") == 400);
  CHECK(status_of("") == 400);
  CHECK(status_of("[1, 2") == 400);
  CHECK(status_of("{'single': 1}") == 400);
  try {
    (void)parse_json("{oops}", {});
    FAIL("no error");
  } catch (const HTTPError& e) {
    CHECK(std::string(e.what()).find("malformed JSON") != std::string::npos);
  }
}

TEST_CASE("parse_json refuses 10,000-deep nesting without recursing", "[json]") {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  CHECK(status_of(deep) == 400);
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(10000, '}');
  CHECK(status_of(objects) == 400);
  // At the limit it is fine.
  std::string ok(64, '[');
  ok += std::string(64, ']');
  CHECK(status_of(ok, {1 << 20, 64}) == 200);
  std::string over(65, '[');
  over += std::string(65, ']');
  CHECK(status_of(over, {1 << 20, 64}) == 400);
}

TEST_CASE("parse_json refuses bodies over the size limit with 413", "[json]") {
  std::string big = "[" + std::string(100, '1') + "]";
  CHECK(status_of(big, {50, 64}) == 413);
  CHECK(status_of(big, {200, 64}) == 200);
}

// Found by fuzz/json_body_fuzzer.cpp: 1e400 made nlohmann throw out_of_range, which escaped
// parse_json and turned a bad request into a 500.
TEST_CASE("parse_json refuses numbers beyond a double with 400 and keeps big integers", "[json]") {
  CHECK(status_of("[1e400]") == 400);
  CHECK(status_of("{\"n\": -1e400}") == 400);
  try {
    (void)parse_json("[1, 2e999]", {});
    FAIL("no error");
  } catch (const HTTPError& e) {
    CHECK(std::string(e.what()).find("malformed JSON body") != std::string::npos);
  }
  // Integers beyond 64 bits still fit a double (as JSON parsers in other languages read them).
  auto big = parse_json(
      "[123456789012345678901234567890, 18446744073709551615, -9223372036854775809]", {});
  CHECK(big[0].is_number_float());
  CHECK(big[1].get<std::uint64_t>() == 18446744073709551615ULL);
  CHECK(big[2].is_number_float());
}

TEST_CASE("parse_json refuses invalid UTF-8 in strings and keys with 400", "[json]") {
  CHECK(status_of("{\"a\": \"\xff\"}") == 400);
  CHECK(status_of("{\"\xc3\x28\": 1}") == 400);
  CHECK(status_of("[\"\xed\xa0\x80\"]") == 400);  // an encoded surrogate
  CHECK(status_of("[\"\\ud800\"]") == 400);       // a lone escaped surrogate
  CHECK(status_of("{\"caf\xc3\xa9\": \"\xe2\x82\xac\"}") == 200);
}
