#include "gale/web/headers.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace gale::web {
namespace {

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

template <class Word>
Word load(const char* p) noexcept {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// The same bytes, for the short strings of header names: a few word compares, no call.
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b,
                                              std::size_t n) noexcept {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if (load<std::uint64_t>(a + i) != load<std::uint64_t>(b + i)) return false;
    }
    return load<std::uint64_t>(a + n - 8) == load<std::uint64_t>(b + n - 8);
  }
  if (n >= 4) {
    return load<std::uint32_t>(a) == load<std::uint32_t>(b) &&
           load<std::uint32_t>(a + n - 4) == load<std::uint32_t>(b + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Most fields differ from a looked-up name in length: no compare for them. Names mostly come as
// looked up ("Origin" for "Origin"): the bytes compared as they are, no case folding for them.
[[gnu::always_inline]] inline bool same_name(std::string_view field,
                                             std::string_view name) noexcept {
  return field.size() == name.size() &&
         (same_bytes(field.data(), name.data(), name.size()) || iequals(field, name));
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  // Names mostly come as looked up ("Origin" for "Origin"): one memcmp, no case folding for them.
  if (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0) return true;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> HTTPHeaders::get(std::string_view name) const noexcept {
  for (const auto& [n, v] : fields_) {
    if (same_name(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view HTTPHeaders::get(std::string_view name, std::string_view fallback) const noexcept {
  auto v = get(name);
  return v ? *v : fallback;
}

std::vector<std::string_view> HTTPHeaders::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : fields_) {
    if (same_name(n, name)) out.emplace_back(v);
  }
  return out;
}

void HTTPHeaders::set(std::string_view name, std::string value) {
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [name](const Field& f) { return same_name(f.first, name); });
  if (first == fields_.end()) {
    make_room();
    fields_.emplace_back(std::string(name), std::move(value));
    return;
  }
  first->second = std::move(value);
  auto rest = std::remove_if(first + 1, fields_.end(),
                             [name](const Field& f) { return same_name(f.first, name); });
  fields_.erase(rest, fields_.end());
}

void HTTPHeaders::erase(std::string_view name) {
  std::erase_if(fields_, [name](const Field& f) { return same_name(f.first, name); });
}

}  // namespace gale::web
