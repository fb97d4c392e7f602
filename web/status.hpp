// HTTP status codes: reason phrases and the status of each gale::ErrorKind.
#pragma once

#include <string_view>

#include "gale/loop/error.hpp"

namespace gale::web {

// "OK", "Not Found", ...; "Unknown" for a code without a registered phrase.
std::string_view reason_phrase(int status) noexcept;

// invalid_argument 400, not_found 404, duplicate 409, conflict 409, timeout 504, unavailable 503,
// unauthorized 401, forbidden 403, internal 500.
int status_for(ErrorKind kind) noexcept;

}  // namespace gale::web
