#include <catch2/catch.hpp>

#include <cstddef>
#include <iterator>
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

TEST_CASE("each error kind's name and client words, and its name read back", "[error]") {
  // Written out here, apart from the library's table, so that a changed name fails.
  const struct {
    ErrorKind kind;
    const char* name;
    const char* client_message;
  } kinds[] = {
      {ErrorKind::invalid_argument, "invalid_argument", "invalid request"},
      {ErrorKind::not_found, "not_found", "not found"},
      {ErrorKind::duplicate, "duplicate", "duplicate key"},
      {ErrorKind::conflict, "conflict", "conflict with a concurrent change, retry"},
      {ErrorKind::timeout, "timeout", "the operation timed out"},
      {ErrorKind::unavailable, "unavailable", "service unavailable, retry later"},
      {ErrorKind::unauthorized, "unauthorized", "unauthorized"},
      {ErrorKind::forbidden, "forbidden", "forbidden"},
      {ErrorKind::internal, "internal", "Internal Server Error"},
  };
  STATIC_REQUIRE(std::size(kinds) == static_cast<std::size_t>(ErrorKind::internal) + 1);
  for (const auto& k : kinds) {
    CAPTURE(k.name);
    CHECK(gale::to_string(k.kind) == k.name);
    CHECK(gale::client_message_for(k.kind) == k.client_message);
    CHECK(gale::parse_error_kind(k.name) == k.kind);
    CHECK(gale::parse_error_kind(gale::to_string(k.kind)) == k.kind);
  }
  for (const char* unknown : {"", "Internal", "not found", "notfound", "internal "}) {
    CAPTURE(unknown);
    try {
      gale::parse_error_kind(unknown);
      FAIL("parsed");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_argument);
    }
  }
  // A value outside the enumeration reads as internal, as before.
  CHECK(gale::to_string(static_cast<ErrorKind>(200)) == "internal");
  CHECK(gale::client_message_for(static_cast<ErrorKind>(200)) == "Internal Server Error");
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

TEST_CASE("an Error keeps its log text apart from the text meant for clients", "[error]") {
  Error plain(ErrorKind::duplicate,
              "duplicate key value violates unique constraint \"users_email\"");
  CHECK(plain.client_message().empty());
  CHECK(plain.constraint().empty());
  CHECK(gale::client_message_for(ErrorKind::duplicate) == "duplicate key");
  CHECK(gale::client_message_for(ErrorKind::internal) == "Internal Server Error");

  Error meant(ErrorKind::duplicate, "slug 'x' exists in table notes", "slug already taken");
  Error copy = meant;
  CHECK(copy.client_message() == "slug already taken");
  CHECK(std::string(copy.what()) == "slug 'x' exists in table notes");
  CHECK(gale::describe(std::make_exception_ptr(copy)) ==
        "duplicate: slug 'x' exists in table notes");
}

namespace {
struct NamedError : Error {
  NamedError() : Error(ErrorKind::duplicate, "full text") { set_constraint("users_email_key"); }
  void rename(std::string n) { set_constraint(std::move(n)); }
};
}  // namespace

TEST_CASE("a copy of an Error keeps its constraint when the original changes", "[error]") {
  NamedError e;
  NamedError before = e;
  e.rename("other");
  CHECK(before.constraint() == "users_email_key");
  CHECK(e.constraint() == "other");
  CHECK(e.client_message().empty());
}
