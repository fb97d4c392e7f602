// json_body(): an untrusted request body parsed under the size and depth limits. Whatever the
// bytes, the result is a value within the limits or HTTPError(400/413) whose message can go into
// the JSON error envelope (valid UTF-8: nlohmann's dump() would throw on anything else).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gale/web/http_error.hpp"
#include "gale/web/json_body.hpp"

namespace {

std::size_t depth_of(const nlohmann::json& v) {
  std::size_t deepest = 0;
  if (v.is_structured()) {
    for (const auto& child : v) deepest = std::max(deepest, depth_of(child));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gale::web::JsonLimits limits;
  limits.max_size = 2048;
  limits.max_depth = 16;
  try {
    nlohmann::json value = gale::web::parse_json(text, limits);
    if (depth_of(value) > limits.max_depth) std::abort();
    (void)value.dump();  // what write_json() does with it: throws on invalid UTF-8
  } catch (const gale::web::HTTPError& e) {
    if (e.status() != 400 && e.status() != 413) std::abort();
    if (e.status() == 413 && size <= limits.max_size) std::abort();
    // The message goes into the error envelope as Application::write_error writes it.
    nlohmann::ordered_json envelope = {{"message", e.what()}};
    (void)envelope.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  return 0;
}
