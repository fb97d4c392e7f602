// MongoDB connection strings through gale's parser (libmongoc's URI parser, then gale's checks).
// Any string gives ClientSettings or Error(invalid_argument); neither the error, nor a warning,
// nor the redacted URI that logs use shows the password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "gale/loop/error.hpp"
#include "gale/mongo/settings.hpp"
#include "secret_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  if (input.find('\0') != std::string::npos) return 0;  // a C string: cannot hold a NUL
  gale::fuzz::Secrets secrets(input);
  secrets.add_userinfo(gale::fuzz::Secrets::At::last);
  secrets.add_option("tlsCertificateKeyFilePassword=", "&");
  secrets.add_option("tlscertificatekeyfilepassword=", "&");
  std::vector<std::string> warnings;
  secrets.check("redact_uri", gale::mongo::redact_uri(input));
  try {
    auto settings = gale::mongo::parse_uri(input, &warnings);
    secrets.check("the redacted URI", settings.redacted_uri);
  } catch (const gale::Error& e) {
    if (e.kind() != gale::ErrorKind::invalid_argument) std::abort();
    secrets.check("the error", e.what());
  }
  for (const auto& w : warnings) secrets.check("a warning", w);
  return 0;
}
