// Faults with the real server: the cluster stopped while queries run, LISTEN across a restart, and
// a streaming-replication standby for target_session_attrs and TLS. These tests stop and start the
// shared PostgreSQL, so they run alone (RUN_SERIAL); the primary is started again whatever happens.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "support.hpp"
#include "support/log_capture.hpp"

using namespace gale::testing;
using gale::Clock;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;

namespace {

std::string script(const std::string& args) {
  return std::string(GALE_SOURCE_DIR) + "/scripts/pg-standby " + args + " > /dev/null";
}

// Runs scripts/pg-standby off the loop (pg_ctl takes a while): the loop keeps serving meanwhile.
Future<int> control(const std::string& args) {
  return IOLoop::current().run_in_executor(
      [cmd = script(args)] { return std::system(cmd.c_str()); });
}

struct PrimaryComesBack {
  ~PrimaryComesBack() {
    if (std::system(script("primary-start").c_str()) != 0) std::abort();
  }
};

struct Standby {
  Standby() { REQUIRE(std::system(script("start").c_str()) == 0); }
  ~Standby() { (void)std::system(script("stop").c_str()); }
};

std::string standby_env(const char* name) {
  std::string cmd = std::string(GALE_SOURCE_DIR) + "/scripts/pg-standby env";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char line[512];
  std::string value;
  while (fgets(line, sizeof line, p) != nullptr) {
    std::string l = line;
    std::string prefix = std::string("export ") + name + "='";
    if (l.rfind(prefix, 0) == 0)
      value = l.substr(prefix.size(), l.find('\'', prefix.size()) - prefix.size());
  }
  pclose(p);
  REQUIRE_FALSE(value.empty());
  return value;
}

// "postgresql://gale:gale@127.0.0.1:P/gale" -> its parts.
struct UriParts {
  std::string credentials, port, db;
};
UriParts parts() {
  std::string uri = pg_uri();
  auto at = uri.find('@');
  auto slash = uri.find('/', at);
  auto colon = uri.rfind(':', slash);
  return {uri.substr(0, at), uri.substr(colon + 1, slash - colon - 1), uri.substr(slash)};
}

std::string multi_host(const std::string& standby_port, const std::string& query) {
  auto p = parts();
  return p.credentials + "@127.0.0.1:" + p.port + ",127.0.0.1:" + standby_port + p.db + "?" + query;
}

template <class Cond>
bool eventually(IOLoop& loop, Cond cond, Clock::duration limit) {
  return run(
      loop,
      [&]() -> Future<bool> {
        auto until = Clock::now() + limit;
        while (Clock::now() < until) {
          if (co_await cond()) co_return true;
          co_await gale::sleep(200ms);
        }
        co_return false;
      },
      limit + 10s);
}

Future<bool> answers(Client& pg) {
  try {
    co_return co_await pg.query_value<int>("SELECT 1") == 1;
  } catch (const gale::Error&) {
    co_return false;
  }
}

}  // namespace

TEST_CASE("the cluster stopped while queries run: unavailable within the deadline, then recovery",
          "[pg][fault]") {
  IOLoop loop;
  PrimaryComesBack guard;
  Client pg(pg_uri_with("pool_max_size=4&query_timeout_ms=3000&pool_acquire_timeout_ms=1500"));
  bool stop = false;
  int ok = 0, unavailable = 0, other = 0;
  Clock::duration slowest{};
  std::string other_error;
  auto worker = [&](int id) -> Future<void> {
    while (!stop) {
      auto t0 = Clock::now();
      try {
        (void)co_await pg.query_value<int>("SELECT $1::int FROM pg_sleep(0.02)", id);
        ++ok;
      } catch (const gale::Error& e) {
        if (e.kind() == ErrorKind::unavailable) {
          ++unavailable;
        } else {
          ++other;
          other_error = e.what();
        }
      }
      slowest = std::max(slowest, Clock::now() - t0);
      co_await gale::sleep(5ms);
    }
  };
  run(
      loop,
      [&]() -> Future<void> {
        std::vector<Future<void>> workers;
        for (int i = 0; i < 20; ++i) workers.push_back(worker(i));
        co_await gale::sleep(300ms);
        int before = ok;
        CHECK(before > 0);
        REQUIRE(co_await control("primary-stop") == 0);
        co_await gale::sleep(2s);  // down for a while: every query fails, none hangs
        REQUIRE(co_await control("primary-start") == 0);
        stop = true;
        co_await gale::gather(std::move(workers));
      },
      60s);
  CHECK(unavailable > 0);
  CHECK(other == 0);
  INFO(other_error);
  CHECK(slowest < 3500ms);  // within the query and acquire deadlines
  // The same client works again once the server is back, without a restart.
  CHECK(eventually(
      loop, [&] { return answers(pg); }, 15s));
  auto values = run(loop, [&]() -> Future<std::vector<int>> {
    std::vector<Future<int>> all;
    for (int i = 0; i < 100; ++i) all.push_back(pg.query_value<int>("SELECT $1::int", i));
    co_return co_await gale::gather(std::move(all));
  });
  CHECK(values.size() == 100);
  CHECK(values[99] == 99);
}

TEST_CASE("LISTEN survives a server restart and reports the gap", "[pg][fault]") {
  IOLoop loop;
  PrimaryComesBack guard;
  Client pg(pg_uri());
  auto channel = unique_name("restart");
  run(
      loop,
      [&]() -> Future<void> {
        auto listener = co_await pg.listen(channel);
        co_await pg.notify(channel, "before");
        auto before = co_await listener.next(5s);
        CHECK(before.payload == "before");
        REQUIRE(co_await control("primary-stop") == 0);
        REQUIRE(co_await control("primary-start") == 0);
        auto marker = co_await listener.next(20s);
        CHECK(marker.gap);
        CHECK(listener.reconnects() == 1);
        // Notifications flow again on the new connection.
        bool sent = false;
        for (int i = 0; i < 50 && !sent; ++i) {
          try {
            co_await pg.notify(channel, "after");
            sent = true;
          } catch (const gale::Error&) {
          }
          if (!sent) co_await gale::sleep(200ms);  // the pool reconnects
        }
        REQUIRE(sent);
        auto after = co_await listener.next(5s);
        CHECK(after.payload == "after");
        CHECK_FALSE(after.gap);
      },
      60s);
}

TEST_CASE(
    "target_session_attrs picks the primary or the standby and recovers from a primary restart",
    "[pg][fault]") {
  IOLoop loop;
  Standby standby;
  PrimaryComesBack guard;
  auto sb_port = standby_env("GALE_TEST_PG_STANDBY_PORT");
  auto in_recovery = [&](const std::string& attrs) {
    Client pg(multi_host(sb_port, "target_session_attrs=" + attrs));
    return run(loop, [&]() -> Future<bool> {
      co_return co_await pg.query_value<bool>("SELECT pg_is_in_recovery()");
    });
  };
  CHECK_FALSE(in_recovery("read-write"));
  CHECK_FALSE(in_recovery("primary"));
  CHECK(in_recovery("read-only"));
  CHECK(in_recovery("standby"));
  CHECK(in_recovery("prefer-standby"));
  CHECK_FALSE(in_recovery("any"));  // the first host answers

  // A read-only query routed to the standby sees what the primary wrote.
  Client primary(pg_uri());
  Client reader(multi_host(sb_port, "target_session_attrs=read-only"));
  auto table = unique_name("replicated");
  run(loop, [&]() -> Future<void> {
    co_await primary.execute("CREATE TABLE " + table + " (id int)");
    co_await primary.execute("INSERT INTO " + table + " VALUES (42)");
  });
  CHECK(eventually(
      loop,
      [&]() -> Future<bool> {
        try {
          co_return co_await reader.query_value<std::optional<int>>("SELECT id FROM " + table) ==
              42;
        } catch (const gale::Error&) {
          co_return false;  // not replayed yet
        }
      },
      10s));
  bool refused = false;
  try {
    run(loop,
        [&]() -> Future<void> { co_await reader.execute("INSERT INTO " + table + " VALUES (1)"); });
  } catch (const gale::pg::PgError& e) {
    refused = e.sqlstate() == "25006";
  }
  CHECK(refused);

  // The writer (read-write) loses its primary for a while and comes back with it.
  Client writer(multi_host(
      sb_port,
      "target_session_attrs=read-write&pool_acquire_timeout_ms=1000&query_timeout_ms=2000"));
  CHECK(eventually(
      loop, [&] { return answers(writer); }, 5s));
  REQUIRE(std::system(script("primary-stop").c_str()) == 0);
  bool failed_fast = run(loop, [&]() -> Future<bool> {
    auto t0 = Clock::now();
    try {
      co_await writer.query("SELECT 1");
      co_return false;
    } catch (const gale::Error& e) {
      co_return e.kind() == ErrorKind::unavailable&& Clock::now() - t0 < 3s;
    }
  });
  CHECK(failed_fast);  // the standby is no substitute for a read-write session
  REQUIRE(std::system(script("primary-start").c_str()) == 0);
  CHECK(eventually(
      loop, [&] { return answers(writer); }, 15s));
  CHECK_FALSE(run(loop, [&]() -> Future<bool> {
    co_return co_await writer.query_value<bool>("SELECT pg_is_in_recovery()");
  }));
  run(loop, [&]() -> Future<void> { co_await primary.execute("DROP TABLE " + table); });
}

TEST_CASE("TLS through sslmode: require, verify-full with a host name, and a wrong CA refused",
          "[pg][fault]") {
  IOLoop loop;
  Standby standby;
  auto sb_port = standby_env("GALE_TEST_PG_STANDBY_PORT");
  auto ca = standby_env("GALE_TEST_PG_STANDBY_CA");
  auto p = parts();
  auto ssl_in_use = [&](const std::string& host, const std::string& query) {
    Client pg(p.credentials + "@" + host + ":" + sb_port + p.db + "?" + query);
    return run(loop, [&]() -> Future<bool> {
      co_return co_await pg.query_value<bool>(
          "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    });
  };
  auto refused = [&](const std::string& host, const std::string& query) {
    try {
      ssl_in_use(host, query + "&pool_acquire_timeout_ms=2000");
    } catch (const gale::Error& e) {
      CHECK(e.kind() == ErrorKind::unavailable);
      CHECK_THAT(e.what(), Catch::Contains("certificate"));
      return true;
    }
    return false;
  };
  // The standby's certificate is self-signed. sslmode=require verifies it, as verify-full would:
  // against the system's CAs it is refused; with its CA named it is accepted.
  CHECK(refused("127.0.0.1", "sslmode=require"));
  CHECK(ssl_in_use("127.0.0.1", "sslmode=require&sslrootcert=" + ca));
  // libpq's own require (encrypt, check nothing) only when asked for by name.
  CHECK(ssl_in_use("127.0.0.1", "sslmode=require&tls_verify=off"));
  // verify-full checks the certificate against the host *name*, which gale resolves itself.
  CHECK(ssl_in_use("localhost", "sslmode=verify-full&sslrootcert=" + ca));
  CHECK(ssl_in_use("127.0.0.1", "sslmode=verify-full&sslrootcert=" + ca));
  CHECK(refused("localhost", "sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt"));
  // No sslmode (libpq's prefer): TLS with a certificate that does not verify is not used. The
  // standby also takes connections without TLS, so the session goes on in the clear instead of
  // over an unverified channel; with its CA named, prefer gets TLS.
  CHECK_FALSE(ssl_in_use("127.0.0.1", "application_name=default_mode"));
  CHECK(ssl_in_use("127.0.0.1", "sslrootcert=" + ca));
}
