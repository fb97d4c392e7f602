#include "gale/web/rate_limit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <list>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "gale/loop/error.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/request_handler.hpp"

namespace gale::web {

using Clock = std::chrono::steady_clock;

struct RateLimit::Table {
  struct Bucket {
    std::string key;
    double tokens;
    Clock::time_point updated;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::list<Bucket> lru;  // most recently seen first
  std::unordered_map<std::string_view, std::list<Bucket>::iterator, Hash, std::equal_to<>> index;

  // The bucket of `key`, moved to the front; a new full one (evicting the last) when unknown.
  Bucket& touch(std::string_view key, const RateLimitOptions& o, Clock::time_point now) {
    // The client seen last comes again (a keep-alive connection, a busy client): no hashing.
    if (!lru.empty() && lru.front().key == key) return lru.front();
    if (auto it = index.find(key); it != index.end()) {
      if (it->second != lru.begin()) lru.splice(lru.begin(), lru, it->second);
      return lru.front();
    }
    if (lru.size() >= o.max_clients) {
      index.erase(lru.back().key);
      lru.pop_back();
    }
    lru.push_front(Bucket{std::string(key), o.burst, now});
    index.emplace(lru.front().key, lru.begin());
    return lru.front();
  }
};

RateLimit::RateLimit(RateLimitOptions options)
    : options_(std::move(options)), table_(std::make_unique<Table>()) {
  if (!(options_.rate > 0) || !(options_.burst >= 1) || options_.max_clients == 0) {
    throw Error(ErrorKind::invalid_argument,
                "rate_limit: rate > 0, burst >= 1 and max_clients >= 1 are required");
  }
}

RateLimit::~RateLimit() = default;

std::size_t RateLimit::clients() const noexcept {
  return table_->lru.size();
}

Future<void> RateLimit::before(RequestHandler& h) {
  std::string own;
  std::string_view key = h.request().remote_ip;
  if (options_.key) key = own = options_.key(h);
  if (key.empty()) return {};
  Clock::time_point now = Clock::now();
  Table::Bucket& b = table_->touch(key, options_, now);
  double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(options_.burst, b.tokens + elapsed * options_.rate);
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return {};
  }
  auto wait = static_cast<long long>(std::ceil((1 - b.tokens) / options_.rate));
  throw HTTPError(429, fmt::format("too many requests: retry after {} s", wait))
      .with_header("Retry-After", std::to_string(std::max(1LL, wait)));
}

std::shared_ptr<RateLimit> rate_limit(RateLimitOptions options) {
  return std::make_shared<RateLimit>(std::move(options));
}

}  // namespace gale::web
