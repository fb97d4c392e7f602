// Runs one callback of the loop; an exception escaping it is logged, as Tornado logs
// "Exception in callback", and the loop goes on.
#pragma once

#include <exception>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"
#include "gale/loop/unique_function.hpp"

namespace gale::detail {

inline void run_guarded(Callback& fn, const char* what) noexcept {
  try {
    fn();
  } catch (...) {
    log::error("gale.loop", "exception in {}: {}", what, describe(std::current_exception()));
  }
}

}  // namespace gale::detail
