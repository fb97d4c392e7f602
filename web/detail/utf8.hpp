// UTF-8 validation of what clients send (arguments, paths), before it becomes JSON text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gale::web::detail {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) noexcept;

// `text` with every byte that does not start a well-formed sequence replaced by U+FFFD, so that
// a message quoting what a client sent can always become JSON text.
std::string to_valid_utf8(std::string_view text);

// The longest start of `text` of at most `max_bytes` that does not end inside a character: a
// message quoting the start of what a client sent quotes whole characters.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept;

// Validation of text that arrives in pieces (a WebSocket message, fragment by fragment): a
// sequence may be split between two pieces. feed() is false at the first byte that cannot be part
// of well-formed UTF-8, so a bad message fails as soon as it shows; complete() says whether the
// text ended between sequences.
class Utf8Stream {
 public:
  bool feed(std::string_view piece) noexcept;
  bool complete() const noexcept { return need_ == 0; }
  void reset() noexcept { need_ = 0; }

 private:
  std::uint8_t need_ = 0;   // continuation bytes still expected
  std::uint8_t lo_ = 0x80;  // the range the next continuation byte must be in
  std::uint8_t hi_ = 0xBF;
};

}  // namespace gale::web::detail
