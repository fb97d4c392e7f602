#include "gale/loop/fatal_error.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>

#include "gale/loop/log.hpp"

namespace gale {
namespace {

std::terminate_handler previous_handler = nullptr;

[[noreturn]] void on_terminate() {
  if (std::exception_ptr error = std::current_exception()) {
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      log::write(log::Level::error, "gale", "fatal: " + describe(error));
      std::fflush(nullptr);
      std::_Exit(exit_code_for(e.kind()));
    } catch (...) {
    }
  }
  if (previous_handler != nullptr) previous_handler();
  std::abort();
}

}  // namespace

int exit_code_for(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return kExitConfig;
    case ErrorKind::unavailable:
    case ErrorKind::timeout:
      return kExitUnavailable;
    case ErrorKind::unauthorized:
    case ErrorKind::forbidden:
      return kExitNoPermission;
    case ErrorKind::not_found:
    case ErrorKind::duplicate:
    case ErrorKind::conflict:
    case ErrorKind::internal:
      return kExitSoftware;
  }
  return kExitSoftware;
}

void exit_on_uncaught_error() {
  static std::once_flag once;
  std::call_once(once, [] { previous_handler = std::set_terminate(on_terminate); });
}

}  // namespace gale
