// UTF-8 validation of what clients send (arguments, paths), before it becomes JSON text.
#pragma once

#include <string_view>

namespace gale::web::detail {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) noexcept;

}  // namespace gale::web::detail
