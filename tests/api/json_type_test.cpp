#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "api/declared_types.hpp"
#include "gale/web/json_type.hpp"

using api_test::Board;
using api_test::Item;
using api_test::Loose;
using api_test::Patch;
using gale::web::decode;
using gale::web::encode;
using gale::web::FieldError;
using gale::web::ValidationError;
using nlohmann::json;

namespace {

// The failures of decoding `body` as T (empty when it decodes).
template <class T>
std::vector<FieldError> failures(const json& body) {
  try {
    (void)decode<T>(body);
    return {};
  } catch (const ValidationError& e) {
    CHECK(e.status() == 400);
    return e.errors();
  }
}

bool has(const std::vector<FieldError>& errors, const std::string& path,
         const std::string& message_part) {
  return std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) {
    return e.path == path && e.message.find(message_part) != std::string::npos;
  });
}

std::string show(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.path + ": " + e.message + "\n";
  return out;
}

}  // namespace

TEST_CASE("A declared type decodes a good body, defaults applied", "[types]") {
  Item item = decode<Item>(json{{"title", "write"}, {"priority", 2}, {"tags", {"a", "b"}}});
  CHECK(item.title == "write");
  CHECK(item.priority == 2);
  CHECK(item.tags == std::vector<std::string>{"a", "b"});
  CHECK(item.done == false);   // .optional(): the member's initial value
  CHECK(item.weight == 1.5);   // likewise
  CHECK(item.kind == "task");  // likewise

  Item bare = decode<Item>(json{{"title", "x"}});
  CHECK_FALSE(bare.priority.has_value());  // a std::optional left absent stays empty
  CHECK(bare.tags.empty());
  // 3.0 is an integer to JSON Schema, and so to the decoder.
  CHECK(decode<Item>(json{{"title", "x"}, {"priority", 3.0}}).priority == 3);
}

TEST_CASE("Every failing field is reported at once, by JSON Pointer", "[types]") {
  json body = {
      {"title", ""},  {"done", "yes"},   {"priority", 9},  {"tags", {"ok", "Bad", "ok", 7}},
      {"weight", -1}, {"kind", "chore"}, {"colour", "red"}};
  auto errors = failures<Item>(body);
  INFO(show(errors));
  CHECK(has(errors, "/title", "must have 1 to 10 characters"));
  CHECK(has(errors, "/title", "must not be blank"));
  CHECK(has(errors, "/done", "must be true or false"));
  CHECK(has(errors, "/priority", "must be at most 5"));
  CHECK(has(errors, "/tags", "must have at most 3 items"));
  CHECK(has(errors, "/weight", "must be at least 0"));
  CHECK(has(errors, "/kind", "must be one of 'task', 'idea'"));
  CHECK(
      has(errors, "/colour", "is not a field (fields: title, done, priority, tags, weight, kind)"));
  CHECK(errors.size() == 8);

  // Within the size limit, each element is checked on its own, and duplicates are named.
  auto tags = failures<Item>(json{{"title", "t"}, {"tags", {"Bad", 7, "toolong"}}});
  INFO(show(tags));
  CHECK(has(tags, "/tags/0", "must match the pattern ^[a-z]+$"));
  CHECK(has(tags, "/tags/1", "must be a string"));
  CHECK(has(tags, "/tags/2", "must have 1 to 5 characters"));
  CHECK(tags.size() == 3);
  auto twice = failures<Item>(json{{"title", "t"}, {"tags", {"a", "b", "a"}}});
  CHECK(twice == std::vector<FieldError>{{"/tags", "has 'a' twice"}});
}

TEST_CASE("Wrong types and missing required fields are named", "[types]") {
  CHECK(failures<Item>(json::array({1})) == std::vector<FieldError>{{"", "must be a JSON object"}});
  CHECK(failures<Item>(json::object()) == std::vector<FieldError>{{"/title", "is required"}});
  CHECK(failures<Item>(json{{"title", nullptr}}) ==
        std::vector<FieldError>{{"/title", "must be a string"}});
  // A std::optional may be absent, not null.
  CHECK(failures<Item>(json{{"title", "t"}, {"priority", nullptr}}) ==
        std::vector<FieldError>{{"/priority", "must be an integer"}});
  CHECK(failures<Item>(json{{"title", "t"}, {"priority", 2.5}}) ==
        std::vector<FieldError>{{"/priority", "must be an integer"}});
  CHECK(failures<Item>(json{{"title", "t"}, {"tags", "a"}}) ==
        std::vector<FieldError>{{"/tags", "must be an array"}});
  CHECK(failures<Item>(json{{"title", "t"}, {"weight", "1"}}) ==
        std::vector<FieldError>{{"/weight", "must be a number"}});
  // Integers outside the member's type.
  auto age = failures<Board>(
      json{{"owner", {{"name", "n"}, {"age", 300}}}, {"items", {{{"title", "t"}}}}});
  CHECK(age == std::vector<FieldError>{{"/owner/age", "must be an integer from -128 to 127"}});
}

TEST_CASE("Nested objects, arrays of objects and maps report paths inside them", "[types]") {
  json body = {{"owner", {{"age", "old"}}},
               {"items", {{{"title", "ok"}}, {{"title", "t"}, {"tags", {"a", "a"}}}, 3}},
               {"counters", {{"a", 1}, {"b/c", "x"}}},
               {"deputy", {{"name", 5}}},
               {"id", "ignored"}};
  auto errors = failures<Board>(body);
  INFO(show(errors));
  CHECK(has(errors, "/owner/name", "is required"));
  CHECK(has(errors, "/owner/age", "must be an integer"));
  CHECK(has(errors, "/items/1/tags", "has 'a' twice"));
  CHECK(has(errors, "/items/2", "must be a JSON object"));
  CHECK(has(errors, "/counters/b~1c", "must be an integer"));  // RFC 6901 escapes '/' as ~1
  CHECK(has(errors, "/deputy/name", "must be a string"));
  CHECK(errors.size() == 6);

  CHECK(has(failures<Board>(json{{"owner", {{"name", "n"}}}, {"items", json::array()}}), "/items",
            "must have at least 1 items"));
  CHECK(has(failures<Board>(json{{"owner", {{"name", "n"}}},
                                 {"items", {{{"title", "t"}}}},
                                 {"counters", {{"a", 1}, {"b", 2}, {"c", 3}}}}),
            "/counters", "must have at most 2 members"));
}

TEST_CASE("Unknown fields: refused by default, ignored by name, or all allowed", "[types]") {
  CHECK(has(failures<Item>(json{{"title", "t"}, {"titel", "typo"}}), "/titel", "is not a field"));
  // Board ignores "id" (a read-only field a client sends back).
  Board b =
      decode<Board>(json{{"owner", {{"name", "n"}}}, {"items", {{{"title", "t"}}}}, {"id", 7}});
  CHECK(b.owner.name == "n");
  Loose loose = decode<Loose>(json{{"name", "n"}, {"anything", {1, 2}}});
  CHECK(loose.name == "n");
  // require_any: at least one declared field; ignored ones do not count.
  CHECK(failures<Patch>(json{{"id", "x"}}) == std::vector<FieldError>{{"", "nothing to change"}});
  CHECK(decode<Patch>(json{{"done", true}}).done == true);
}

TEST_CASE("The error count is bounded", "[types]") {
  json tags = json::array();
  for (int i = 0; i < 500; ++i) tags.push_back(i);
  struct Many {
    std::vector<std::string> tags;
    static auto json_fields() { return gale::web::fields(gale::web::field("tags", &Many::tags)); }
  };
  auto errors = failures<Many>(json{{"tags", tags}});
  CHECK(errors.size() == gale::web::detail::DecodeContext::kMaxErrors);
  CHECK(errors.front() == FieldError{"/tags/0", "must be a string"});
}

TEST_CASE("The summary message names the first failure and counts the others", "[types]") {
  try {
    (void)decode<Item>(json{{"done", 1}, {"priority", 0}});
    FAIL("decoded");
  } catch (const ValidationError& e) {
    CHECK(e.message() == "invalid body: 'done' must be true or false (and 2 more errors)");
  }
  CHECK(ValidationError::summary({{"", "must be a JSON object"}}) ==
        "invalid body: must be a JSON object");
}

TEST_CASE("Messages that quote the start of a client's text cut it between characters", "[types]") {
  // Both quote at most 64 bytes: a snowman (3 bytes) straddles the 64th in each (fuzz/typed_body).
  const std::string snowman = "\u2603";
  const std::string name = std::string(63, 'a') + snowman;
  std::string tag;
  for (int i = 0; i < 22; ++i) tag += snowman;
  try {
    (void)decode<Item>(json{{"title", "ok"}, {name, 1}, {"tags", {tag, tag}}});
    FAIL("decoded");
  } catch (const ValidationError& e) {
    CHECK_NOTHROW(json(e.message()).dump());  // strict: throws on text that is not UTF-8
    CHECK(e.message().find("'" + std::string(63, 'a') + "' is not a field") != std::string::npos);
    bool twice = false;
    for (const auto& error : e.errors()) {
      CHECK_NOTHROW(json(error.message).dump());
      if (error.path == "/tags" && error.message.find("twice") != std::string::npos) {
        twice = true;
        std::string quoted;
        for (int i = 0; i < 21; ++i) quoted += snowman;
        CHECK(error.message == "has '" + quoted + "' twice");
      }
    }
    CHECK(twice);
  }
}

TEST_CASE("encode writes what decode reads: a round trip", "[types]") {
  Board b;
  b.owner = {"ada", 36};
  b.items = {Item{"one", true, 3, {"a", "b"}, 2.0, "idea"}, Item{"two", false, {}, {}, 0, "task"}};
  b.counters = {{"x", 1}, {"y", -2}};
  json j = encode(b);
  CHECK(j["owner"] == json{{"name", "ada"}, {"age", 36}});
  CHECK(j["items"][0]["priority"] == 3);
  CHECK_FALSE(j["items"][1].contains("priority"));  // an empty std::optional: absent
  CHECK_FALSE(j.contains("deputy"));
  Board back = decode<Board>(j);
  CHECK(encode(back) == j);
  CHECK(back.items[0].tags == b.items[0].tags);
  CHECK(back.counters == b.counters);
}

TEST_CASE("The JSON Schema of a declared type shows its fields and constraints", "[types]") {
  json s = gale::web::json_schema<Item>();
  CHECK(s["$schema"] == "https://json-schema.org/draft/2020-12/schema");
  CHECK(s["type"] == "object");
  CHECK(s["required"] == json{"title"});
  CHECK(s["additionalProperties"] == false);
  CHECK(s["properties"]["title"] ==
        json{{"type", "string"}, {"minLength", 1}, {"maxLength", 10}, {"pattern", "\\S"}});
  CHECK(s["properties"]["done"] == json{{"type", "boolean"}, {"default", false}});
  CHECK(s["properties"]["priority"] == json{{"type", "integer"}, {"minimum", 1}, {"maximum", 5}});
  CHECK(s["properties"]["tags"]["items"]["pattern"] == "^[a-z]+$");
  CHECK(s["properties"]["tags"]["uniqueItems"] == true);
  CHECK(s["properties"]["kind"]["enum"] == json{"task", "idea"});
  CHECK(s["properties"]["kind"]["default"] == "task");

  json board = gale::web::json_schema<Board>();
  CHECK(board["properties"]["owner"]["properties"]["age"]["maximum"] == 127);
  CHECK(board["properties"]["counters"]["additionalProperties"]["type"] == "integer");
  CHECK(board["properties"]["id"] == json{{"readOnly", true}});
  CHECK(gale::web::json_schema<Patch>()["anyOf"] ==
        json{{{"required", {"title"}}}, {{"required", {"done"}}}});
}

TEST_CASE("A nullable field reads null as empty and writes an empty one as null", "[types]") {
  struct Page {
    std::vector<int> items;
    std::optional<std::string> next;
    static auto json_fields() {
      using gale::web::field;
      return gale::web::fields(field("items", &Page::items), field("next", &Page::next).nullable());
    }
  };
  Page p = decode<Page>(json{{"items", {1, 2}}, {"next", nullptr}});
  CHECK_FALSE(p.next.has_value());
  CHECK(encode(p) == json{{"items", {1, 2}}, {"next", nullptr}});
  CHECK(decode<Page>(json{{"items", json::array()}, {"next", "c"}}).next == "c");
  CHECK(failures<Page>(json{{"items", json::array()}, {"next", 1}}) ==
        std::vector<FieldError>{{"/next", "must be a string"}});
  CHECK(gale::web::schema_of<Page>()["properties"]["next"] ==
        json{{"anyOf", {{{"type", "string"}}, {{"type", "null"}}}}});
}
