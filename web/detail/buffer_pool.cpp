#include "gale/web/detail/buffer_pool.hpp"

namespace gale::web::detail {

namespace {
// Strings this short live inline: no allocation to save.
std::size_t inline_capacity() noexcept {
  static const std::size_t capacity = std::string().capacity();
  return capacity;
}
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
  if (capacity <= inline_capacity()) return;
  if (capacity <= kPooledCapacity && size_ < kPooledBuffers) {
    buffers_[size_++] = std::move(buffer);  // steals the storage; `buffer` is left empty, inline
    buffer.clear();
    return;
  }
  std::string().swap(buffer);  // too large to keep, or the pool is full: freed
}

}  // namespace gale::web::detail
