// UTF-8 validation of what clients send (arguments, paths), before it becomes JSON text.
#pragma once

#include <string>
#include <string_view>

namespace gale::web::detail {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) noexcept;

// `text` with every byte that does not start a well-formed sequence replaced by U+FFFD, so that
// a message quoting what a client sent can always become JSON text.
std::string to_valid_utf8(std::string_view text);

}  // namespace gale::web::detail
