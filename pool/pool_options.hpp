// What a Pool<Connection> may hold and how long things may take. Drivers fill these from their URIs
// (pool_max_size=16, maxPoolSize=32, ...).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace gale {

struct PoolOptions {
  using duration = std::chrono::steady_clock::duration;

  // Names the connections in messages: "no PostgreSQL connection free after 1000 ms: ...".
  std::string name = "database";
  std::size_t min_size = 0;
  std::size_t max_size = 10;
  // Callers that may wait at once; beyond this acquire() fails at once (the wait queue's bound).
  std::size_t max_waiters = 10'000;
  // The deadline of acquire() when the caller gives none.
  duration acquire_timeout = std::chrono::seconds(10);
  // Connections opening at once.
  std::size_t max_connecting = 2;
  // Idle connections beyond min_size are closed after this long unused; zero keeps them.
  duration max_idle_time = std::chrono::minutes(5);
  // Connections are retired after this age (on release or while idle); zero keeps them forever.
  duration max_lifetime = std::chrono::hours(1);
  // A connection idle longer than this is health-checked before it is handed out; zero never.
  duration check_after_idle = std::chrono::seconds(30);
  // Reconnect backoff while the server is down: exponential from initial to max, with jitter.
  duration backoff_initial = std::chrono::milliseconds(100);
  duration backoff_max = std::chrono::seconds(5);
  // How often idle connections are reaped and the pool refilled to min_size.
  duration maintenance_interval = std::chrono::seconds(1);

  // Throws Error(invalid_argument) naming the first inconsistent setting.
  void validate() const;
};

}  // namespace gale
