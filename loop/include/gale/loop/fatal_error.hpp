// What a gale process does with a gale::Error that nothing caught: one log line and an exit code
// that says what went wrong, instead of std::terminate's abort and core dump. For a service that
// fails at start-up (a bad connection string, a database that is down while the schema is made),
// a supervisor (systemd, Kubernetes) sees the code and the log says why:
//
//   [E 261205 21:03:11.482 gale] fatal: invalid_argument: invalid PostgreSQL URI: ...
//
// web::Options installs it when constructed; call exit_on_uncaught_error() yourself in a program
// without Options. Exceptions that are not gale::Error (bugs) still go to the previous terminate
// handler (the C++ runtime's message, then abort).
#pragma once

#include "gale/loop/error.hpp"

namespace gale {

// Exit codes, from sysexits.h where one fits.
inline constexpr int kExitUsage = 2;          // a bad command-line option (web::Options::parse)
inline constexpr int kExitUnavailable = 69;   // unavailable, timeout: a database down or too slow
inline constexpr int kExitSoftware = 70;      // internal, conflict, not_found, duplicate
inline constexpr int kExitNoPermission = 77;  // unauthorized, forbidden: credentials refused
inline constexpr int kExitConfig = 78;        // invalid_argument: a bad URI or setting

int exit_code_for(ErrorKind kind) noexcept;

// Installs the terminate handler described above (once per process; later calls do nothing).
void exit_on_uncaught_error();

}  // namespace gale
