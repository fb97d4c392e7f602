#include <libpq-fe.h>
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "support/env.hpp"

namespace {
using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;
}  // namespace

TEST_CASE("the local PostgreSQL accepts a connection and answers queries", "[pg][smoke]") {
  Conn conn(PQconnectdb(gale::testing::pg_uri().c_str()), &PQfinish);
  REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
  CHECK(PQserverVersion(conn.get()) >= 150000);
  Result r(PQexec(conn.get(), "SELECT 6 * 7, current_setting('listen_addresses')"), &PQclear);
  REQUIRE(PQresultStatus(r.get()) == PGRES_TUPLES_OK);
  CHECK(std::string(PQgetvalue(r.get(), 0, 0)) == "42");
  CHECK(std::string(PQgetvalue(r.get(), 0, 1)) == "127.0.0.1");  // loopback only
}

TEST_CASE("the local PostgreSQL refuses a wrong password", "[pg][smoke]") {
  std::string uri = gale::testing::pg_uri();
  auto at = uri.find('@');
  auto colon = uri.rfind(':', at);
  REQUIRE(at != std::string::npos);
  std::string wrong = uri.substr(0, colon + 1) + "not-the-password" + uri.substr(at);
  Conn conn(PQconnectdb(wrong.c_str()), &PQfinish);
  CHECK(PQstatus(conn.get()) == CONNECTION_BAD);
  CHECK_THAT(PQerrorMessage(conn.get()), Catch::Contains("password authentication failed"));
}
