#include "gale/loop/with_timeout.hpp"

#include <fmt/format.h>

namespace gale::detail {

Error timeout_error(Clock::duration timeout) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  if (micros % 1000 == 0) {
    return Error(ErrorKind::timeout, fmt::format("timed out after {} ms", micros / 1000));
  }
  return Error(ErrorKind::timeout, fmt::format("timed out after {:.3f} ms", micros / 1000.0));
}

}  // namespace gale::detail
