#include "gale/web/detail/date_cache.hpp"

#include <ctime>

namespace gale::web::detail {
namespace {

struct DateCache {
  std::time_t second = -1;
  char text[40] = {};
  std::size_t size = 0;
};

thread_local DateCache t_date;

}  // namespace

std::string_view http_date() noexcept {
  std::time_t now = std::time(nullptr);
  if (now != t_date.second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    t_date.size = std::strftime(t_date.text, sizeof t_date.text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    t_date.second = now;
  }
  return {t_date.text, t_date.size};
}

}  // namespace gale::web::detail
