#include "gale/web/headers.hpp"

#include <algorithm>
#include <cstring>

namespace gale::web {
namespace {

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Most fields differ from a looked-up name in length: no call for them.
bool same_name(std::string_view field, std::string_view name) noexcept {
  return field.size() == name.size() && iequals(field, name);
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
