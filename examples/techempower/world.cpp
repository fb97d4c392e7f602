#include "techempower/world.hpp"

#include <algorithm>
#include <charconv>
#include <random>

namespace techempower {

int random_world_id() {
  thread_local std::mt19937 engine{std::random_device{}()};
  thread_local std::uniform_int_distribution<int> ids(1, kWorldRows);
  return ids(engine);
}

int clamp_queries(const std::optional<std::string>& text) {
  if (!text) return 1;
  long long n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec == std::errc::result_out_of_range) return text->front() == '-' ? 1 : 500;
  if (ec != std::errc() || end != text->data() + text->size()) return 1;
  return static_cast<int>(std::clamp<long long>(n, 1, 500));
}

nlohmann::json world_json(std::int64_t id, std::int64_t random_number) {
  nlohmann::json w;
  w["id"] = id;
  w["randomNumber"] = random_number;
  return w;
}

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string fortunes_page(std::vector<Fortune> fortunes) {
  fortunes.push_back({0, "Additional fortune added at request time."});
  std::sort(fortunes.begin(), fortunes.end(),
            [](const Fortune& a, const Fortune& b) { return a.message < b.message; });
  std::string html =
      "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
      "<tr><th>id</th><th>message</th></tr>";
  for (const auto& f : fortunes) {
    html += "<tr><td>";
    html += std::to_string(f.id);
    html += "</td><td>";
    append_escaped(html, f.message);
    html += "</td></tr>";
  }
  html += "</table></body></html>";
  return html;
}

}  // namespace techempower
