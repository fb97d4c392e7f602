// detail: a bson_t under construction, for commands (the command name must come first).
#pragma once

#include <bson/bson.h>

#include <string>
#include <string_view>

#include "gale/mongo/document.hpp"

namespace gale::mongo::detail {

class CommandBuilder {
 public:
  CommandBuilder() { bson_init(&b_); }
  ~CommandBuilder() { bson_destroy(&b_); }
  CommandBuilder(const CommandBuilder&) = delete;
  CommandBuilder& operator=(const CommandBuilder&) = delete;

  CommandBuilder& str(std::string_view key, std::string_view value) {
    bson_append_utf8(&b_, key.data(), static_cast<int>(key.size()), value.data(),
                     static_cast<int>(value.size()));
    return *this;
  }
  CommandBuilder& i32(std::string_view key, std::int32_t v) {
    bson_append_int32(&b_, key.data(), static_cast<int>(key.size()), v);
    return *this;
  }
  CommandBuilder& i64(std::string_view key, std::int64_t v) {
    bson_append_int64(&b_, key.data(), static_cast<int>(key.size()), v);
    return *this;
  }
  CommandBuilder& boolean(std::string_view key, bool v) {
    bson_append_bool(&b_, key.data(), static_cast<int>(key.size()), v);
    return *this;
  }
  // Appends `value` unless it is null.
  template <class J>
  CommandBuilder& json(std::string_view key, const J& value) {
    if (!value.is_null()) append_json(&b_, key, value);
    return *this;
  }
  // A key pattern / sort: {"a": 1} or [["a", 1], ["b", -1]] (order kept); null: nothing.
  CommandBuilder& keys(std::string_view key, const nlohmann::json& value);
  CommandBuilder& doc(std::string_view key, const Document& d) {
    bson_t v = d.view();
    bson_append_document(&b_, key.data(), static_cast<int>(key.size()), &v);
    return *this;
  }
  bson_t* raw() noexcept { return &b_; }
  Document done() const { return Document(&b_); }

 private:
  bson_t b_;
};

// {"a": 1} or [["a", 1], ...] as an ordered document.
nlohmann::ordered_json ordered_keys(const nlohmann::json& value);
// "a_1_b_-1"
std::string index_name(const nlohmann::json& keys);

}  // namespace gale::mongo::detail
