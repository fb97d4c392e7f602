// The list endpoint's query: filters, sort and keyset pagination, parsed from the query arguments
// into typed values. Nothing from the client reaches a database as an operator or as SQL: `done`
// is a bool, `tag` a string compared for equality, `sort` one of six names, and the cursor is
// decoded and checked like any other input.
//
//   GET /notes?limit=20&done=false&tag=work&tag=urgent&sort=-updated_at&cursor=...
//
//   limit   1-100 (default 20)
//   done    true | false
//   tag     repeatable: notes that have every tag given
//   sort    created_at | updated_at | title, '-' in front for descending (default -created_at);
//           ties are broken by id in the same direction, so the order is total
//   cursor  next_cursor of the previous page (opaque): the page starts after that note
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crud/note.hpp"

namespace crud {

enum class SortField { created_at, updated_at, title };

// Where a page starts: after the note with this sort value and id.
struct PageAfter {
  std::string value;  // the sort field's value (a timestamp or a title)
  std::string id;
};

struct ListQuery {
  SortField sort = SortField::created_at;
  bool descending = true;
  std::int64_t limit = 20;
  std::optional<bool> done;
  std::vector<std::string> tags;
  std::optional<PageAfter> after;
};

inline constexpr std::int64_t kMaxPageSize = 100;

std::string_view field_name(SortField field) noexcept;  // "created_at", ...

// Arguments by name: the last value of `limit`, `done`, `sort`, `cursor`, every value of `tag`.
struct ListArguments {
  std::optional<std::string> limit, done, sort, cursor;
  std::vector<std::string> tags;
};

// HTTPError(400) naming the argument on bad input.
ListQuery parse_list_query(const ListArguments& args);

// The opaque cursor of the page after `last` (the last note of this page).
std::string next_cursor(const ListQuery& query, const Note& last);

}  // namespace crud
