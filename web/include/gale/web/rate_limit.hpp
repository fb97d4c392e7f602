// A per-client rate limit as a middleware: a token bucket per client (its remote IP, or a key of
// the application's), in a table of bounded size.
//
//   gale::web::RateLimitOptions limit;
//   limit.rate = 5;     // requests per second, sustained
//   limit.burst = 20;   // and up to 20 at once
//   app.use(gale::web::rate_limit(limit));
//
// Over the limit: 429 in the JSON envelope, with Retry-After (whole seconds until a request would
// pass). The table holds at most max_clients buckets; a new client beyond that evicts the least
// recently seen one (LRU), whose next request starts with a full bucket again: memory stays bounded
// (about 100 bytes and the key per client) at the price of forgetting the quietest clients. Each
// process (worker) counts on its own. Behind a proxy, turn on settings.xheaders so that remote_ip
// is the client's.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "gale/web/middleware.hpp"

namespace gale::web {

struct RateLimitOptions {
  double rate = 10;                  // tokens added per second
  double burst = 20;                 // the bucket's size (>= 1)
  std::size_t max_clients = 10'000;  // buckets kept (>= 1)
  // The client of a request; the default is request().remote_ip. An empty key is not limited.
  std::function<std::string(const RequestHandler&)> key{};
};

class RateLimit final : public Middleware {
 public:
  explicit RateLimit(RateLimitOptions options);
  ~RateLimit() override;

  Future<void> before(RequestHandler& handler) override;
  // Buckets in the table (at most max_clients).
  std::size_t clients() const noexcept;

 private:
  struct Table;
  RateLimitOptions options_;
  std::unique_ptr<Table> table_;
};

std::shared_ptr<RateLimit> rate_limit(RateLimitOptions options);

}  // namespace gale::web
