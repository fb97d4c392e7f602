// Prints, as one JSON document, the JSON Schema of each declared type of the api tests and of the
// notes API, with bodies good and bad and gale's verdict on each (whether decode<T> accepts it).
// schema_check.py checks each schema against the 2020-12 meta-schema and that Python's jsonschema
// gives the same verdict on every body.
#include <iostream>
#include <string>

#include "api/declared_types.hpp"
#include "crud/note.hpp"
#include "crud/note_validation.hpp"
#include "gale/web/json_type.hpp"

namespace {

using nlohmann::json;

template <class T>
json verdicts(const json& bodies) {
  json cases = json::array();
  for (const auto& body : bodies) {
    bool accepted = true;
    try {
      (void)gale::web::decode<T>(body);
    } catch (const gale::web::ValidationError&) {
      accepted = false;
    }
    cases.push_back({{"body", body}, {"accepted", accepted}});
  }
  return {{"schema", gale::web::json_schema<T>()}, {"cases", cases}};
}

json item_bodies() {
  return json::array({
      {{"title", "write"}},
      {{"title", "w"}, {"done", true}, {"priority", 5}, {"tags", {"a", "b"}}, {"kind", "idea"}},
      {{"title", "x"}, {"priority", 3.0}, {"weight", 0}},
      json::object(),
      {{"title", ""}},
      {{"title", "   "}},
      {{"title", "elevenchars"}},
      {{"title", "t"}, {"done", "yes"}},
      {{"title", "t"}, {"priority", 0}},
      {{"title", "t"}, {"priority", 6}},
      {{"title", "t"}, {"priority", 2.5}},
      {{"title", "t"}, {"priority", nullptr}},
      {{"title", "t"}, {"tags", {"a", "a"}}},
      {{"title", "t"}, {"tags", {"a", "b", "c", "d"}}},
      {{"title", "t"}, {"tags", {"A"}}},
      {{"title", "t"}, {"tags", {""}}},
      {{"title", "t"}, {"tags", {"abcdef"}}},
      {{"title", "t"}, {"weight", -0.5}},
      {{"title", "t"}, {"kind", "chore"}},
      {{"title", "t"}, {"colour", "red"}},
      json::array({1}),
      "title",
  });
}

json board_bodies() {
  json owner = {{"name", "ada"}};
  json item = {{"title", "t"}};
  return json::array({
      {{"owner", owner}, {"items", {item}}},
      {{"owner", {{"name", "n"}, {"age", 127}}}, {"items", {item, item}}, {"id", 1}},
      {{"owner", owner}, {"items", {item}}, {"counters", {{"a", 1}, {"b", -2}}}},
      {{"owner", owner}, {"items", {item}}, {"deputy", owner}},
      {{"owner", owner}, {"items", json::array()}},
      {{"owner", {{"name", "n"}, {"age", 128}}}, {"items", {item}}},
      {{"owner", json::object()}, {"items", {item}}},
      {{"owner", owner}, {"items", {item, 3}}},
      {{"owner", owner}, {"items", {item}}, {"counters", {{"a", "x"}}}},
      {{"owner", owner}, {"items", {item}}, {"counters", {{"a", 1}, {"b", 2}, {"c", 3}}}},
      {{"owner", owner}, {"items", {item}}, {"deputy", nullptr}},
      {{"items", {item}}},
  });
}

json note_input_bodies() {
  return json::array({
      {{"slug", "a"}, {"title", "t"}},
      {{"slug", "my-first-note"},
       {"title", "Title"},
       {"body", "text"},
       {"tags", {"x", "y"}},
       {"done", true},
       {"id", "mine"},
       {"version", 9}},
      {{"slug", "x"}, {"title", "t"}, {"tags", json(std::vector<std::string>(20, "t"))}},
      {{"title", "no slug"}},
      {{"slug", "x"}, {"title", ""}},
      {{"slug", "x"}, {"title", " \t\r\n"}},
      {{"slug", "x"}, {"title", 42}},
      {{"slug", "Has Spaces"}, {"title", "t"}},
      {{"slug", "-edge"}, {"title", "t"}},
      {{"slug", "edge-"}, {"title", "t"}},
      {{"slug", std::string(101, 'a')}, {"title", "t"}},
      {{"slug", std::string(100, 'a')}, {"title", std::string(200, 't')}},
      {{"slug", "x"}, {"title", std::string(201, 't')}},
      {{"slug", "x"}, {"title", std::string("nul\0here", 8)}},
      {{"slug", "x"}, {"title", "t"}, {"tags", {"a", "a"}}},
      {{"slug", "x"}, {"title", "t"}, {"tags", {""}}},
      {{"slug", "x"}, {"title", "t"}, {"tags", json(std::vector<std::string>(21, "t"))}},
      {{"slug", "x"}, {"title", "t"}, {"done", nullptr}},
      {{"slug", "x"}, {"title", "t"}, {"$where", "1"}},
      {{"slug", "x"}, {"title", "t"}, {"body", std::string("a\0b", 3)}},
  });
}

json note_patch_bodies() {
  return json::array({
      {{"done", true}},
      {{"title", "t"}, {"id", "x"}},
      {{"slug", "ok-slug"}, {"tags", json::array()}},
      json::object(),
      {{"id", "x"}, {"version", 2}},
      {{"done", nullptr}},
      {{"slug", "Bad"}},
      {{"$set", {{"done", true}}}},
  });
}

}  // namespace

int main() {
  json out = {{"Item", verdicts<api_test::Item>(item_bodies())},
              {"Board", verdicts<api_test::Board>(board_bodies())},
              {"NoteInput", verdicts<crud::NoteInput>(note_input_bodies())},
              {"NotePatch", verdicts<crud::NotePatch>(note_patch_bodies())}};
  // A note as the API answers it must match the schema of Note.
  crud::Note note{"0190c4a2-7f3e-7b1c-9d4e-3a5b6c7d8e9f",
                  "s",
                  "t",
                  "",
                  {"a"},
                  false,
                  "2026-01-02T03:04:05.678Z",
                  "2026-01-02T03:04:05.678Z",
                  3};
  out["Note"] = {{"schema", gale::web::json_schema<crud::Note>()},
                 {"cases", json::array({{{"body", gale::web::encode(note)}, {"accepted", true}}})}};
  std::cout << out.dump() << "\n";
  return 0;
}
