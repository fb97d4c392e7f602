// One constant table per enumeration, read both ways: a row per enumerator with what it maps to
// (its name, its HTTP status, ...), looked up by any column. It replaces pairs of switch statements
// (a to_string and its parse, a kind's status and a status's kind) that had to be kept in step by
// hand.
//
//   struct Row { Color color; std::string_view name; };
//   constexpr auto kColors = std::to_array<Row>({{Color::red, "red"}, {Color::blue, "blue"}});
//   static_assert(detail::covers_each_once(kColors, &Row::color, 2));
//   const Row* row = detail::find_row(kColors, &Row::name, "blue");   // nullptr when none
//
// Internal: included by .cpp files only, never by a public header.
#pragma once

#include <array>
#include <cstddef>

namespace gale::detail {

// The first row for which `match(row)` holds, or nullptr.
template <class Row, std::size_t N, class Match>
constexpr const Row* find_row_if(const std::array<Row, N>& table, Match match) {
  for (const Row& row : table) {
    if (match(row)) return &row;
  }
  return nullptr;
}

// The first row whose `column` equals `key`, or nullptr.
template <class Row, std::size_t N, class Column, class Key>
constexpr const Row* find_row(const std::array<Row, N>& table, Column Row::*column,
                              const Key& key) {
  return find_row_if(table, [&](const Row& row) { return row.*column == key; });
}

// True when no two rows hold the same `column` (a table read by that column).
template <class Row, std::size_t N, class Column>
constexpr bool distinct(const std::array<Row, N>& table, Column Row::*column) {
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = i + 1; j < N; ++j) {
      if (table[i].*column == table[j].*column) return false;
    }
  }
  return true;
}

// True when `column` holds each enumerator 0 .. count - 1 exactly once and nothing else:
// static_assert it next to a table so that a new enumerator without its row fails to build, as
// -Wswitch did.
template <class Row, std::size_t N, class Enum>
constexpr bool covers_each_once(const std::array<Row, N>& table, Enum Row::*column,
                                std::size_t count) {
  if (N != count) return false;
  for (std::size_t value = 0; value < count; ++value) {
    std::size_t seen = 0;
    for (const Row& row : table) {
      if (static_cast<std::size_t>(row.*column) == value) ++seen;
    }
    if (seen != 1) return false;
  }
  return true;
}

}  // namespace gale::detail
