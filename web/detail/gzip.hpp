// gzip compression of response bodies (zlib).
#pragma once

#include <string>
#include <string_view>

namespace gale::web::detail {

// The gzip stream of `data` at zlib level `level` (1 fast .. 9 small).
std::string gzip_compress(std::string_view data, int level = 6);
// Whether a response of this Content-Type is worth compressing (text, JSON, JavaScript, XML).
bool compressible_type(std::string_view content_type) noexcept;
// Whether an Accept-Encoding header value accepts gzip.
bool accepts_gzip(std::string_view accept_encoding) noexcept;

}  // namespace gale::web::detail
