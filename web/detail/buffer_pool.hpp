// Reused string buffers for the bytes of responses, one pool per server on a loop. A response's
// head and body are built in buffers that earlier responses gave back once written, so a
// keep-alive request costs no allocation for them, and an idle connection holds no buffer.
// Bounded: at most kPooledBuffers are kept, each of at most kPooledCapacity bytes; larger ones are
// freed.
//
// Also, apart, so that they do not mix with the large ones: the fields of response headers (the
// vector, and its names and values too long for a string's inline room: an echoed origin,
// Access-Control-Allow-Origin) that finished handlers gave back, for the next handler's headers.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gale/web/headers.hpp"

namespace gale::web::detail {

class BufferPool {
 public:
  static constexpr std::size_t kPooledBuffers = 64;
  static constexpr std::size_t kPooledCapacity = 4096;
  static constexpr std::size_t kPooledTexts = 64;
  static constexpr std::size_t kTextCapacity = 63;  // a new pooled text's room, and the most kept
  static constexpr std::size_t kPooledFields = 16;
  static constexpr std::size_t kInlineText = 15;  // a std::string's inline room

  // An empty string with room for at least `capacity` bytes (from the pool when it has one).
  std::string take(std::size_t capacity);
  // Takes the buffer's storage back into the pool when it fits (else frees it); `buffer` is left
  // empty, without storage, either way.
  void give_back(std::string& buffer) noexcept;

  // A copy of `text` for a header field: longer than the inline room, in a pooled string.
  std::string text(std::string_view text) {
    return text.size() <= kInlineText ? std::string(text) : pooled_text(text);
  }
  // An empty vector of header fields with room for a few (a response's CORS headers, Vary...).
  std::vector<HTTPHeaders::Field> take_fields();
  // Takes back the fields' vector and their long names and values; `fields` is left empty.
  void give_back(std::vector<HTTPHeaders::Field>& fields) noexcept;

  std::size_t size() const noexcept { return size_; }
  std::size_t texts() const noexcept { return texts_size_; }

 private:
  std::string pooled_text(std::string_view text);
  void give_back_text(std::string& text) noexcept;

  std::array<std::string, kPooledBuffers> buffers_;
  std::size_t size_ = 0;
  std::array<std::string, kPooledTexts> texts_;
  std::size_t texts_size_ = 0;
  std::array<std::vector<HTTPHeaders::Field>, kPooledFields> fields_;
  std::size_t fields_size_ = 0;
};

}  // namespace gale::web::detail
