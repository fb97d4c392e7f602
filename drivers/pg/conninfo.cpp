#include "gale/pg/conninfo.hpp"

#include <libpq-fe.h>
#include <openssl/x509.h>

#include <algorithm>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <memory>

#include "gale/loop/error.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/loop/log.hpp"

namespace gale::pg::detail {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

[[noreturn]] void bad(const std::string& message) {
  throw Error(ErrorKind::invalid_argument, "PostgreSQL connection string: " + message);
}

// The errors about a value name its key but do not quote it: the string it came from may hold a
// password anywhere, and only libpq knows where one starts (as check_ports below).
std::size_t to_size(const std::string& key, const std::string& value) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size()) {
    bad(key + " must be a non-negative integer");
  }
  return v;
}

ClientOptions::duration to_ms(const std::string& key, const std::string& value) {
  return std::chrono::milliseconds(to_size(key, value));
}

bool to_bool(const std::string& key, const std::string& value) {
  if (value == "on" || value == "true" || value == "1" || value == "yes") return true;
  if (value == "off" || value == "false" || value == "0" || value == "no") return false;
  bad(key + " must be on or off (or true/false, 1/0, yes/no)");
}

// Applies one of gale's settings; false if `key` is not one of them.
bool apply(const std::string& key, const std::string& value, ClientOptions& o) {
  if (key == "pool_min_size") {
    o.pool_min_size = to_size(key, value);
  } else if (key == "pool_max_size") {
    o.pool_max_size = to_size(key, value);
  } else if (key == "pool_acquire_timeout_ms") {
    o.acquire_timeout = to_ms(key, value);
  } else if (key == "pool_max_idle_ms") {
    o.max_idle_time = to_ms(key, value);
  } else if (key == "pool_max_lifetime_ms") {
    o.max_lifetime = to_ms(key, value);
  } else if (key == "pool_max_waiters") {
    o.max_waiters = to_size(key, value);
  } else if (key == "query_timeout_ms") {
    o.query_timeout = to_ms(key, value);
  } else if (key == "statement_cache_size") {
    o.statement_cache_size = to_size(key, value);
  } else if (key == "pipeline") {
    o.pipeline = to_bool(key, value);
  } else if (key == "pipeline_depth") {
    o.pipeline_depth = to_size(key, value);
  } else if (key == "tls_verify") {
    o.tls_verify = to_bool(key, value);
  } else {
    return false;
  }
  return true;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && end == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// URI: takes gale's settings out of the query string.
std::string strip_uri(const std::string& uri, ClientOptions& o) {
  auto q = uri.find('?');
  if (q == std::string::npos) return uri;
  std::string kept;
  std::string_view query(uri);
  query.remove_prefix(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = item.find('=');
    std::string key = percent_decode(item.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(item.substr(eq + 1));
    if (apply(key, value, o)) continue;
    if (!kept.empty()) kept += '&';
    kept += item;
  }
  return kept.empty() ? uri.substr(0, q) : uri.substr(0, q + 1) + kept;
}

// key=value string: the same, with libpq's quoting ('...' with \' and \\).
std::string strip_keywords(const std::string& s, ClientOptions& o) {
  std::string kept;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= s.size()) break;
    auto start = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::string key = s.substr(start, i - start);
    skip_space();
    if (i >= s.size() || s[i] != '=') return s;  // malformed: let libpq say what is wrong
    ++i;
    skip_space();
    std::string value;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i++];
      }
      if (i >= s.size()) return s;
      ++i;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i++];
      }
    }
    if (apply(key, value, o)) continue;
    if (!kept.empty()) kept += ' ';
    kept += s.substr(start, i - start);
  }
  return kept;
}

bool is_uri(const std::string& s) {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ',';
    out += parts[i];
  }
  return out;
}

void set(Params& params, const std::string& key, const std::string& value) {
  for (auto& [k, v] : params) {
    if (k == key) {
      v = value;
      return;
    }
  }
  params.emplace_back(key, value);
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

Future<std::vector<std::string>> resolve(std::string host, std::string port) {
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(IOLoop::current().context());
  Promise<std::vector<std::string>> promise;
  auto future = promise.get_future();
  resolver->async_resolve(
      host, port,
      [resolver, p = std::move(promise)](const asio::error_code& ec,
                                         const asio::ip::tcp::resolver::results_type& r) mutable {
        std::vector<std::string> addresses;
        if (!ec) {
          for (const auto& entry : r) {
            auto a = entry.endpoint().address().to_string();
            if (std::find(addresses.begin(), addresses.end(), a) == addresses.end()) {
              addresses.push_back(a);
            }
          }
        }
        p.set_value(std::move(addresses));
      });
  return future;
}

}  // namespace

const std::string* ConnectConfig::get(const std::string& key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string ConnectConfig::scrub(std::string text) const {
  if (password.empty()) return text;
  for (auto pos = text.find(password); pos != std::string::npos; pos = text.find(password, pos)) {
    text.replace(pos, password.size(), "***");
    pos += 3;
  }
  return text;
}

namespace {

// libpq's message about a string it cannot parse quotes part of it (a token, or the whole URI),
// and what it quotes may hold the password: "postgres://u:pw@h" with a typo in the scheme is read
// as key=value text, "password=two words" splits the password into tokens. When the string holds
// a password (a user:password@ part, whatever the scheme, or a password keyword), the message
// shows none of what libpq quoted.
bool holds_password(const std::string& conninfo) {
  auto scheme = conninfo.find("://");
  if (scheme != std::string::npos) {
    auto at = conninfo.find('@', scheme);
    auto colon = conninfo.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) return true;
  }
  std::string lower = conninfo;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("password") != std::string::npos;
}

std::string scrub_parse_error(const std::string& conninfo, std::string message) {
  if (!holds_password(conninfo)) return message;
  // libpq quotes the token last (`invalid percent-encoded token: "<token>"`, `missing "=" after
  // "<token>" in ...`), and the token may hold quotes itself (a password with a '"' made a
  // one-character "quote" and showed the rest, found by the conninfo fuzzer): everything from the
  // first quote to the last goes.
  auto first = message.find('"');
  auto last = message.rfind('"');
  if (first == std::string::npos) return message;
  if (first == last) return message.substr(0, first + 1) + "***";
  return message.substr(0, first + 1) + "***" + message.substr(last);
}

// "password=<value>" (or "password='<value>'") text inside another field (libpq reads
// "postgresql://?password=p@ss@h"'s userinfo up to the first '@', so the user name is
// "?password=p") with the value hidden: the address goes into logs and messages.
std::string without_password_text(std::string text) {
  static constexpr std::string_view kKey = "password=";
  std::string lowered = text;
  for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto pos = lowered.find(kKey); pos != std::string::npos; pos = lowered.find(kKey, pos)) {
    auto start = pos + kKey.size();
    auto end = std::min(lowered.find_first_of("&' \t@/", start), lowered.size());
    if (end == start && end < lowered.size() && lowered[end] == '\'') {  // a quoted value
      end = std::min(lowered.find('\'', start + 1) + 1, lowered.size());
    }
    text.replace(start, end - start, "***");
    lowered.replace(start, end - start, "***");
    pos = start + 3;
  }
  return text;
}

}  // namespace

namespace {

// TLS verified whenever it is used (ClientOptions::tls_verify): require becomes verify-full, and
// the chain is checked against the system's CAs unless the string names its own root certificates.
void verify_tls(Params& params) {
  const std::string* mode = nullptr;
  for (const auto& [k, v] : params) {
    if (k == "sslmode") mode = &v;
  }
  std::string sslmode = mode != nullptr ? *mode : env_or("PGSSLMODE", "prefer");
  if (sslmode == "disable") return;
  if (sslmode == "require") set(params, "sslmode", "verify-full");
  bool has_root = false;
  for (const auto& [k, v] : params) has_root = has_root || k == "sslrootcert";
  if (!has_root && env_or("PGSSLROOTCERT", "").empty()) {
    set(params, "sslrootcert", X509_get_default_cert_file());
  }
}

// libpq takes any text as a port and fails only when it connects, which the pool then retries as
// an outage: a port that is not a number is the string's error, found when the Client is made.
// The port's text is not quoted: the string it came from may hold a password anywhere, and only
// libpq knows where one starts (the fuzzer found a port that repeats the password).
void check_ports(const std::string* ports) {
  if (ports == nullptr) return;
  const auto list = split(*ports);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string& p = list[i];
    if (p.empty()) continue;  // the default port
    bool digits = p.size() <= 5 &&
                  std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(p) < 1 || std::stoi(p) > 65535) {
      std::string which =
          list.size() > 1 ? " (port " + std::to_string(i + 1) + " of the list)" : "";
      bad("invalid port" + which + ": a port is a number from 1 to 65535");
    }
  }
}

}  // namespace

ConnectConfig parse_conninfo(const std::string& conninfo, ClientOptions& options) {
  // libpq reads it as a C string: whatever follows a NUL (sslmode=verify-full, say) would be lost.
  if (conninfo.find('\0') != std::string::npos) bad("the connection string contains a NUL byte");
  std::string cleaned =
      is_uri(conninfo) ? strip_uri(conninfo, options) : strip_keywords(conninfo, options);
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(cleaned.c_str(), &error);
  ConnectConfig config;
  if (parsed == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    bad(scrub_parse_error(conninfo, std::move(message)));
  }
  for (auto* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && *o->val != '\0') config.params.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(parsed);
  check_ports(config.get("port"));

  auto value = [&](const char* key, const std::string& fallback = {}) {
    const std::string* v = config.get(key);
    return v != nullptr ? *v : fallback;
  };
  config.password = value("password");
  // Environment defaults that libpq would use, applied here so that they get resolved too.
  if (!config.get("host")) {
    if (auto h = env_or("PGHOST", ""); !h.empty()) set(config.params, "host", h);
  }
  if (!config.get("hostaddr")) {
    if (auto h = env_or("PGHOSTADDR", ""); !h.empty()) set(config.params, "hostaddr", h);
  }
  if (!config.get("port")) {
    if (auto p = env_or("PGPORT", ""); !p.empty()) set(config.params, "port", p);
  }
  // ISO dates in results, whatever the server's default; the user's own options come after.
  set(config.params, "options", "-c DateStyle=ISO " + value("options"));
  if (options.tls_verify) verify_tls(config.params);
  // Text comes back as UTF-8 whatever the database's encoding (the server converts), as JSON
  // needs; a client_encoding given in the string is the user's choice.
  if (!config.get("client_encoding")) set(config.params, "client_encoding", "UTF8");
  if (!config.get("application_name") && !config.get("fallback_application_name")) {
    set(config.params, "fallback_application_name", "gale");
  }

  std::size_t hosts = split(value("host", "")).size();
  if (auto t = value("connect_timeout"); !t.empty()) {
    auto secs = to_size("connect_timeout", t);
    config.connect_timeout = std::chrono::seconds(std::max<std::size_t>(secs, 2) * hosts);
  } else {
    config.connect_timeout = options.connect_timeout;
  }
  config.address =
      without_password_text(value("user", env_or("PGUSER", env_or("USER", "postgres"))) + "@" +
                            value("host", value("hostaddr", "localhost")) + ":" +
                            value("port", "5432") + "/" + value("dbname", ""));
  return config;
}

Future<Params> resolve_hosts(const ConnectConfig& config) {
  Params params = config.params;
  const std::string* host = config.get("host");
  if (host == nullptr) co_return params;
  auto hosts = split(*host);
  const std::string* addr_list = config.get("hostaddr");
  auto addrs = addr_list != nullptr ? split(*addr_list) : std::vector<std::string>();
  const std::string* port_list = config.get("port");
  auto ports = port_list != nullptr ? split(*port_list) : std::vector<std::string>{"5432"};
  if (ports.size() != 1 && ports.size() != hosts.size()) co_return params;  // libpq will explain
  if (!addrs.empty() && addrs.size() != hosts.size()) co_return params;

  std::vector<std::string> out_hosts, out_addrs, out_ports;
  std::string last_failure;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const std::string& h = hosts[i];
    const std::string& port = ports.size() == 1 ? ports[0] : ports[i];
    std::string given = i < addrs.size() ? addrs[i] : "";
    asio::error_code ec;
    bool numeric = !h.empty() && (asio::ip::make_address(h, ec), !ec);
    std::vector<std::string> found;
    if (!given.empty() || h.empty() || h[0] == '/' || h[0] == '@') {
      found.push_back(given);  // a given address, the default, or a Unix socket: nothing to look up
    } else if (numeric) {
      found.push_back(h);
    } else {
      std::string service = port.empty() ? std::string("5432") : port;
      found = co_await resolve(h, service);
      if (found.empty()) {
        last_failure = h;
        log::warning("gale.pg", "could not resolve the PostgreSQL host \"{}\"", h);
      }
    }
    for (auto& a : found) {
      out_hosts.push_back(h);
      out_addrs.push_back(a);
      out_ports.push_back(port);
    }
  }
  if (out_hosts.empty()) {
    throw Error(ErrorKind::unavailable,
                "could not resolve the PostgreSQL host \"" + last_failure + "\"");
  }
  set(params, "host", join(out_hosts));
  set(params, "hostaddr", join(out_addrs));
  set(params, "port", join(out_ports));
  co_return params;
}

}  // namespace gale::pg::detail
