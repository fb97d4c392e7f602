// Connection strings: URIs, key=value strings, gale's settings in them, host resolution.
#include <catch2/catch.hpp>

#include <openssl/x509.h>

#include "gale/pg/conninfo.hpp"
#include "support.hpp"
#include "support/log_capture.hpp"

using namespace gale::testing;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;
using gale::pg::ClientOptions;
using gale::pg::detail::parse_conninfo;

TEST_CASE("gale's settings are taken out of a URI before libpq sees it", "[pg]") {
  ClientOptions o;
  auto c = parse_conninfo(
      "postgresql://u:pw@db.example:6543/app?sslmode=disable&pool_max_size=16&pool_min_size=2&"
      "pool_acquire_timeout_ms=1500&statement_cache_size=7&query_timeout_ms=250&pipeline=off&"
      "pipeline_depth=9&application_name=x",
      o);
  CHECK(o.pool_max_size == 16);
  CHECK(o.pool_min_size == 2);
  CHECK(o.acquire_timeout == std::chrono::milliseconds(1500));
  CHECK(o.statement_cache_size == 7);
  CHECK(o.query_timeout == std::chrono::milliseconds(250));
  CHECK_FALSE(o.pipeline);
  CHECK(o.pipeline_depth == 9);
  REQUIRE(c.get("sslmode"));
  CHECK(*c.get("sslmode") == "disable");
  CHECK(*c.get("application_name") == "x");
  CHECK(*c.get("host") == "db.example");
  CHECK(*c.get("port") == "6543");
  CHECK(c.address == "u@db.example:6543/app");
  CHECK(c.password == "pw");
}

TEST_CASE("TLS that is used is verified: require means verify-full, system CAs by default",
          "[pg]") {
  auto params_of = [](const std::string& conninfo) {
    ClientOptions o;
    auto c = parse_conninfo(conninfo, o);
    auto get = [&](const char* key) {
      const std::string* v = c.get(key);
      return v != nullptr ? *v : std::string("(unset)");
    };
    return std::pair(get("sslmode"), get("sslrootcert"));
  };
  const std::string system_cas = X509_get_default_cert_file();
  CHECK(params_of("postgresql://h/db?sslmode=require") ==
        std::pair(std::string("verify-full"), system_cas));
  CHECK(params_of("postgresql://h/db") == std::pair(std::string("(unset)"), system_cas));  // prefer
  CHECK(params_of("postgresql://h/db?sslmode=verify-ca&sslrootcert=/ca.pem") ==
        std::pair(std::string("verify-ca"), std::string("/ca.pem")));
  CHECK(params_of("host=h sslmode=require sslrootcert=/ca.pem") ==
        std::pair(std::string("verify-full"), std::string("/ca.pem")));
  CHECK(params_of("postgresql://h/db?sslmode=disable") ==
        std::pair(std::string("disable"), std::string("(unset)")));
  // libpq's own meaning, by name only.
  CHECK(params_of("postgresql://h/db?sslmode=require&tls_verify=off") ==
        std::pair(std::string("require"), std::string("(unset)")));
  CHECK(params_of("host=h sslmode=require tls_verify=off") ==
        std::pair(std::string("require"), std::string("(unset)")));
}

TEST_CASE("key=value strings work with quoting and gale's settings", "[pg]") {
  ClientOptions o;
  auto c = parse_conninfo(
      "host=127.0.0.1 port=5433 user=me password='it\\'s \\\\ q' dbname = app pool_max_size=3 "
      "options='-c search_path=public'",
      o);
  CHECK(o.pool_max_size == 3);
  CHECK(*c.get("dbname") == "app");
  CHECK(c.password == "it's \\ q");
  CHECK(c.get("options")->find("search_path=public") != std::string::npos);
}

TEST_CASE("a malformed string is invalid_argument and hides the password", "[pg]") {
  ClientOptions o;
  try {
    parse_conninfo("postgresql://u:Hunter2Pw@host/db?nosuchparam=1", o);
    FAIL("parsed");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_argument);
    CHECK_THAT(e.what(), !Catch::Contains("Hunter2Pw"));
  }
  CHECK_THROWS_AS(parse_conninfo("postgresql://h/db?pool_max_size=lots", o), gale::Error);
  CHECK_THROWS_AS(parse_conninfo("host=h port", o), gale::Error);
}

// Found by a new user: libpq accepts any text as a port and fails at connect time, so the pool
// retried a typo as an outage until a request's 503.
TEST_CASE("a port that is not a number is invalid_argument when the string is read", "[pg]") {
  ClientOptions o;
  for (const char* s : {"postgresql://u:pw@127.0.0.1:notaport/db", "host=h port=99999",
                        "host=a,b port=5432,x1", "host=h port=-1"}) {
    CAPTURE(s);
    try {
      parse_conninfo(s, o);
      FAIL("parsed");
    } catch (const gale::Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_argument);
      CHECK_THAT(e.what(), Catch::Contains("invalid port"));
    }
  }
  CHECK_NOTHROW(parse_conninfo("host=a,b port=5432,", o));  // empty: the default port
  // The port's text is not shown: it may repeat the password (found by fuzz/pg_conninfo).
  try {
    parse_conninfo("host=h password=hunter2x port=hunter2x", o);
    FAIL("parsed");
  } catch (const gale::Error& e) {
    CHECK_THAT(e.what(), !Catch::Contains("hunter2x"));
  }
  CHECK_NOTHROW(parse_conninfo("postgresql://h:65535/db", o));
}

// A setting's bad value is named by its key, not quoted: the value may repeat the password.
TEST_CASE("a bad setting value is invalid_argument and is not quoted", "[pg]") {
  ClientOptions o;
  for (const char* s : {"host=h password=hunter2x connect_timeout=hunter2x",
                        "postgresql://u:hunter2x@h/db?pool_max_size=hunter2x",
                        "host=h password=hunter2x pipeline=hunter2x"}) {
    CAPTURE(s);
    try {
      parse_conninfo(s, o);
      FAIL("parsed");
    } catch (const gale::Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_argument);
      CHECK_THAT(e.what(), Catch::Contains(" must be "));
      CHECK_THAT(e.what(), !Catch::Contains("hunter2x"));
    }
  }
}

// Found by fuzz/pg_conninfo_fuzzer.cpp: libpq quotes the token it cannot parse, and a URI with a
// misspelt scheme is parsed as key=value text, so its whole text (password included) came back in
// the error.
TEST_CASE("parse errors hide the password whatever libpq quotes", "[pg]") {
  ClientOptions o;
  auto message_of = [&](const std::string& conninfo) {
    try {
      parse_conninfo(conninfo, o);
    } catch (const gale::Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_argument);
      return std::string(e.what());
    }
    FAIL("parsed: " << conninfo);
    return std::string();
  };
  for (const char* conninfo :
       {"postgress://u:Hunter2Pw@host/db", "jdbc:postgresql://u:Hunter2Pw@h/d",
        "host=h password=two Hunter2Pw", "password='Hunter2Pw", "postgresql://u:Hunter2Pw@[::1/db",
        "postgresql://u:Hunter2Pw@h/d?x"}) {
    auto message = message_of(conninfo);
    CHECK_THAT(message, !Catch::Contains("Hunter2Pw"));
    CHECK_THAT(message, Catch::StartsWith("PostgreSQL connection string: "));
  }
  // A password holding a '"' in a string libpq quotes back (bad percent-encoding here): the
  // quote inside the token looked like the end of a one-character quote, and the rest showed.
  auto quoted = message_of("postgres://u:p\"Hunter2Pw%zz@h/db");
  CHECK_THAT(quoted, !Catch::Contains("Hunter2Pw"));
  CHECK_THAT(quoted, Catch::Contains("\"***\""));
  // Found by the same fuzzer: libpq reads a URI's userinfo up to its first '@', even past a
  // '?', so an unencoded '@' in a password of the query made "?...&password=Hunter2" the user
  // name, shown in the address that logs use.
  auto c = parse_conninfo("postgresql://?host=h&password=Hunter2@Pw/db", o);
  CHECK_THAT(c.address, !Catch::Contains("Hunter2"));
  CHECK_THAT(c.address, Catch::Contains("password=***"));
  auto quoted_host = parse_conninfo("host='h password=\\'Hunter2Pw\\'' dbname=d", o);
  CHECK_THAT(quoted_host.address, !Catch::Contains("Hunter2Pw"));
  // Without a password, libpq's quote stays: it says what is wrong.
  CHECK_THAT(message_of("host=h nosuchoption=1"), Catch::Contains("\"nosuchoption\""));
}

TEST_CASE("a host name is resolved before libpq connects and TLS negotiation falls back", "[pg]") {
  IOLoop loop;
  std::string uri = pg_uri();
  auto at = uri.find('@');
  auto slash = uri.find('/', at);
  auto port = uri.substr(uri.rfind(':', slash) + 1, slash - uri.rfind(':', slash) - 1);
  std::string named = uri.substr(0, at + 1) + "localhost:" + port + uri.substr(slash) +
                      "?sslmode=prefer&connect_timeout=5";
  Client pg(named);
  auto v = run(loop, [&]() -> Future<std::string> {
    co_return co_await pg.query_value<std::string>("SELECT inet_server_addr()::text");
  });
  CHECK((v == "127.0.0.1/32" || v == "127.0.0.1"));
  // The resolved parameters carry hostaddr and keep host (for TLS verification).
  ClientOptions o;
  auto config = parse_conninfo(named, o);
  auto params = run(loop, [&] { return gale::pg::detail::resolve_hosts(config); });
  std::string host, hostaddr;
  for (auto& [k, value] : params) {
    if (k == "host") host = value;
    if (k == "hostaddr") hostaddr = value;
  }
  CHECK(host.find("localhost") == 0);
  CHECK(hostaddr.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("an unknown host fails with unavailable", "[pg]") {
  IOLoop loop;
  Client pg("postgresql://gale:gale@no-such-host.invalid:5432/gale?pool_acquire_timeout_ms=1500");
  try {
    run(loop, [&]() -> Future<void> { co_await pg.query("SELECT 1"); });
    FAIL("connected to nowhere");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
    CHECK_THAT(e.what(), Catch::Contains("no-such-host.invalid"));
  }
}

TEST_CASE("sslmode=require against a server without TLS is a clear unavailable", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("sslmode=require&pool_acquire_timeout_ms=1500"));
  try {
    run(loop, [&]() -> Future<void> { co_await pg.query("SELECT 1"); });
    FAIL("connected without TLS");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
    CHECK_THAT(e.what(), Catch::Contains("SSL"));
  }
}
