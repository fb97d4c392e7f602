// Connection strings: what gale reads from them, and what it refuses (the spec suites run in
// tests/spec).
#include <catch2/catch.hpp>

#include "gale/loop/error.hpp"
#include "gale/mongo/settings.hpp"

using namespace gale::mongo;

TEST_CASE("hosts, credentials, pool and timeouts are read from the URI") {
  auto s = parse_uri(
      "mongodb://u%40x:p%3Aw@A.example:27018,b/app?replicaSet=rs&maxPoolSize=32&minPoolSize=2&"
      "maxConnecting=3&connectTimeoutMS=1500&serverSelectionTimeoutMS=2500&heartbeatFrequencyMS="
      "900&"
      "authSource=admin2&readPreference=secondaryPreferred&retryWrites=false&appname=demo&w="
      "majority");
  REQUIRE(s.hosts.size() == 2);
  CHECK(s.hosts[0].to_string() == "a.example:27018");
  CHECK(s.hosts[1].to_string() == "b:27017");
  REQUIRE(s.credentials);
  CHECK(s.credentials->username == "u@x");
  CHECK(s.credentials->password == "p:w");
  CHECK(s.credentials->source == "admin2");
  CHECK(s.database == "app");
  CHECK(s.replica_set == "rs");
  CHECK(s.max_pool_size == 32);
  CHECK(s.min_pool_size == 2);
  CHECK(s.max_connecting == 3);
  CHECK(s.connect_timeout == Millis(1500));
  CHECK(s.server_selection_timeout == Millis(2500));
  CHECK(s.heartbeat_frequency == Millis(900));
  CHECK(s.read_preference.mode == ReadMode::secondary_preferred);
  CHECK_FALSE(s.retry_writes);
  CHECK(s.app_name == "demo");
  CHECK(s.write_concern.w == "majority");
  CHECK(s.redacted_uri.find("p%3Aw") == std::string::npos);
  CHECK(s.redacted_uri.find("***") != std::string::npos);
}

TEST_CASE("invalid URIs fail with invalid_argument and never show the password") {
  try {
    parse_uri("mongodb://user:secretpw@host:99999/");
    FAIL("no error");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == gale::ErrorKind::invalid_argument);
    CHECK(std::string(e.what()).find("secretpw") == std::string::npos);
  }
  std::vector<std::string> warnings;
  CHECK(parse_uri("mongodb://h/?maxConnecting=0", &warnings).max_connecting == 2);
  CHECK_FALSE(warnings.empty());
  CHECK_THROWS_AS(parse_uri("mongodb://h/?minPoolSize=10&maxPoolSize=2"), gale::Error);
  CHECK_THROWS_AS(parse_uri("mongodb://h/?readPreference=primary&maxStalenessSeconds=120"),
                  gale::Error);
}

TEST_CASE("unknown options are warnings, not errors") {
  std::vector<std::string> warnings;
  auto s = parse_uri("mongodb://h/?fooBar=1", &warnings);
  CHECK(s.hosts.size() == 1);
  CHECK_FALSE(warnings.empty());
}

// Found by fuzz/mongo_uri_fuzzer.cpp: the redacted URI that logs, warnings and errors show hid the
// user's password but not the TLS key's.
TEST_CASE("the redacted URI hides tlsCertificateKeyFilePassword too") {
  std::string uri =
      "mongodb://user:userpassword@h/?tls=true&tlsCertificateKeyFile=/k.pem&"
      "tlsCertificateKeyFilePassword=keypassword1&unknownOption=1";
  CHECK(redact_uri(uri) ==
        "mongodb://user:***@h/?tls=true&tlsCertificateKeyFile=/k.pem&"
        "tlsCertificateKeyFilePassword=***&unknownOption=1");
  CHECK(redact_uri("mongodb://h/?TLSCERTIFICATEKEYFILEPASSWORD=keypassword1") ==
        "mongodb://h/?TLSCERTIFICATEKEYFILEPASSWORD=***");
  // libmongoc ends an option's value at '&' only: "key;pass" is all the password (the URI
  // fuzzer found "***;pass" in the redacted URI).
  CHECK(redact_uri("mongodb://h/?tlsCertificateKeyFilePassword=key;password1&w=1") ==
        "mongodb://h/?tlsCertificateKeyFilePassword=***&w=1");
  CHECK(parse_uri("mongodb://h/?tls=true&tlsCertificateKeyFilePassword=key;password1")
            .tls_certificate_key_password == "key;password1");
  // Malformed, with no '?' before the option: hidden all the same.
  CHECK(redact_uri("mongodb://h&tlsCertificateKeyFilePassword=keypassword1&x=1") ==
        "mongodb://h&tlsCertificateKeyFilePassword=***&x=1");
  std::vector<std::string> warnings;
  auto s = parse_uri(uri, &warnings);
  CHECK(s.tls_certificate_key_password == "keypassword1");
  CHECK(s.redacted_uri.find("keypassword1") == std::string::npos);
  REQUIRE_FALSE(warnings.empty());  // unknownOption
  for (const auto& w : warnings) CHECK(w.find("keypassword1") == std::string::npos);
  try {
    parse_uri("mongodb://h:99999/?tlsCertificateKeyFilePassword=keypassword1");
    FAIL("no error");
  } catch (const gale::Error& e) {
    CHECK(std::string(e.what()).find("keypassword1") == std::string::npos);
  }
}
