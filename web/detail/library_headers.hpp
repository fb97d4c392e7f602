// How the library's own middleware (CORS) adds response headers whose names are literals of its
// own: without checking those names again, into strings and a vector of fields that earlier
// responses gave back (BufferPool) rather than new allocations.
#pragma once

#include <string_view>

#include "gale/web/request_handler.hpp"

namespace gale::web::detail {

struct LibraryHeaders {
  // `name`: a literal without CR, LF, NUL or ':'. The value is checked as add_header() checks it.
  static void add(RequestHandler& h, std::string_view name, std::string_view value) {
    h.add_library_header(name, value, false);
  }
  // The same with a value that is a literal too (not checked).
  static void add_literal(RequestHandler& h, std::string_view name, std::string_view value) {
    h.add_library_header(name, value, true);
  }
};

}  // namespace gale::web::detail
