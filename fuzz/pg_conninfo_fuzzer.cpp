// PostgreSQL connection strings (URIs and key=value strings) through gale's parser: gale's own
// settings taken out, then libpq's PQconninfoParse. Any string gives a ConnectConfig or
// Error(invalid_argument); neither the error, nor the address used in logs, nor a scrubbed message
// shows the password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gale/loop/error.hpp"
#include "gale/pg/conninfo.hpp"
#include "secret_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  if (input.find('\0') != std::string::npos) return 0;  // a C string: cannot hold a NUL
  gale::fuzz::Secrets secrets(input);
  secrets.add_userinfo(gale::fuzz::Secrets::At::first);
  secrets.add_option("password=", " &'\\");
  secrets.add_option("password='", "'\\");
  secrets.add_option("sslpassword=", " &'\\");
  gale::pg::ClientOptions options;
  try {
    auto config = gale::pg::detail::parse_conninfo(input, options);
    secrets.check("the address", config.address);
    if (config.password.size() >= 6) {
      std::string message = "could not connect: " + config.password + " refused";
      if (config.scrub(message).find(config.password) != std::string::npos) std::abort();
    }
  } catch (const gale::Error& e) {
    if (e.kind() != gale::ErrorKind::invalid_argument) std::abort();
    secrets.check("the error", e.what());
  }
  return 0;
}
