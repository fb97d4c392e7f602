#include <catch2/catch.hpp>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"
#include "support/log_capture.hpp"

TEST_CASE("messages below the level are dropped", "[log]") {
  gale::testing::LogCapture logs;
  auto saved = gale::log::level();
  gale::log::set_level(gale::log::Level::warning);
  gale::log::info("test", "quiet {}", 1);
  gale::log::warning("test", "loud {}", 2);
  gale::log::set_level(saved);
  CHECK_FALSE(logs.contains("quiet 1"));
  CHECK(logs.contains("test: loud 2", gale::log::Level::warning));
}

TEST_CASE("log levels parse by name, and unknown names are refused", "[log]") {
  CHECK(gale::log::parse_level("debug") == gale::log::Level::debug);
  CHECK(gale::log::parse_level("warn") == gale::log::Level::warning);
  CHECK(gale::log::parse_level("off") == gale::log::Level::off);
  CHECK_THROWS_AS(gale::log::parse_level("loud"), gale::Error);
}
