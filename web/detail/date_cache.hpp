// The Date header's value ("Sun, 06 Nov 1994 08:49:37 GMT"), formatted once per second per thread.
#pragma once

#include <string_view>

namespace gale::web::detail {

std::string_view http_date() noexcept;

}  // namespace gale::web::detail
