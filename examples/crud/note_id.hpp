// Note ids: UUIDv7 (RFC 9562) in lowercase text form. 48 bits of Unix milliseconds, then 74 random
// bits (OpenSSL's RAND_bytes): unique without coordination between processes, and in creation
// order.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace crud {

std::string new_note_id(std::chrono::system_clock::time_point now);
// True for the lowercase 8-4-4-4-12 hex form (any UUID version: ids come from the database too).
bool is_note_id(std::string_view text) noexcept;

}  // namespace crud
