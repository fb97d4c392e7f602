// BSON <-> relaxed Extended JSON (the bson-corpus runs in tests/spec).
#include <catch2/catch.hpp>

#include "gale/loop/error.hpp"
#include "gale/mongo/bson.hpp"
#include "gale/mongo/document.hpp"

using namespace gale::mongo;

TEST_CASE("relaxed Extended JSON round trips for the types an API uses") {
  json doc = {{"_id", {{"$oid", "5f1d7e1a2b3c4d5e6f708192"}}},
              {"when", {{"$date", "2024-05-01T10:00:00.123Z"}}},
              {"whole", {{"$date", "1970-01-01T00:00:00Z"}}},
              {"old", {{"$date", {{"$numberLong", "-1000"}}}}},
              {"i32", 5},
              {"i64", 9007199254740993LL},
              {"d", 2.5},
              {"dec", {{"$numberDecimal", "12.50"}}},
              {"bin", {{"$binary", {{"base64", "AQID"}, {"subType", "00"}}}}},
              {"s", "h\xC3\xA9llo"},
              {"n", nullptr},
              {"b", true},
              {"arr", {1, "x", {{"k", "v"}}}}};
  Document d(doc);
  CHECK(d.to_json() == doc);
}

TEST_CASE("canonical forms are accepted on input, and query operators stay documents") {
  Document d(
      json{{"n", {{"$numberLong", "5"}}}, {"q", {{"$gt", 3}}}, {"x", {{"$numberInt", "7"}}}});
  bson_t b = bson_view(d);
  bson_iter_t it;
  REQUIRE(bson_iter_init_find(&it, &b, "n"));
  CHECK(BSON_ITER_HOLDS_INT64(&it));
  REQUIRE(bson_iter_init_find(&it, &b, "x"));
  CHECK(BSON_ITER_HOLDS_INT32(&it));
  CHECK(d.to_json()["q"] == json{{"$gt", 3}});
}

TEST_CASE("ordered_json keeps key order, which commands and compound sorts need") {
  nlohmann::ordered_json o = nlohmann::ordered_json::object();
  o["z"] = 1;
  o["a"] = -1;
  Document d(o);
  CHECK(d.to_string() == R"({"z":1,"a":-1})");
}

TEST_CASE("bad input gives invalid_argument, never a crash") {
  auto kind = [](auto fn) {
    try {
      fn();
    } catch (const gale::Error& e) {
      return e.kind();
    }
    return gale::ErrorKind::internal;
  };
  CHECK(kind([] { Document(json::array({1})); }) == gale::ErrorKind::invalid_argument);
  CHECK(kind([] {
          Document(json{{"big", 18446744073709551615ULL}});
        }) == gale::ErrorKind::invalid_argument);
  CHECK(kind([] {
          Document(json{{"d", {{"$numberDecimal", "nope"}}}});
        }) == gale::ErrorKind::invalid_argument);
  CHECK(kind([] { Document::from_bytes(std::string("\x05\x00\x00", 3)); }) ==
        gale::ErrorKind::invalid_argument);
  CHECK(kind([] {
          Document::from_bytes(
              std::string("\x0c\x00\x00\x00\x02"
                          "a\x00\x10\x00\x00\x00\x00",
                          12));
        }) == gale::ErrorKind::invalid_argument);
}
