#include "gale/web/json_body.hpp"

#include <fmt/format.h>

#include "gale/web/http_error.hpp"

namespace gale::web {

nlohmann::json parse_json(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_size) {
    throw HTTPError(413, fmt::format("the JSON body is larger than {} bytes", limits.max_size));
  }
  const std::size_t max_depth = limits.max_depth;
  // nlohmann's parser keeps its own stack (no recursion); the callback sees the depth of every
  // array and object as it opens and stops the parse at the limit.
  auto guard = [max_depth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start ||
         event == nlohmann::json::parse_event_t::array_start) &&
        static_cast<std::size_t>(depth) >= max_depth) {
      throw HTTPError(400, fmt::format("the JSON body nests deeper than {} levels", max_depth));
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), guard);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number no double can hold (1e400)
    throw HTTPError(400, fmt::format("malformed JSON body: {}", e.what()));
  }
}

}  // namespace gale::web
