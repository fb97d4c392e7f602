#include <catch2/catch.hpp>

#include "gale/loop/error.hpp"
#include "gale/web/router.hpp"

using gale::web::PathArgs;
using gale::web::Router;

namespace {

long match(const Router& r, std::string_view path, PathArgs& args) {
  return r.match(path, args);
}

}  // namespace

TEST_CASE("Router matches literal paths and named parameters", "[router]") {
  Router r;
  r.add("/", 0);
  r.add("/notes", 1);
  r.add("/notes/{id}", 2);
  r.add("/notes/{id}/tags/{tag}", 3);
  PathArgs args;
  CHECK(match(r, "/", args) == 0);
  CHECK(match(r, "/notes", args) == 1);
  CHECK(args.size() == 0);
  REQUIRE(match(r, "/notes/abc", args) == 2);
  CHECK(args.values == std::vector<std::string>{"abc"});
  REQUIRE(args.find("id") != nullptr);
  CHECK(*args.find("id") == "abc");
  REQUIRE(match(r, "/notes/n1/tags/red", args) == 3);
  CHECK(*args.find("id") == "n1");
  CHECK(*args.find("tag") == "red");
  CHECK(args.find("nope") == nullptr);
  CHECK(match(r, "/notes/", args) == -1);  // a parameter is never empty
  CHECK(match(r, "/notes/a/b", args) == -1);
  CHECK(match(r, "/other", args) == -1);
}

TEST_CASE("Router decodes percent-escapes in arguments but matches the raw path", "[router]") {
  Router r;
  r.add("/files/{name}", 0);
  PathArgs args;
  REQUIRE(match(r, "/files/a%20b%2Fc", args) == 0);
  CHECK(args.values[0] == "a b/c");
  REQUIRE(match(r, "/files/a+b", args) == 0);
  CHECK(args.values[0] == "a+b");  // '+' is a plus in a path
}

TEST_CASE("Router checks typed parameters and prefers literals", "[router]") {
  Router r;
  r.add("/items/{id:int}", 0);
  r.add("/items/{slug}", 1);
  r.add("/items/new", 2);
  PathArgs args;
  CHECK(match(r, "/items/42", args) == 0);
  CHECK(match(r, "/items/-7", args) == 0);
  CHECK(match(r, "/items/4x2", args) == 1);
  CHECK(match(r, "/items/new", args) == 2);
  // Too long for an int64, still an integer: the Application answers 400 (out of range).
  REQUIRE(match(r, "/items/12345678901234567890", args) == 0);
  CHECK(args.integer(0));
}

TEST_CASE("Router backtracks from a literal branch that does not match", "[router]") {
  Router r;
  r.add("/a/b/c", 0);
  r.add("/a/{x}/d", 1);
  PathArgs args;
  REQUIRE(match(r, "/a/b/d", args) == 1);
  CHECK(args.values == std::vector<std::string>{"b"});
  CHECK(match(r, "/a/b/c", args) == 0);
}

TEST_CASE("Router path parameters take the rest of the path", "[router]") {
  Router r;
  r.add("/static/{rest:path}", 0);
  PathArgs args;
  REQUIRE(match(r, "/static/css/site/main.css", args) == 0);
  CHECK(args.values[0] == "css/site/main.css");
  CHECK(match(r, "/static/", args) == -1);
}

TEST_CASE("Router falls back to regex routes with positional groups", "[router]") {
  Router r;
  r.add("/x/{id}", 0);
  r.add("^/x/([0-9]+)/y$", 1);
  r.add("^/archive/([0-9]{4})/([0-9]{2})$", 2);
  PathArgs args;
  CHECK(match(r, "/x/5", args) == 0);
  CHECK(match(r, "/x/5/y", args) == 1);
  REQUIRE(match(r, "/archive/2024/05", args) == 2);
  CHECK(args.values == std::vector<std::string>{"2024", "05"});
  CHECK(*args.find("2") == "05");
  CHECK(match(r, "/archive/24/05", args) == -1);
}

TEST_CASE("Router rejects malformed templates", "[router]") {
  Router r;
  CHECK_THROWS_AS(r.add("notes", 0), gale::Error);
  CHECK_THROWS_AS(r.add("/notes/{id", 0), gale::Error);
  CHECK_THROWS_AS(r.add("/notes/{}", 0), gale::Error);
  CHECK_THROWS_AS(r.add("/notes/{id:float}", 0), gale::Error);
  CHECK_THROWS_AS(r.add("/notes/x{id}", 0), gale::Error);
  CHECK_THROWS_AS(r.add("/a/{id}/{id}", 0), gale::Error);
  CHECK_THROWS_AS(r.add("/a/{rest:path}/b", 0), gale::Error);
  CHECK_THROWS_AS(r.add("^/bad(regex$", 0), gale::Error);
  r.add("/dup", 0);
  CHECK_THROWS_AS(r.add("/dup", 1), gale::Error);
}

TEST_CASE("Router lookups do not slow down with many routes", "[router]") {
  Router r;
  for (int i = 0; i < 5000; ++i)
    r.add("/r" + std::to_string(i) + "/{id}", static_cast<std::size_t>(i));
  PathArgs args;
  CHECK(match(r, "/r4999/x", args) == 4999);
  CHECK(match(r, "/r0/x", args) == 0);
  CHECK(match(r, "/r5000/x", args) == -1);
}
