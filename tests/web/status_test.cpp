#include <catch2/catch.hpp>

#include <cstddef>
#include <iterator>
#include <string>

#include "gale/web/status.hpp"

using gale::ErrorKind;
using gale::web::kind_for_status;
using gale::web::reason_phrase;
using gale::web::status_for;

TEST_CASE("each error kind's status, and a status's kind read back", "[status]") {
  // Written out here, apart from the library's table, so that a changed status fails.
  const struct {
    ErrorKind kind;
    int status;
  } kinds[] = {
      {ErrorKind::invalid_argument, 400}, {ErrorKind::not_found, 404},
      {ErrorKind::duplicate, 409},        {ErrorKind::conflict, 409},
      {ErrorKind::timeout, 504},          {ErrorKind::unavailable, 503},
      {ErrorKind::unauthorized, 401},     {ErrorKind::forbidden, 403},
      {ErrorKind::internal, 500},
  };
  STATIC_REQUIRE(std::size(kinds) == static_cast<std::size_t>(ErrorKind::internal) + 1);
  for (const auto& k : kinds) {
    CAPTURE(gale::to_string(k.kind));
    CHECK(status_for(k.kind) == k.status);
    // Back again: each kind but duplicate, whose 409 reads as conflict.
    CHECK(kind_for_status(status_for(k.kind)) ==
          (k.kind == ErrorKind::duplicate ? ErrorKind::conflict : k.kind));
  }
  // A value outside the enumeration answers 500, as before.
  CHECK(status_for(static_cast<ErrorKind>(200)) == 500);
  // Any status without a kind of its own reads as internal, successes included.
  for (int status : {0, 200, 302, 402, 405, 408, 410, 413, 422, 429, 500, 501, 502, 505, 599, -1}) {
    CAPTURE(status);
    CHECK(kind_for_status(status) == ErrorKind::internal);
  }
}

TEST_CASE("reason phrases, and Unknown for a status without one", "[status]") {
  const struct {
    int status;
    const char* phrase;
  } phrases[] = {
      {100, "Continue"},
      {101, "Switching Protocols"},
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {206, "Partial Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {303, "See Other"},
      {304, "Not Modified"},
      {307, "Temporary Redirect"},
      {308, "Permanent Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {406, "Not Acceptable"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {410, "Gone"},
      {411, "Length Required"},
      {412, "Precondition Failed"},
      {413, "Payload Too Large"},
      {414, "URI Too Long"},
      {415, "Unsupported Media Type"},
      {417, "Expectation Failed"},
      {422, "Unprocessable Entity"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {505, "HTTP Version Not Supported"},
  };
  for (const auto& p : phrases) {
    CAPTURE(p.status);
    CHECK(reason_phrase(p.status) == p.phrase);
  }
  for (int status : {0, 1, 199, 203, 402, 418, 506, 999, -404}) {
    CAPTURE(status);
    CHECK(reason_phrase(status) == "Unknown");
  }
}
