#include "gale/web/detail/endpoint.hpp"

#include <array>

namespace gale::web::detail {

char* read_buffer() noexcept {
  static thread_local std::array<char, kReadSize> buffer;
  return buffer.data();
}

}  // namespace gale::web::detail
