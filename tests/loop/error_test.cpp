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
