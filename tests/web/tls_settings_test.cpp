// HTTPS settings: the options that fill Settings::tls, and the certificate files read by
// detail::TlsContext, which refuses what cannot work with a message naming the file. Certificates
// are made here with `openssl req` (no key is committed).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gale/loop/error.hpp"
#include "gale/web/detail/tls_context.hpp"
#include "gale/web/options.hpp"

using gale::Error;
using gale::ErrorKind;
using gale::web::ClientCertificates;
using gale::web::Options;
using gale::web::TLSSettings;
using gale::web::detail::TlsContext;

namespace {

// Two self-signed certificates with their keys, in a directory of the test's own.
class Certificates {
 public:
  Certificates() {
    dir_ =
        std::filesystem::temp_directory_path() / ("gale-tls-settings-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    make("a");
    make("b");
  }
  ~Certificates() { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  void make(const std::string& name) {
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=" +
        name + ".test -keyout " + path(name + ".key") + " -out " + path(name + ".pem") +
        " > /dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
  }
  std::filesystem::path dir_;
};

// The message of the Error(invalid_argument) that loading `s` throws ("" if it loads).
std::string load_error(const TLSSettings& s) {
  try {
    TlsContext::load(s);
    return "";
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_argument);
    return e.what();
  }
}

}  // namespace

TEST_CASE("The TLS options fill Settings::tls", "[tls][options]") {
  Options o;
  const char* argv[] = {
      "app",        "--certfile",  "chain.pem",   "--keyfile",   "key.pem",
      "--sni-cert", "b.pem:b.key", "--client-ca", "clients.pem", "--client-certificates",
      "required"};
  o.parse_or_throw(11, argv);
  TLSSettings tls = o.settings().tls;
  CHECK(tls.enabled());
  CHECK(tls.certfile == "chain.pem");
  CHECK(tls.keyfile == "key.pem");
  REQUIRE(tls.sni_certificates.size() == 1);
  CHECK(tls.sni_certificates[0].certfile == "b.pem");
  CHECK(tls.sni_certificates[0].keyfile == "b.key");
  CHECK(tls.client_ca == "clients.pem");
  CHECK(tls.client_certificates == ClientCertificates::required);
  CHECK_FALSE(Options().settings().tls.enabled());
}

TEST_CASE("Bad TLS options are refused at parse", "[tls][options]") {
  const char* no_key[] = {"app", "--sni-cert", "only-a-cert.pem"};
  CHECK_THROWS_AS(Options().parse_or_throw(3, no_key), Error);
  const char* bad_mode[] = {"app", "--client-certificates", "sometimes"};
  CHECK_THROWS_AS(Options().parse_or_throw(3, bad_mode), Error);
}

TEST_CASE("Certificate files that cannot work are refused with the file's name", "[tls]") {
  Certificates certs;
  TLSSettings good;
  good.certfile = certs.path("a.pem");
  good.keyfile = certs.path("a.key");
  CHECK(load_error(good).empty());

  TLSSettings missing = good;
  missing.certfile = certs.path("nowhere.pem");
  CHECK_THAT(load_error(missing), Catch::Contains("nowhere.pem"));

  TLSSettings mismatched = good;
  mismatched.keyfile = certs.path("b.key");
  CHECK_THAT(load_error(mismatched),
             Catch::Contains(certs.path("b.key")) && Catch::Contains("key values mismatch"));

  TLSSettings not_pem = good;
  not_pem.keyfile = certs.path("a.pem");  // a certificate where the key belongs
  CHECK_THAT(load_error(not_pem), Catch::Contains(certs.path("a.pem")));

  TLSSettings no_ca = good;
  no_ca.client_certificates = ClientCertificates::required;
  CHECK_THAT(load_error(no_ca), Catch::Contains("client CA"));

  TLSSettings sni = good;
  sni.sni_certificates.push_back({certs.path("b.pem"), certs.path("b.key")});
  sni.client_ca = certs.path("b.pem");
  sni.client_certificates = ClientCertificates::optional;
  CHECK(load_error(sni).empty());
  sni.sni_certificates.push_back({certs.path("b.pem"), ""});
  CHECK_THAT(load_error(sni), Catch::Contains("no key file"));
}
