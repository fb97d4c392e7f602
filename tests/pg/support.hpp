// Helpers of the PostgreSQL driver's tests: a client on the local server, bounded runs of the loop,
// table names of their own (ctest runs test cases of other executables alongside).
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/pg/pg.hpp"
#include "support/env.hpp"

namespace gale::testing {

using namespace std::chrono_literals;

// The local server's URI with extra query parameters ("pool_max_size=4&...").
inline std::string pg_uri_with(const std::string& query) {
  std::string uri = pg_uri();
  if (query.empty()) return uri;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + query;
}

// A table name no other test process uses.
inline std::string unique_name(const std::string& base) {
  static std::atomic<int> counter{0};
  return base + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

template <class F>
auto run(IOLoop& loop, F&& fn, Clock::duration limit = 30s) {
  return loop.run_sync(std::forward<F>(fn), limit);
}

}  // namespace gale::testing
