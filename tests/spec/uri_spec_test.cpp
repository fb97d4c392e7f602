// connection-string, uri-options and auth/legacy: parse each URI with gale's parser and compare.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include "gale/loop/error.hpp"
#include "gale/mongo/settings.hpp"
#include "spec/spec_runner.hpp"

using gale::mongo::ClientSettings;
using nlohmann::json;
namespace spec = gale::spec;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void expect(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

// The value gale holds for an option (lower-case name), or nullopt when gale does not implement it.
std::optional<json> effective(const ClientSettings& s, const std::string& name) {
  const auto& rp = s.read_preference;
  if (name == "replicaset") return s.replica_set.empty() ? json() : json(s.replica_set);
  if (name == "directconnection") return s.direct_connection ? json(*s.direct_connection) : json();
  if (name == "loadbalanced") return s.load_balanced;
  if (name == "connecttimeoutms") return s.connect_timeout.count();
  if (name == "sockettimeoutms") return s.socket_timeout.count();
  if (name == "serverselectiontimeoutms") return s.server_selection_timeout.count();
  if (name == "heartbeatfrequencyms") return s.heartbeat_frequency.count();
  if (name == "localthresholdms") return s.local_threshold.count();
  if (name == "maxpoolsize") return s.max_pool_size == 10'000 ? 0 : s.max_pool_size;
  if (name == "minpoolsize") return s.min_pool_size;
  if (name == "maxconnecting") return s.max_connecting;
  if (name == "maxidletimems") return s.max_idle_time.count();
  if (name == "waitqueuetimeoutms") return s.wait_queue_timeout.count();
  if (name == "tls" || name == "ssl") return s.tls;
  if (name == "tlscafile") return s.tls_ca_file;
  if (name == "tlscertificatekeyfile") return s.tls_certificate_key_file;
  if (name == "tlscertificatekeyfilepassword") return s.tls_certificate_key_password;
  if (name == "tlsallowinvalidcertificates") return s.tls_allow_invalid_certificates;
  if (name == "tlsallowinvalidhostnames") return s.tls_allow_invalid_hostnames;
  if (name == "tlsinsecure")
    return s.tls_allow_invalid_certificates && s.tls_allow_invalid_hostnames;
  if (name == "authsource") return s.credentials ? json(s.credentials->source) : json();
  if (name == "authmechanism") return s.credentials ? json(s.credentials->mechanism) : json();
  if (name == "retrywrites") return s.retry_writes;
  if (name == "retryreads") return s.retry_reads;
  if (name == "appname") return s.app_name;
  if (name == "compressors") return json(s.compressors);
  if (name == "zlibcompressionlevel") return s.zlib_level;
  if (name == "readpreference") return std::string(to_string(rp.mode));
  if (name == "readpreferencetags") return json(rp.tag_sets);
  if (name == "maxstalenessseconds")
    return rp.max_staleness_seconds ? json(*rp.max_staleness_seconds) : json(-1);
  if (name == "timeoutms") return s.timeout ? json(s.timeout->count()) : json();
  if (name == "servermonitoringmode") return s.server_monitoring_mode;
  if (name == "w") return s.write_concern.w.value_or(json());
  if (name == "journal") return s.write_concern.journal ? json(*s.write_concern.journal) : json();
  if (name == "wtimeoutms")
    return s.write_concern.wtimeout_ms ? json(*s.write_concern.wtimeout_ms) : json();
  return std::nullopt;
}

bool same(const json& want, const json& have, const std::string& name) {
  if (want.is_string() && have.is_string()) {
    if (name == "readpreference" || name == "authmechanism") return lower(want) == lower(have);
    return want == have;
  }
  if (want.is_array() && have.is_array() && name == "compressors") {
    return want == have;
  }
  return want == have;
}

void check_hosts(const ClientSettings& s, const json& hosts) {
  expect(hosts.size() == s.hosts.size(), "expected " + std::to_string(hosts.size()) +
                                             " hosts, got " + std::to_string(s.hosts.size()));
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const auto& h = hosts[i];
    const auto& have = s.hosts[i];
    expect(lower(h["host"].get<std::string>()) == lower(have.host),
           "host " + h["host"].get<std::string>() + " != " + have.host);
    if (!h["port"].is_null() && h.value("type", "") != "unix") {
      expect(h["port"].get<int>() == have.port, "port of " + have.host);
    }
  }
}

void check_auth(const ClientSettings& s, const json& auth) {
  if (!auth["username"].is_null()) {
    expect(s.credentials && s.credentials->username == auth["username"], "username");
  }
  if (auth.contains("password") && !auth["password"].is_null()) {
    expect(s.credentials && s.credentials->password == auth["password"], "password");
  }
  if (!auth["db"].is_null()) expect(s.database == auth["db"], "db " + s.database);
}

void check_options(const ClientSettings& s, const json& options) {
  for (auto it = options.begin(); it != options.end(); ++it) {
    std::string name = lower(it.key());
    if (name == "authmechanismproperties") {
      throw spec::Skip{"authMechanismProperties (only SCRAM is supported, it takes none)"};
    }
    auto have = effective(s, name);
    if (!have) throw spec::Skip{"URI option " + it.key()};
    expect(same(it.value(), *have, name),
           "option " + it.key() + ": expected " + it.value().dump() + ", got " + have->dump());
  }
}

void skip_unsupported(const std::string& uri) {
  std::string u = lower(uri);
  if (u.find("proxy") != std::string::npos)
    throw spec::Skip{"SOCKS5 proxy options (proxyHost, ...)"};
  if (u.find("maxadaptiveretries") != std::string::npos ||
      u.find("enableoverloadretargeting") != std::string::npos) {
    throw spec::Skip{"client backpressure options (maxAdaptiveRetries, enableOverloadRetargeting)"};
  }
  for (const char* m : {"gssapi", "mongodb-aws", "mongodb-oidc", "mongodb-x509", "plain"}) {
    if (u.find(std::string("authmechanism=") + m) != std::string::npos) {
      throw spec::Skip{std::string("authentication mechanism ") + m};
    }
  }
}

void run_uri_case(const json& t) {
  skip_unsupported(t["uri"].get<std::string>());
  std::vector<std::string> warnings;
  std::optional<ClientSettings> parsed;
  std::string error;
  try {
    parsed = gale::mongo::parse_uri(t["uri"].get<std::string>(), &warnings);
  } catch (const gale::Error& e) {
    error = e.what();
  }
  const bool valid = t.value("valid", true);
  if (!valid) {
    expect(!parsed, "parsed an invalid URI");
    return;
  }
  expect(parsed.has_value(), "refused a valid URI: " + error);
  if (t.contains("warning") && t["warning"].is_boolean()) {
    bool want = t["warning"].get<bool>();
    expect(want == !warnings.empty(),
           want ? "no warning" : "unexpected warning: " + (warnings.empty() ? "" : warnings[0]));
  }
  if (t.contains("hosts") && !t["hosts"].is_null()) check_hosts(*parsed, t["hosts"]);
  if (t.contains("auth") && !t["auth"].is_null()) check_auth(*parsed, t["auth"]);
  if (t.contains("options") && !t["options"].is_null()) check_options(*parsed, t["options"]);
}

void run_auth_case(const json& t) {
  std::optional<ClientSettings> parsed;
  std::string error;
  try {
    parsed = gale::mongo::parse_uri(t["uri"].get<std::string>());
  } catch (const gale::Error& e) {
    error = e.what();
  }
  const bool valid = t.value("valid", true);
  const json cred = t.value("credential", json());
  std::string mech =
      cred.is_object()
          ? cred.value("mechanism", json()).is_string() ? cred["mechanism"].get<std::string>() : ""
          : "";
  if (mech.empty()) {
    std::string u = lower(t["uri"].get<std::string>());
    auto at = u.find("authmechanism=");
    if (at != std::string::npos) {
      mech = u.substr(at + 14, u.find_first_of("&;", at) - at - 14);
      for (auto& c : mech) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  const bool scram = mech.empty() || mech == "SCRAM-SHA-1" || mech == "SCRAM-SHA-256";
  if (!valid) {
    if (parsed && !scram) throw spec::Skip{"authentication mechanism " + mech};
    expect(!parsed, "accepted an invalid credential URI");
    return;
  }
  if (!scram) throw spec::Skip{"authentication mechanism " + mech};
  expect(parsed.has_value(), "refused a valid URI: " + error);
  if (!t.contains("credential")) return;
  if (cred.is_null()) {
    expect(!parsed->credentials, "credentials where none were expected");
    return;
  }
  expect(parsed->credentials.has_value(), "no credentials");
  const auto& c = *parsed->credentials;
  if (cred.contains("username"))
    expect(cred["username"].is_null() ? c.username.empty() : c.username == cred["username"],
           "username");
  if (cred.contains("password"))
    expect(cred["password"].is_null() ? c.password.empty() : c.password == cred["password"],
           "password");
  if (cred.contains("source") && !cred["source"].is_null())
    expect(c.source == cred["source"], "source " + c.source);
  if (cred.contains("mechanism"))
    expect(cred["mechanism"].is_null() ? c.mechanism.empty() : c.mechanism == cred["mechanism"],
           "mechanism " + c.mechanism);
}

int run_tests(const std::string& area, const std::string& label, void (*fn)(const json&)) {
  return spec::run_area(area, label, [&](const spec::fs::path& file, spec::Tally& tally) {
    json doc = spec::load(file);
    for (const auto& t : doc["tests"]) {
      tally.run(file.filename().string() + ": " + t.value("description", "?"), [&] { fn(t); });
    }
  });
}

}  // namespace

TEST_CASE("spec connection-string") {
  CHECK(run_tests("connection-string", "connection-string", run_uri_case) == 0);
}

TEST_CASE("spec uri-options") {
  CHECK(run_tests("uri-options", "uri-options", run_uri_case) == 0);
}

TEST_CASE("spec auth legacy connection strings") {
  CHECK(run_tests("auth", "auth", run_auth_case) == 0);
}
