#include "crud/note_validation.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace crud {
namespace {

using gale::web::items;
using gale::web::Rules;

// Each decides as its pattern does, without running a regex on every request.
bool slug_text(std::string_view s) {
  return !s.empty() && s.front() != '-' && s.back() != '-' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

bool not_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") != std::string_view::npos;
}

bool no_nul(std::string_view s) {
  return s.find('\0') == std::string_view::npos;
}

constexpr const char* kNoNul = "^[^\\u0000]*$";
constexpr const char* kNoNulMessage = "must not contain NUL characters";

}  // namespace

Rules slug_rules() {
  return items()
      .min_length(1)
      .max_length(100)
      .pattern("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
               "must be lowercase letters, digits and inner '-' (like \"my-first-note\")",
               &slug_text)
      .rules;
}

Rules title_rules() {
  return items()
      .min_length(1)
      .max_length(200)
      .pattern("[^ \\t\\r\\n]", "must not be blank", &not_blank)
      .pattern(kNoNul, kNoNulMessage, &no_nul)
      .rules;
}

Rules body_rules() {
  return items().max_length(100000).pattern(kNoNul, kNoNulMessage, &no_nul).rules;
}

Rules tags_rules() {
  return items()
      .max_items(20)
      .unique_items()
      .items(items().min_length(1).max_length(50).pattern(kNoNul, kNoNulMessage, &no_nul))
      .rules;
}

NoteFields fields_of(NoteInput input) {
  return NoteFields{std::move(input.slug), std::move(input.title), std::move(input.body),
                    std::move(input.tags), input.done};
}

NoteFields fields_of(NotePatch patch) {
  return NoteFields{std::move(patch.slug), std::move(patch.title), std::move(patch.body),
                    std::move(patch.tags), patch.done};
}

}  // namespace crud
