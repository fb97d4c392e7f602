#include "gale/web/json_body.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "gale/web/http_error.hpp"

namespace gale::web {

bool is_json_media_type(std::string_view content_type) noexcept {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  auto lower_equal = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == y;
           });
  };
  if (lower_equal(type, "application/json")) return true;
  auto slash = type.find('/');
  return slash != std::string_view::npos && type.size() > 5 &&
         lower_equal(type.substr(type.size() - 5), "+json");  // application/problem+json
}

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
  } catch (const nlohmann::json::parse_error& e) {
    // The parser's text quotes the body and names the library: for the log (and debug) only.
    throw HTTPError(400, fmt::format("malformed JSON body (at byte {})", e.byte))
        .with_log_message(e.what());
  } catch (const nlohmann::json::exception& e) {
    // out_of_range for a number no double can hold (1e400)
    throw HTTPError(400, "malformed JSON body (a number out of range)").with_log_message(e.what());
  }
}

}  // namespace gale::web
