// Connection strings: URIs (postgresql://...) and key=value strings, with every libpq parameter.
// gale's own settings (ClientOptions) are taken out of the string before libpq parses it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/pg/client_options.hpp"

namespace gale::pg::detail {

struct ConnectConfig {
  // libpq keywords and values, as PQconninfoParse gave them (empty values left out).
  std::vector<std::pair<std::string, std::string>> params;
  std::string password;  // only to scrub it from messages
  std::string address;   // "gale@127.0.0.1:5432/gale": for logs and messages, never a password
  ClientOptions::duration connect_timeout{};
  bool pipeline = true;  // enter pipeline mode after connecting

  const std::string* get(const std::string& key) const;
  // `text` with every occurrence of the password replaced by "***".
  std::string scrub(std::string text) const;
};

// Parses `conninfo`, applying gale's settings found in it to `options`. Throws
// Error(invalid_argument) with a message that never shows the password.
ConnectConfig parse_conninfo(const std::string& conninfo, ClientOptions& options);

// The libpq parameters for one connection attempt: host names resolved asynchronously into
// hostaddr (host is kept for TLS verification), so that libpq never blocks on DNS.
Future<std::vector<std::pair<std::string, std::string>>> resolve_hosts(const ConnectConfig& config);

}  // namespace gale::pg::detail
