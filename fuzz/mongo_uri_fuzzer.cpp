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

namespace {

// What gale shows for `input`: the redacted URI of its logs, the error or the parsed settings'
// redacted URI, the warnings. With `checked`, an error of another kind than invalid_argument is a
// finding.
std::vector<gale::fuzz::Shown> show(const std::string& input, bool checked) {
  std::vector<gale::fuzz::Shown> shown{{"redact_uri", gale::mongo::redact_uri(input)}};
  std::vector<std::string> warnings;
  try {
    auto settings = gale::mongo::parse_uri(input, &warnings);
    shown.push_back({"the redacted URI", settings.redacted_uri});
  } catch (const gale::Error& e) {
    if (checked && e.kind() != gale::ErrorKind::invalid_argument) std::abort();
    shown.push_back({"the error", e.what()});
  }
  for (auto& w : warnings) shown.push_back({"a warning", std::move(w)});
  return shown;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  if (input.find('\0') != std::string::npos) return 0;  // a C string: cannot hold a NUL
  gale::fuzz::Secrets secrets(input);
  secrets.add_userinfo(gale::fuzz::Secrets::At::last);
  // An option of the query (right after its '?', or after an '&'); the same text inside another
  // option's value (after a second '?', say) is part of that value, and libmongoc quotes it back
  // in its warning.
  const auto query = input.find('?');
  const auto is_key = [&](std::size_t pos) {
    return query != std::string::npos && pos > query && (pos - 1 == query || input[pos - 1] == '&');
  };
  secrets.add_option("tlsCertificateKeyFilePassword=", "&", is_key);
  secrets.add_option("tlscertificatekeyfilepassword=", "&", is_key);
  auto shown = show(input, true);
  secrets.check(shown, [](const std::string& other) { return show(other, false); });
  return 0;
}
