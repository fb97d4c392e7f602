#include <catch2/catch.hpp>

#include <memory>

#include "gale/pool/client_registry.hpp"
#include "support/log_capture.hpp"

TEST_CASE("a second client for the same server logs why that is a mistake", "[pool][registry]") {
  gale::testing::LogCapture logs;
  auto first = std::make_unique<gale::ClientRegistration>("PostgreSQL", "gale@127.0.0.1:5432/gale");
  CHECK_FALSE(logs.contains("clients for"));
  gale::ClientRegistration other_db("PostgreSQL", "gale@127.0.0.1:5432/other");
  CHECK_FALSE(logs.contains("clients for"));
  {
    gale::ClientRegistration second("PostgreSQL", "gale@127.0.0.1:5432/gale");
    std::string line =
        logs.find("2 clients for PostgreSQL gale@127.0.0.1:5432/gale", gale::log::Level::warning);
    REQUIRE_FALSE(line.empty());
    CHECK_THAT(line, Catch::Contains("one client per process"));
    CHECK(gale::ClientRegistration::live("PostgreSQL", "gale@127.0.0.1:5432/gale") == 2);
  }
  CHECK(gale::ClientRegistration::live("PostgreSQL", "gale@127.0.0.1:5432/gale") == 1);
  first.reset();
  CHECK(gale::ClientRegistration::live("PostgreSQL", "gale@127.0.0.1:5432/gale") == 0);
}
