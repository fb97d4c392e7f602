// The SCRAM conversations of the MongoDB auth specification (and RFC 7677), byte for byte.
#include <catch2/catch.hpp>

#include "gale/mongo/error.hpp"
#include "gale/mongo/scram.hpp"

using namespace gale::mongo;

namespace {
std::string run(ScramConversation& s, const std::string& server_first) {
  s.read_server_first(server_first);
  auto salted =
      scram_salted_password(ScramHash::sha1, s.prepared_password(), s.salt(), s.iterations());
  return s.client_final(salted);
}
}  // namespace

TEST_CASE("SCRAM-SHA-1: the auth spec's example conversation") {
  ScramConversation s(ScramHash::sha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
  CHECK(s.client_first() == "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  CHECK(run(s,
            "r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/"
            "9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000") ==
        "c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/"
        "9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY=");
  CHECK_NOTHROW(s.verify_server_final("v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0="));
  CHECK_THROWS_AS(s.verify_server_final("v=AAAAI25JD1yNYZRMpZ4VHvhZ9e0="), MongoError);
}

TEST_CASE("SCRAM-SHA-256: the auth spec's example conversation") {
  ScramConversation s(ScramHash::sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  CHECK(s.client_first() == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  s.read_server_first(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  auto salted =
      scram_salted_password(ScramHash::sha256, s.prepared_password(), s.salt(), s.iterations());
  CHECK(s.client_final(salted) ==
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+"
        "Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  CHECK_NOTHROW(s.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  try {
    s.verify_server_final("e=invalid-proof");
    FAIL("no error");
  } catch (const MongoError& e) {
    CHECK(e.kind() == gale::ErrorKind::unauthorized);
  }
}

TEST_CASE("SCRAM refuses a server nonce that does not extend ours, and too few iterations") {
  ScramConversation s(ScramHash::sha256, "user", "pencil", "abc");
  CHECK_THROWS_AS(s.read_server_first("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"), MongoError);
  ScramConversation t(ScramHash::sha256, "user", "pencil", "abc");
  CHECK_THROWS_AS(t.read_server_first("r=abc123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10"), MongoError);
}

TEST_CASE("user names escape = and , as the RFC says") {
  ScramConversation s(ScramHash::sha256, "a=b,c", "p", "n");
  CHECK(s.client_first() == "n,,n=a=3Db=2Cc,r=n");
}

TEST_CASE("SASLprep maps and normalizes as RFC 4013's examples") {
  CHECK(saslprep("IX") == "IX");
  CHECK(saslprep("I\xC2\xAD"
                 "X") == "IX");             // soft hyphen mapped to nothing
  CHECK(saslprep("\xC2\xAA") == "a");       // NFKC: feminine ordinal -> a
  CHECK(saslprep("\xE2\x85\xA8") == "IX");  // roman numeral nine
  CHECK(saslprep("a\xE2\x80\x80"
                 "b") == "a b");                   // non-ASCII space -> space
  CHECK_THROWS_AS(saslprep("\x07"), gale::Error);  // prohibited control character
  CHECK_THROWS_AS(saslprep("\xD8\xA7"
                           "1"),
                  gale::Error);  // bidi: RandALCat then a digit
}
