#include <catch2/catch.hpp>

#include <stdexcept>

#include "gale/loop/error.hpp"

using gale::Error;
using gale::ErrorKind;

TEST_CASE("Error carries its kind and message", "[error]") {
  Error e(ErrorKind::duplicate, "id 7 exists");
  CHECK(e.kind() == ErrorKind::duplicate);
  CHECK(std::string(e.what()) == "id 7 exists");
  CHECK(gale::to_string(ErrorKind::unavailable) == "unavailable");
}

TEST_CASE("kind_of and describe work on any exception", "[error]") {
  auto ours = std::make_exception_ptr(Error(ErrorKind::timeout, "slow"));
  auto theirs = std::make_exception_ptr(std::out_of_range("index 9"));
  CHECK(gale::kind_of(ours) == ErrorKind::timeout);
  CHECK(gale::kind_of(theirs) == ErrorKind::internal);
  CHECK(gale::describe(ours) == "timeout: slow");
  CHECK(gale::describe(theirs) == "exception: index 9");
  CHECK(gale::describe(std::make_exception_ptr(42)) == "unknown exception");
}
