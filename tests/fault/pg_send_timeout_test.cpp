// An exclusive operation (a script, a COPY) whose deadline passes while it is still sending: the
// server stopped reading (a FaultProxy blackhole holds 1 MiB, then TCP pushes back), so libpq
// keeps the rest of the statement in its output buffer and the connection is outside pipeline
// mode. That connection must not go back to the pool: the next query on the client (one
// connection at most) runs on a new one and succeeds once the link is healthy again.
#include <catch2/catch.hpp>

#include <string>

#include "fault/fault_proxy.hpp"
#include "fault/until.hpp"
#include "gale/loop/loop.hpp"
#include "gale/pg/pg.hpp"
#include "support/env.hpp"
#include "support/ports.hpp"

using namespace std::chrono_literals;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::testing::port_of;

namespace {

std::string through(const fault::FaultProxy& proxy) {
  return "postgresql://gale:gale@127.0.0.1:" + std::to_string(proxy.port()) +
         "/gale?pool_max_size=1&pool_min_size=1&query_timeout_ms=500&connect_timeout=2";
}

// Far more than the proxy holds (1 MiB) plus both sockets' buffers.
const std::string& large_literal() {
  static const std::string text(48 * 1024 * 1024, 'x');
  return text;
}

// The kind of the error `op` ends with (internal when it ends without one).
Future<ErrorKind> failure_of(Future<void> op) {
  try {
    co_await std::move(op);
  } catch (const gale::Error& e) {
    co_return e.kind();
  }
  co_return ErrorKind::internal;
}

// Starts a COPY, then blackholes the link and writes more than it can take: the write times out,
// and so does the abort the dropped CopyIn sends in the background while the link stays black.
Future<ErrorKind> copy_into_blackhole(gale::pg::Client& pg, fault::FaultProxy& proxy) {
  auto kind = ErrorKind::internal;
  {
    auto copy = co_await pg.copy_in("COPY gale_send_timeout (t) FROM STDIN");
    proxy.set({.blackhole = true});
    kind = co_await failure_of(copy.write(large_literal() + "\n"));
  }
  // The abort has ended (its lease returned or discarded) before the link heals.
  bool settled = co_await fault::until([&] { return pg.pool_stats().in_use == 0; }, 10s);
  CHECK(settled);
  co_return kind;
}

Future<int> answer(gale::pg::Client& pg) {
  co_return co_await pg.query_value<int>("SELECT 2");
}

}  // namespace

TEST_CASE("a script that times out while it is sent leaves no connection outside pipeline mode",
          "[fault][pg]") {
  fault::FaultProxy proxy(port_of(gale::testing::pg_uri()));
  gale::pg::Client pg(through(proxy));
  auto& loop = IOLoop::current();
  REQUIRE(loop.run_sync([&] { return answer(pg); }, 10s) == 2);

  proxy.set({.blackhole = true});
  auto kind = loop.run_sync(
      [&] { return failure_of(pg.execute_script("SELECT '" + large_literal() + "'")); }, 30s);
  CHECK(kind == ErrorKind::timeout);
  proxy.set({});
  CHECK(pg.pool_stats().discarded >= 1);

  // The connection that was left mid-statement is closed; a new one answers.
  CHECK(loop.run_sync([&] { return answer(pg); }, 10s) == 2);
  CHECK(loop.run_sync([&] { return answer(pg); }, 10s) == 2);
}

TEST_CASE("a COPY that times out while it is sent leaves no connection in the COPY",
          "[fault][pg]") {
  fault::FaultProxy proxy(port_of(gale::testing::pg_uri()));
  gale::pg::Client pg(through(proxy));
  auto& loop = IOLoop::current();
  loop.run_sync(
      [&] {
        return pg.execute_script(
            "DROP TABLE IF EXISTS gale_send_timeout; CREATE TABLE gale_send_timeout (t text)");
      },
      10s);

  auto kind = loop.run_sync([&] { return copy_into_blackhole(pg, proxy); }, 30s);
  CHECK(kind == ErrorKind::timeout);
  proxy.set({});
  CHECK(pg.pool_stats().discarded >= 1);

  CHECK(loop.run_sync([&] { return answer(pg); }, 10s) == 2);
  CHECK(loop.run_sync([&] { return answer(pg); }, 10s) == 2);
  loop.run_sync([&] { return pg.execute_script("DROP TABLE gale_send_timeout"); }, 10s);
}
