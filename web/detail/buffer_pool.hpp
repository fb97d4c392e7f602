// Reused string buffers for the bytes of responses, one pool per server on a loop. A response's
// head and body are built in buffers that earlier responses gave back once written, so a
// keep-alive request costs no allocation for them, and an idle connection holds no buffer.
// Bounded: at most kPooledBuffers are kept, each of at most kPooledCapacity bytes; larger ones are
// freed.
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace gale::web::detail {

class BufferPool {
 public:
  static constexpr std::size_t kPooledBuffers = 64;
  static constexpr std::size_t kPooledCapacity = 4096;

  // An empty string with room for at least `capacity` bytes (from the pool when it has one).
  std::string take(std::size_t capacity);
  // Takes the buffer's storage back into the pool when it fits (else frees it); `buffer` is left
  // empty, without storage, either way.
  void give_back(std::string& buffer) noexcept;

  std::size_t size() const noexcept { return size_; }

 private:
  std::array<std::string, kPooledBuffers> buffers_;
  std::size_t size_ = 0;
};

}  // namespace gale::web::detail
