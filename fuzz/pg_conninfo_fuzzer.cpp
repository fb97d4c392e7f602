// PostgreSQL connection strings (URIs and key=value strings) through gale's parser: gale's own
// settings taken out, then libpq's PQconninfoParse. Any string gives a ConnectConfig or
// Error(invalid_argument); neither the error, nor the address used in logs, nor a scrubbed message
// shows the password.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "gale/loop/error.hpp"
#include "gale/pg/conninfo.hpp"
#include "secret_check.hpp"

namespace {

// Where the keys of a key=value string start, read as libpq reads them: a key, '=' (with
// whitespace around it allowed), a value that is quoted ('...', with backslash escapes) or runs
// to the next whitespace (backslash escapes too).
std::vector<std::size_t> key_starts(const std::string& s) {
  std::vector<std::size_t> keys;
  auto space = [&](std::size_t i) {
    return i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0;
  };
  std::size_t i = 0;
  while (i < s.size()) {
    while (space(i)) ++i;
    if (i >= s.size()) break;
    keys.push_back(i);
    while (i < s.size() && s[i] != '=' && !space(i)) ++i;
    while (space(i)) ++i;
    if (i >= s.size() || s[i] != '=') break;  // libpq refuses the rest
    ++i;
    while (space(i)) ++i;
    const bool quoted = i < s.size() && s[i] == '\'';
    if (quoted) ++i;
    while (i < s.size() && (quoted ? s[i] != '\'' : !space(i))) i += s[i] == '\\' ? 2 : 1;
    if (quoted) ++i;
  }
  return keys;
}

// Whether a key starts at `pos`: in a URI, right after the query's '?' or an '&' after it; in a
// key=value string, where libpq reads a key. Elsewhere "password=" is part of another value (a
// host name, a quoted value, the value of the key before) and no password to libpq.
bool option_key_at(const std::string& input, std::size_t pos) {
  if (input.rfind("postgres://", 0) == 0 || input.rfind("postgresql://", 0) == 0) {
    // libpq reads the userinfo up to the first '@' (before any '/'), a '?' in it included; the
    // query starts at the first '?' after it.
    auto start = input.find("://") + 3;
    auto stop = input.find_first_of("@/", start);
    if (stop != std::string::npos && input[stop] == '@') start = stop + 1;
    auto query = input.find('?', start);
    return query != std::string::npos && pos > query && (pos - 1 == query || input[pos - 1] == '&');
  }
  auto keys = key_starts(input);
  return std::find(keys.begin(), keys.end(), pos) != keys.end();
}

// What the parser shows for `input`: its error, or the address used in logs.
std::vector<gale::fuzz::Shown> show(const std::string& input) {
  try {
    gale::pg::ClientOptions options;
    return {{"the address", gale::pg::detail::parse_conninfo(input, options).address}};
  } catch (const gale::Error& e) {
    return {{"the error", e.what()}};
  }
}

// The address as its fields give it, before gale hides anything: text the fields make,
// joiners included ("h" + ":" + "word" is "h:word"), is theirs to show.
std::string fields_of(const gale::pg::detail::ConnectConfig& config) {
  auto value = [&](const char* key, std::string fallback) {
    const std::string* v = config.get(key);
    return v != nullptr ? *v : fallback;
  };
  const char* user = std::getenv("PGUSER") ? std::getenv("PGUSER") : std::getenv("USER");
  return value("user", user ? user : "postgres") + "@" +
         value("host", value("hostaddr", "localhost")) + ":" + value("port", "5432") + "/" +
         value("dbname", "");
}

// The address with gale's own masks ("password=***", "sslPassword=***", put where a field held
// such text) taken out: a password made of the mask's letters ("ssword=*") is not shown by them.
std::string without_masks(const std::string& address) {
  static const std::regex mask("[A-Za-z_]*=\\*\\*\\*");
  return std::regex_replace(address, mask, "\x01");
}

// A string libpq parsed: its password and sslpassword are known. Neither shows in the address,
// unless the other fields make the same text (a user named like the password); and scrub() hides
// the password (what it gives for the password itself: a message that quotes it in a template
// may show it again by chance once scrubbed, "connec[t: " + "***" + " r]efused" for "t: *** r").
void check_parsed(const gale::pg::detail::ConnectConfig& config) {
  if (!config.password.empty() && config.scrub(config.password) != "***") std::abort();
  const std::string fields = fields_of(config);
  const std::string address = without_masks(config.address);
  for (const char* key : {"password", "sslpassword"}) {
    const std::string* secret = config.get(key);
    // A password that holds the mask ("***") may be made again by masking other text.
    if (secret == nullptr || secret->size() < 6 || secret->find("***") != std::string::npos) {
      continue;
    }
    if (address.find(*secret) != std::string::npos && fields.find(*secret) == std::string::npos) {
      std::fprintf(stderr, "%s \"%s\" shown in the address: %s\n", key, secret->c_str(),
                   config.address.c_str());
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  if (input.find('\0') != std::string::npos) return 0;  // a C string: cannot hold a NUL
  gale::fuzz::Secrets secrets(input);
  // A URI's userinfo; "user:pw@" inside a key=value string's value is part of that value.
  if (input.rfind("postgres://", 0) == 0 || input.rfind("postgresql://", 0) == 0) {
    secrets.add_userinfo(gale::fuzz::Secrets::At::first);
  }
  const auto is_key = [&input](std::size_t pos) { return option_key_at(input, pos); };
  secrets.add_option("password=", " &'\\", is_key);
  secrets.add_option("password='", "'\\", is_key);
  secrets.add_option("sslpassword=", " &'\\", is_key);
  try {
    gale::pg::ClientOptions options;
    check_parsed(gale::pg::detail::parse_conninfo(input, options));
  } catch (const gale::Error& e) {
    if (e.kind() != gale::ErrorKind::invalid_argument) std::abort();
    // libpq could not say what the password is: the candidates read from the text stand in.
    secrets.check({{"the error", e.what()}}, show);
  }
  return 0;
}
