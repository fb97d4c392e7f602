// ClientOptions: the settings of a gale::pg::Client. Each can also travel in the connection URI as
// a query parameter (removed before libpq sees the URI), e.g.
//   postgresql://app@db:5432/app?pool_max_size=16&query_timeout_ms=5000&pipeline=on
#pragma once

#include <chrono>
#include <cstddef>

namespace gale::pg {

struct ClientOptions {
  using duration = std::chrono::steady_clock::duration;

  std::size_t pool_min_size = 0;                        // pool_min_size
  std::size_t pool_max_size = 10;                       // pool_max_size
  duration acquire_timeout = std::chrono::seconds(10);  // pool_acquire_timeout_ms
  duration max_idle_time = std::chrono::minutes(5);     // pool_max_idle_ms
  duration max_lifetime = std::chrono::hours(1);        // pool_max_lifetime_ms
  std::size_t max_waiters = 10'000;                     // pool_max_waiters
  // Every query's deadline; on expiry it is cancelled on the server and fails with kind timeout.
  // Zero: no deadline (not advised).
  duration query_timeout = std::chrono::seconds(30);  // query_timeout_ms
  // Deadline of one connection attempt over all hosts of the URI (libpq's connect_timeout, when
  // given, counts per host).
  duration connect_timeout = std::chrono::seconds(10);  // connect_timeout (seconds, libpq's)
  // Prepared statements kept per connection (LRU); 0 sends every query unnamed.
  std::size_t statement_cache_size = 256;  // statement_cache_size
  // Pipeline mode: queries of concurrent coroutines share connections, up to pipeline_depth in
  // flight on each. Off: one query at a time per connection, as a classic pool.
  bool pipeline = true;             // pipeline=on|off
  std::size_t pipeline_depth = 64;  // pipeline_depth
  // TLS that is used is verified: sslmode=require means verify-full (the chain and the host name),
  // and without sslrootcert the chain is checked against the system's CAs, whatever the sslmode
  // (with prefer, a certificate that fails makes libpq go on without TLS, where the server allows
  // it). Off: libpq's own meaning (require encrypts without checking anything).
  bool tls_verify = true;  // tls_verify=on|off
};

}  // namespace gale::pg
