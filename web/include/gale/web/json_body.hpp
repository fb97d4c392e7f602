// Parsing an untrusted JSON body: bounded in size and in nesting depth (a 10,000-deep array is
// refused at the limit, never walked recursively), with HTTPError(400) on malformed input (the
// client sees where the body breaks; the parser's own text goes to the log).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

namespace gale::web {

struct JsonLimits {
  std::size_t max_size = 1024 * 1024;  // bytes; larger bodies give 413
  std::size_t max_depth = 64;          // nesting levels of arrays and objects; deeper gives 400
};

// Throws HTTPError(413) when the text is larger than max_size, HTTPError(400) when it is not JSON
// (invalid UTF-8 included), holds a number beyond a double's range (1e400; integers beyond 64 bits
// within it become doubles), or nests deeper than max_depth.
nlohmann::json parse_json(std::string_view text, const JsonLimits& limits);

// application/json or a +json type (application/problem+json), parameters and case ignored.
bool is_json_media_type(std::string_view content_type) noexcept;

}  // namespace gale::web
