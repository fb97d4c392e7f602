#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "gale/web/detail/json_writer.hpp"

using gale::web::detail::append_json;
using json = nlohmann::json;

namespace {

// What append_json gives after a prefix, or the exception's text.
std::string written(const json& value) {
  std::string out = "prefix:";
  try {
    append_json(out, value);
  } catch (const json::exception& e) {
    CHECK(out == "prefix:");  // nothing left behind
    return std::string("error: ") + e.what();
  }
  REQUIRE(out.rfind("prefix:", 0) == 0);
  return out.substr(7);
}

std::string dumped(const json& value) {
  try {
    return value.dump();
  } catch (const json::exception& e) {
    return std::string("error: ") + e.what();
  }
}

std::string random_text(std::mt19937& rng) {
  // Mostly printable ASCII, with control bytes, quotes, backslashes, UTF-8 sequences and stray
  // bytes that make some strings invalid UTF-8.
  static const std::vector<std::string> kPieces = {"a",
                                                   "Z",
                                                   " ",
                                                   "\"",
                                                   "\\",
                                                   "/",
                                                   "\x01",
                                                   "\x1f",
                                                   "\x7f",
                                                   "\n",
                                                   "\t",
                                                   "\b",
                                                   "\f",
                                                   "\r",
                                                   "\xc3\xa9",
                                                   "\xe2\x82\xac",
                                                   "\xf0\x9f\x98\x80",
                                                   "\xed\x9f\xbf",
                                                   "\xef\xbf\xbd",
                                                   "\xc3",
                                                   "\x80",
                                                   "\xed\xa0\x80",
                                                   "\xc0\xaf",
                                                   "\xf4\x90\x80\x80",
                                                   "\xff",
                                                   "\xe2\x82"};
  std::string s;
  int n = std::uniform_int_distribution<int>(0, 12)(rng);
  for (int i = 0; i < n; ++i) {
    bool rare = std::uniform_int_distribution<int>(0, 99)(rng) < 3;
    std::size_t limit = rare ? kPieces.size() - 1 : 19;  // the last pieces are invalid UTF-8
    s += kPieces[std::uniform_int_distribution<std::size_t>(0, limit)(rng)];
  }
  return s;
}

double random_double(std::mt19937& rng) {
  switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
    case 0:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    case 1:
      return std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                        std::uniform_int_distribution<int>(-1070, 1020)(rng));
    case 2:
      return static_cast<double>(std::uniform_int_distribution<std::int64_t>(-1e17, 1e17)(rng));
    case 3:
      return std::uniform_int_distribution<int>(-50, 50)(rng) / 4.0;
    default:
      return std::bit_cast<double>(std::uniform_int_distribution<std::uint64_t>()(rng));
  }
}

json random_json(std::mt19937& rng, int depth) {
  int kind = std::uniform_int_distribution<int>(0, depth > 3 ? 5 : 7)(rng);
  switch (kind) {
    case 0:
      return nullptr;
    case 1:
      return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    case 2:
      return std::uniform_int_distribution<std::int64_t>(
          std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max())(rng);
    case 3:
      return std::uniform_int_distribution<std::uint64_t>()(rng);
    case 4:
      return random_double(rng);
    case 5:
      return random_text(rng);
    case 6: {
      json a = json::array();
      int n = std::uniform_int_distribution<int>(0, 4)(rng);
      for (int i = 0; i < n; ++i) a.push_back(random_json(rng, depth + 1));
      return a;
    }
    default: {
      json o = json::object();
      int n = std::uniform_int_distribution<int>(0, 4)(rng);
      for (int i = 0; i < n; ++i) o[random_text(rng)] = random_json(rng, depth + 1);
      return o;
    }
  }
}

}  // namespace

TEST_CASE("append_json writes what dump() writes", "[json]") {
  CHECK(written(json::parse(R"({"message":"Hello, World!"})")) == R"({"message":"Hello, World!"})");
  CHECK(written(json::object()) == "{}");
  CHECK(written(json::array()) == "[]");
  CHECK(written(json::parse(R"({"b":[1,2,{"c":null}],"a":true,"d":false})")) ==
        R"({"a":true,"b":[1,2,{"c":null}],"d":false})");
  CHECK(written("") == R"("")");
}

TEST_CASE("append_json escapes strings as dump() does", "[json]") {
  std::string every_ascii;
  for (int c = 0; c < 128; ++c) every_ascii.push_back(static_cast<char>(c));
  CHECK(written(every_ascii) == dumped(every_ascii));
  CHECK(written("\x01") == R"("\u0001")");
  CHECK(written("a\"b\\c\nd\x7f") == "\"a\\\"b\\\\c\\nd\x7f\"");
  CHECK(written("caf\xc3\xa9 \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
}

TEST_CASE("append_json numbers are dump()'s", "[json]") {
  for (double d :
       {0.0, -0.0, 1.0, -1.5, 0.1, 1e14, 1e15, 1e16, 123456.0, 1e-4, 1e-5, 1e21, 1e300, 5e-324,
        std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
        std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    CAPTURE(d);
    CHECK(written(d) == dumped(d));
  }
  CHECK(written(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(written(1.0) == "1.0");
  CHECK(written(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
  CHECK(written(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
}

TEST_CASE("append_json fails as dump() does on text that is not UTF-8", "[json]") {
  for (const char* bad : {"\xff", "a\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"}) {
    json value = {{"k", {1, bad}}};
    CAPTURE(bad);
    std::string w = written(value);
    CHECK(w.rfind("error: ", 0) == 0);
    CHECK(w == dumped(value));
    json key = {{bad, 1}};
    CHECK(written(key) == dumped(key));
  }
}

TEST_CASE("append_json leaves binary values to dump()", "[json]") {
  json value = {{"b", json::binary({1, 2, 3}, 7)}, {"n", json::binary({})}};
  CHECK(written(value) == dumped(value));
}

TEST_CASE("append_json matches dump() on random documents", "[json]") {
  std::mt19937 rng(20261123);
  int errors = 0;
  for (int i = 0; i < 20000; ++i) {
    json value = random_json(rng, 0);
    std::string expected = dumped(value);
    errors += expected.rfind("error: ", 0) == 0;
    REQUIRE(written(value) == expected);
  }
  CHECK(errors > 0);  // the generator does reach the invalid-UTF-8 path
}
