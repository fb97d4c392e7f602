// Timestamps of notes: UTC, millisecond precision, "2026-01-02T03:04:05.678Z" (what MongoDB's
// relaxed Extended JSON gives for a date, and what the PostgreSQL store formats its timestamptz
// as).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace crud {

using Millis = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

std::string format_timestamp(Millis t);
// True for exactly the form format_timestamp writes, with a valid date and time.
bool is_timestamp(std::string_view text) noexcept;

}  // namespace crud
