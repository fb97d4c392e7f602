// detail: a bson_t under construction, for commands (the command name must come first).
//
// The bson_t lives on the heap: libbson declares it 128-byte aligned, more than a coroutine
// frame guarantees, and builders are used inside coroutines.
#pragma once

#include <bson/bson.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gale/mongo/bson.hpp"
#include "gale/mongo/document.hpp"

namespace gale::mongo::detail {

class CommandBuilder {
 public:
  CommandBuilder() : owned_(new Box), b_(owned_->bson) { bson_init(&b_); }
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
    bson_t v = bson_view(d);
    bson_append_document(&b_, key.data(), static_cast<int>(key.size()), &v);
    return *this;
  }
  CommandBuilder& i64_list(std::string_view key, const std::vector<std::int64_t>& values) {
    bson_t child;
    bson_append_array_begin(&b_, key.data(), static_cast<int>(key.size()), &child);
    char buf[16];
    const char* k = nullptr;
    std::uint32_t i = 0;
    for (auto v : values) {
      std::size_t n = bson_uint32_to_string(i++, &k, buf, sizeof buf);
      bson_append_int64(&child, k, static_cast<int>(n), v);
    }
    bson_append_array_end(&b_, &child);
    return *this;
  }
  bson_t* raw() noexcept { return &b_; }
  Document done() const { return from_bson(&b_); }

 private:
  struct Box {
    bson_t bson;
  };
  std::unique_ptr<Box> owned_;  // aligned new: bson_t asks for 128 bytes
  bson_t& b_;
};

// {"a": 1} or [["a", 1], ...] as an ordered document.
nlohmann::ordered_json ordered_keys(const nlohmann::json& value);
// "a_1_b_-1"
std::string index_name(const nlohmann::json& keys);

}  // namespace gale::mongo::detail
