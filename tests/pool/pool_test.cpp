// Pool<Connection> over real TCP connections to a listener the test controls: "the server is down"
// means its port refuses connections.
#include <catch2/catch.hpp>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <memory>
#include <vector>

#include "gale/loop/loop.hpp"
#include "gale/pool/pool.hpp"
#include "support/log_capture.hpp"

using namespace std::chrono_literals;
using asio::ip::tcp;
using gale::Clock;
using gale::Error;
using gale::ErrorKind;

// PoolOptions initialized with only its first, then only its last member: a member added without a
// default initializer fails this build (-Wmissing-field-initializers under -Werror), as the public
// option structs do in tests/doctest/option_fields.cpp. PoolOptions is internal, so it is checked
// here.
namespace gale::pool_option_fields {
PoolOptions pool_first{.name = {}};
PoolOptions pool_last{.maintenance_interval = {}};
}  // namespace gale::pool_option_fields
using gale::Future;
using gale::IOLoop;

namespace {

// Accepts and keeps connections while up; refuses them while down.
class Listener {
 public:
  explicit Listener(IOLoop& loop) : loop_(loop), acceptor_(loop.context()) {
    up();
    port_ = acceptor_.local_endpoint().port();
  }

  void up() {
    tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port_);
    acceptor_.open(at.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen();
    accept();
  }
  void down() {
    acceptor_.close();
    accepted_.clear();
  }
  unsigned short port() const { return port_; }
  int accepted() const { return accepts_; }

 private:
  void accept() {
    acceptor_.async_accept([this](asio::error_code ec, tcp::socket s) {
      if (ec) return;
      ++accepts_;
      accepted_.push_back(std::make_unique<tcp::socket>(std::move(s)));
      accept();
    });
  }

  IOLoop& loop_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  int accepts_ = 0;
  std::vector<std::unique_ptr<tcp::socket>> accepted_;
};

struct Conn {
  explicit Conn(asio::io_context& io, int n) : socket(io), id(n) {}
  tcp::socket socket;
  int id;
  bool broken = false;
};

struct Counters {
  int connects_started = 0;
  int connecting_now = 0;
  int max_connecting_seen = 0;
  int checks = 0;
  bool fail_checks = false;
  Clock::duration check_takes{};
  int checks_finished = 0;
  bool fatal_connects = false;
};

Future<std::unique_ptr<Conn>> connect_to(IOLoop& loop, unsigned short port, Counters& c) {
  static int next_id = 0;
  ++c.connects_started;
  c.max_connecting_seen = std::max(c.max_connecting_seen, ++c.connecting_now);
  auto conn = std::make_unique<Conn>(loop.context(), ++next_id);
  gale::Promise<void> done;
  auto future = done.get_future();
  conn->socket.async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
      [p = std::move(done)](asio::error_code ec) mutable {
        if (ec) {
          p.set_error(Error(ErrorKind::unavailable, "connect failed: " + ec.message()));
        } else {
          p.set_value();
        }
      });
  try {
    co_await future;
  } catch (...) {
    --c.connecting_now;
    throw;
  }
  --c.connecting_now;
  co_return conn;
}

gale::PoolOptions small_options(std::size_t max_size) {
  gale::PoolOptions o;
  o.name = "test";
  o.max_size = max_size;
  o.acquire_timeout = 2s;
  o.backoff_initial = 20ms;
  o.backoff_max = 100ms;
  o.maintenance_interval = 10ms;
  return o;
}

using TestPool = gale::Pool<Conn>;

TestPool make_pool(IOLoop& loop, Listener& l, Counters& c, gale::PoolOptions o) {
  TestPool::Hooks hooks;
  hooks.connect = [&loop, &l, &c]() -> Future<std::unique_ptr<Conn>> {
    if (c.fatal_connects) {
      return gale::make_exceptional_future<std::unique_ptr<Conn>>(
          Error(ErrorKind::unauthorized, "password authentication failed"));
    }
    return connect_to(loop, l.port(), c);
  };
  hooks.is_usable = [](const Conn& conn) { return !conn.broken; };
  hooks.check = [&c](Conn& conn) -> Future<void> {
    ++c.checks;
    co_await gale::moment();
    if (c.check_takes > Clock::duration::zero()) co_await gale::sleep(c.check_takes);
    conn.broken = conn.broken || conn.id < 0;  // touches the connection after the wait
    ++c.checks_finished;
    if (c.fail_checks) throw Error(ErrorKind::unavailable, "ping failed");
  };
  hooks.is_fatal = [&c](const std::exception_ptr&) { return c.fatal_connects; };
  return TestPool(std::move(o), std::move(hooks));
}

// Runs the loop until cond() holds, failing the test after `limit`.
template <class Cond>
void run_until(IOLoop& loop, Cond cond, Clock::duration limit = 5s) {
  loop.run_sync(
      [&]() -> Future<void> {
        while (!cond()) co_await gale::sleep(1ms);
      },
      limit);
}

}  // namespace

TEST_CASE("a released connection is reused", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto pool = make_pool(loop, server, c, small_options(4));
  int first_id = loop.run_sync([&]() -> Future<int> {
    auto lease = co_await pool.acquire();
    co_return lease->id;
  });
  int second_id = loop.run_sync([&]() -> Future<int> {
    auto lease = co_await pool.acquire();
    co_return lease->id;
  });
  CHECK(first_id == second_id);
  auto opened = loop.run_sync([&]() -> Future<Clock::time_point> {
    auto lease = co_await pool.acquire();
    co_return lease.created();
  });
  CHECK(opened <= Clock::now());
  CHECK(opened > Clock::now() - 10s);
  auto s = pool.stats();
  CHECK(s.size == 1);
  CHECK(s.idle == 1);
  CHECK(s.in_use == 0);
  CHECK(s.connects == 1);
  CHECK(s.acquires == 3);
  CHECK(s.acquire_wait.count() == 3);
}

TEST_CASE("waiters are served in FIFO order within max_size", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto pool = make_pool(loop, server, c, small_options(2));
  std::vector<int> order;
  auto user = [&](int n, Clock::duration hold) -> Future<void> {
    auto lease = co_await pool.acquire();
    order.push_back(n);
    co_await gale::sleep(hold);
  };
  std::vector<Future<void>> all;
  for (int i = 0; i < 6; ++i) all.push_back(user(i, 5ms));
  loop.run_sync([&] { return gale::gather(std::move(all)); }, 5s);
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(pool.stats().size <= 2);
  CHECK(server.accepted() == 2);
}

TEST_CASE("a wait past the deadline fails with unavailable and says why", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto pool = make_pool(loop, server, c, small_options(2));
  auto held = loop.run_sync([&]() -> Future<std::vector<TestPool::Lease>> {
    std::vector<TestPool::Lease> leases;
    leases.push_back(co_await pool.acquire());
    leases.push_back(co_await pool.acquire());
    co_return leases;
  });
  auto other_waiter = pool.acquire(Clock::now() + 5s);
  auto start = Clock::now();
  try {
    loop.run_sync([&] { return pool.acquire(Clock::now() + 50ms); });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
    // Two waiting: the other waiter and this one, which gives up.
    CHECK_THAT(e.what(), Catch::Matches("no test connection free after [0-9]+ ms: 2 of 2 in use, "
                                        "0 opening, 2 waiting"));
  }
  CHECK(Clock::now() - start >= 50ms);
  CHECK(pool.stats().acquire_timeouts == 1);
  held.pop_back();  // the remaining waiter gets this one
  auto lease = loop.run_sync([&] { return other_waiter; });
  CHECK(lease);
}

TEST_CASE("the wait queue is bounded", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto o = small_options(1);
  o.max_waiters = 2;
  auto pool = make_pool(loop, server, c, o);
  auto held = loop.run_sync([&] { return pool.acquire(); });
  auto w1 = pool.acquire();
  auto w2 = pool.acquire();
  auto refused = pool.acquire();
  REQUIRE(refused.done());
  CHECK_THROWS_WITH(refused.result(), Catch::Contains("the wait queue is full (2 waiting"));
  CHECK(pool.stats().waiting == 2);
}

TEST_CASE("with the server down, waiters fail at their deadline and connects back off", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  server.down();
  Counters c;
  auto pool = make_pool(loop, server, c, small_options(4));
  auto start = Clock::now();
  try {
    loop.run_sync([&] { return pool.acquire(Clock::now() + 300ms); });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
    CHECK_THAT(e.what(), Catch::Contains("none open; last connect error"));
    CHECK_THAT(e.what(), Catch::Contains("Connection refused"));
  }
  CHECK(Clock::now() - start < 2s);
  auto s = pool.stats();
  CHECK(s.connect_failures >= 2);
  // 20 ms doubling to 100 ms: a handful of tries in 300 ms, not a tight loop.
  CHECK(c.connects_started <= 10);
}

TEST_CASE("the pool refills by itself once the server is back", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  server.down();
  Counters c;
  auto o = small_options(4);
  o.min_size = 2;
  auto pool = make_pool(loop, server, c, o);
  run_until(loop, [&] { return pool.stats().connect_failures >= 2; });
  CHECK(pool.stats().size == 0);
  server.up();
  run_until(loop, [&] { return pool.stats().idle == 2; });
  CHECK(pool.stats().size == 2);
  auto lease = loop.run_sync([&] { return pool.acquire(); });
  CHECK(lease);
}

TEST_CASE("broken connections are discarded on release", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto pool = make_pool(loop, server, c, small_options(2));
  int first = loop.run_sync([&]() -> Future<int> {
    auto lease = co_await pool.acquire();
    lease->broken = true;
    co_return lease->id;
  });
  CHECK(pool.stats().size == 0);
  CHECK(pool.stats().discarded == 1);
  int second = loop.run_sync([&]() -> Future<int> { co_return (co_await pool.acquire())->id; });
  CHECK(second != first);
  int third = loop.run_sync([&]() -> Future<int> {
    auto lease = co_await pool.acquire();
    lease.discard();  // the caller decides, e.g. after a protocol error
    co_return lease->id;
  });
  CHECK(third == second);
  CHECK(pool.stats().size == 0);
}

TEST_CASE("idle connections beyond min_size are reaped, min_size is kept", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto o = small_options(4);
  o.min_size = 1;
  o.max_idle_time = 30ms;
  auto pool = make_pool(loop, server, c, o);
  loop.run_sync([&]() -> Future<void> {
    auto a = co_await pool.acquire();
    auto b = co_await pool.acquire();
    auto d = co_await pool.acquire();
  });
  CHECK(pool.stats().idle == 3);
  run_until(loop, [&] { return pool.stats().idle == 1; });
  loop.run_sync([] { return gale::sleep(60ms); });
  CHECK(pool.stats().idle == 1);  // min_size stays
}

TEST_CASE("connections are retired after max_lifetime", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto o = small_options(2);
  o.max_lifetime = 20ms;
  auto pool = make_pool(loop, server, c, o);
  int first = loop.run_sync([&]() -> Future<int> { co_return (co_await pool.acquire())->id; });
  loop.run_sync([] { return gale::sleep(40ms); });
  int second = loop.run_sync([&]() -> Future<int> { co_return (co_await pool.acquire())->id; });
  CHECK(second != first);
}

TEST_CASE("a connection idle past the threshold is health-checked first", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto o = small_options(2);
  o.check_after_idle = 10ms;
  auto pool = make_pool(loop, server, c, o);
  int first = loop.run_sync([&]() -> Future<int> { co_return (co_await pool.acquire())->id; });
  CHECK(c.checks == 0);  // fresh connection: no check
  loop.run_sync([] { return gale::sleep(20ms); });
  int again = loop.run_sync([&]() -> Future<int> { co_return (co_await pool.acquire())->id; });
  CHECK(c.checks == 1);
  CHECK(again == first);
  loop.run_sync([] { return gale::sleep(20ms); });
  c.fail_checks = true;
  int replaced = loop.run_sync([&]() -> Future<int> { co_return (co_await pool.acquire())->id; });
  CHECK(c.checks == 2);
  CHECK(replaced != first);
  CHECK(pool.stats().discarded == 1);
}

TEST_CASE("clear() retires idle connections now and leased ones on release", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto pool = make_pool(loop, server, c, small_options(3));
  auto leases = loop.run_sync([&]() -> Future<std::vector<TestPool::Lease>> {
    std::vector<TestPool::Lease> l;
    l.push_back(co_await pool.acquire());
    l.push_back(co_await pool.acquire());
    co_return l;
  });
  leases.pop_back();
  CHECK(pool.stats().idle == 1);
  pool.clear();
  CHECK(pool.stats().idle == 0);
  leases.clear();
  CHECK(pool.stats().size == 0);
  CHECK(pool.stats().discarded == 2);
}

TEST_CASE("no more than max_connecting connects run at once", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto o = small_options(10);
  o.max_connecting = 2;
  auto pool = make_pool(loop, server, c, o);
  auto user = [&]() -> Future<void> {
    auto lease = co_await pool.acquire();
    co_await gale::sleep(10ms);
  };
  std::vector<Future<void>> all;
  for (int i = 0; i < 10; ++i) all.push_back(user());
  loop.run_sync([&] { return gale::gather(std::move(all)); }, 5s);
  CHECK(c.max_connecting_seen <= 2);
  CHECK(c.connects_started >= 2);
}

TEST_CASE("close() fails the waiters and later acquires", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto pool = make_pool(loop, server, c, small_options(1));
  auto held = loop.run_sync([&] { return pool.acquire(); });
  auto waiting = pool.acquire();
  pool.close();
  REQUIRE(waiting.done());
  CHECK_THROWS_WITH(waiting.result(), "the test pool is closed");
  auto after = pool.acquire();
  REQUIRE(after.done());
  CHECK(gale::kind_of(after.exception()) == ErrorKind::unavailable);
}

TEST_CASE("a lease may outlive its pool", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  TestPool::Lease lease;
  {
    auto pool = make_pool(loop, server, c, small_options(1));
    lease = loop.run_sync([&] { return pool.acquire(); });
  }
  CHECK(lease->id > 0);
  lease.release();
  CHECK_FALSE(lease);
}

TEST_CASE("pool options are validated", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto o = small_options(2);
  o.min_size = 3;
  CHECK_THROWS_WITH(make_pool(loop, server, c, o), "pool min_size must not exceed max_size");
  CHECK_THROWS_AS(make_pool(loop, server, c, small_options(0)), Error);
}

TEST_CASE("a health check that outlives the deadline keeps its connection alive", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  auto o = small_options(2);
  o.check_after_idle = 1ms;
  auto pool = make_pool(loop, server, c, o);
  loop.run_sync([&]() -> Future<void> { (void)co_await pool.acquire(); });
  loop.run_sync([] { return gale::sleep(5ms); });
  c.check_takes = 100ms;
  try {
    loop.run_sync([&] { return pool.acquire(Clock::now() + 30ms); });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
  }
  CHECK(c.checks_finished == 0);  // still running, on a connection the pool gave up on
  run_until(loop, [&] { return c.checks_finished == 1; });  // and it may still use it (ASan)
  CHECK(pool.stats().discarded == 1);
  CHECK(pool.stats().in_use == 0);
}

TEST_CASE("a connect error that retrying cannot fix fails the waiters at once", "[pool]") {
  IOLoop loop;
  Listener server(loop);
  Counters c;
  c.fatal_connects = true;
  auto pool = make_pool(loop, server, c, small_options(2));
  auto start = Clock::now();
  try {
    loop.run_sync([&] { return pool.acquire(Clock::now() + 5s); });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::unauthorized);
    CHECK_THAT(e.what(), Catch::Contains("password authentication failed"));
  }
  CHECK(Clock::now() - start < 2s);  // not at the 5 s deadline
  c.fatal_connects = false;          // fixed (new credentials): the pool recovers after its backoff
  auto lease = loop.run_sync([&] { return pool.acquire(Clock::now() + 2s); });
  CHECK(lease);
}
