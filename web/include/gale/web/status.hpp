// HTTP status codes: reason phrases, the status of each gale::ErrorKind and the kind of a status.
#pragma once

#include <string_view>

#include "gale/loop/error.hpp"

namespace gale::web {

// "OK", "Not Found", ...; "Unknown" for a code without a registered phrase.
std::string_view reason_phrase(int status) noexcept;

// invalid_argument 400, not_found 404, duplicate 409, conflict 409, timeout 504, unavailable 503,
// unauthorized 401, forbidden 403, internal 500.
int status_for(ErrorKind kind) noexcept;

// The other way, as HTTPClientError reads a response: 400 invalid_argument, 401 unauthorized, 403
// forbidden, 404 not_found, 409 conflict, 503 unavailable, 504 timeout, any other internal.
ErrorKind kind_for_status(int status) noexcept;

}  // namespace gale::web
