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
