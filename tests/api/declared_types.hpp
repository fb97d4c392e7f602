// Declared types the api tests share: a six-field note with every kind of constraint, a nested
// one with objects, arrays of objects and maps, and a patch-style type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/web/json_fields.hpp"

namespace api_test {

using gale::web::field;

struct Item {
  std::string title;
  bool done = false;
  std::optional<int> priority;
  std::vector<std::string> tags;
  double weight = 1.5;
  std::string kind = "task";

  static auto json_fields() {
    return gale::web::fields(
        field("title", &Item::title)
            .min_length(1)
            .max_length(10)
            .pattern("\\S", "must not be blank"),
        field("done", &Item::done).optional(),
        field("priority", &Item::priority).minimum(1).maximum(5),
        field("tags", &Item::tags)
            .optional()
            .max_items(3)
            .unique_items()
            .items(gale::web::items().min_length(1).max_length(5).pattern("^[a-z]+$")),
        field("weight", &Item::weight).optional().minimum(0),
        field("kind", &Item::kind).optional().one_of({"task", "idea"}));
  }
};

struct Owner {
  std::string name;
  std::int8_t age = 0;
  static auto json_fields() {
    return gale::web::fields(field("name", &Owner::name), field("age", &Owner::age).optional());
  }
};

struct Board {
  Owner owner;
  std::vector<Item> items;
  std::map<std::string, std::int64_t> counters;
  std::optional<Owner> deputy;
  static auto json_fields() {
    return gale::web::fields(field("owner", &Board::owner),
                             field("items", &Board::items).min_items(1),
                             field("counters", &Board::counters).optional().max_items(2),
                             field("deputy", &Board::deputy))
        .ignore({"id"});
  }
};

struct Patch {
  std::optional<std::string> title;
  std::optional<bool> done;
  static auto json_fields() {
    return gale::web::fields(field("title", &Patch::title), field("done", &Patch::done))
        .require_any("nothing to change")
        .ignore({"id"});
  }
};

struct Loose {
  std::string name;
  static auto json_fields() {
    return gale::web::fields(field("name", &Loose::name)).allow_unknown();
  }
};

}  // namespace api_test
