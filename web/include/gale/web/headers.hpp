// HTTPHeaders: an ordered list of header fields with case-insensitive lookup. A request has few
// headers, so a flat vector beats a map; repeated fields stay separate (get_all).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gale::web {

bool iequals(std::string_view a, std::string_view b) noexcept;

class HTTPHeaders {
 public:
  using Field = std::pair<std::string, std::string>;

  // The first value of `name`, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  // The first value of `name`, or `fallback`.
  std::string_view get(std::string_view name, std::string_view fallback) const noexcept;
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }

  // Appends a field (a repeated header keeps every value).
  void add(std::string name, std::string value) {
    make_room();
    fields_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every field called `name` by one with this value.
  void set(std::string_view name, std::string value);
  void erase(std::string_view name);
  void clear() noexcept { fields_.clear(); }

  const std::vector<Field>& fields() const noexcept { return fields_; }
  std::vector<Field>& fields() noexcept { return fields_; }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }

 private:
  // The first field reserves a few (a response gets several: CORS, Vary...): one allocation, not
  // one per growth.
  void make_room() {
    if (fields_.capacity() == 0) fields_.reserve(4);
  }

  std::vector<Field> fields_;
};

}  // namespace gale::web
