#include "gale/web/detail/buffer_pool.hpp"

#include <utility>

namespace gale::web::detail {

namespace {
// The room of a new vector of fields (as HTTPHeaders reserves it) and the most kept of one.
constexpr std::size_t kFieldsRoom = 4;
constexpr std::size_t kKeptFields = 32;
}  // namespace

std::string BufferPool::take(std::size_t capacity) {
  std::string out;
  if (size_ > 0) out = std::move(buffers_[--size_]);
  out.reserve(capacity);
  return out;
}

void BufferPool::give_back(std::string& buffer) noexcept {
  std::size_t capacity = buffer.capacity();
  buffer.clear();
  if (capacity <= kInlineText) return;
  if (capacity <= kPooledCapacity && size_ < kPooledBuffers) {
    buffers_[size_++] = std::move(buffer);  // steals the storage; `buffer` is left empty, inline
    buffer.clear();
    return;
  }
  std::string().swap(buffer);  // too large to keep, or the pool is full: freed
}


std::string BufferPool::pooled_text(std::string_view text) {
  std::string out;
  if (texts_size_ > 0 && text.size() <= kTextCapacity) {
    out.swap(texts_[--texts_size_]);  // empty, with room: append() copies, no more
  } else {
    out.reserve(text.size() < kTextCapacity ? kTextCapacity : text.size());
  }
  out.append(text);
  return out;
}

void BufferPool::give_back_text(std::string& text) noexcept {
  std::size_t capacity = text.capacity();
  if (capacity <= kInlineText || capacity > kTextCapacity || texts_size_ == kPooledTexts) {
    return;  // inline, too large to keep, or the pool is full: freed with its field
  }
  text.clear();
  texts_[texts_size_++] = std::move(text);
}

std::vector<HTTPHeaders::Field> BufferPool::take_fields() {
  if (fields_size_ > 0) return std::move(fields_[--fields_size_]);
  std::vector<HTTPHeaders::Field> out;
  out.reserve(kFieldsRoom);
  return out;
}

void BufferPool::give_back(std::vector<HTTPHeaders::Field>& fields) noexcept {
  for (auto& [name, value] : fields) {
    give_back_text(name);
    give_back_text(value);
  }
  fields.clear();
  if (fields.capacity() == 0 || fields.capacity() > kKeptFields || fields_size_ == kPooledFields) {
    std::vector<HTTPHeaders::Field>().swap(fields);
    return;
  }
  fields_[fields_size_++] = std::move(fields);
  fields.clear();
}

}  // namespace gale::web::detail
