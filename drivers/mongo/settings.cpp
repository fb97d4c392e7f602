#include "gale/mongo/settings.hpp"

#include <mongoc/mongoc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <memory>
#include <mutex>

#include "gale/loop/detail/enum_table.hpp"
#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"
#include "gale/mongo/bson.hpp"
#include "gale/mongo/document.hpp"

namespace gale::mongo {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorKind::invalid_argument, message);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// libmongoc reports URI warnings through its log handler: collect them for the parse under way on
// this thread, route everything else to gale's log.
thread_local std::vector<std::string>* t_warnings = nullptr;

void mongoc_log(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  if (level <= MONGOC_LOG_LEVEL_WARNING && t_warnings != nullptr) {
    t_warnings->emplace_back(message);
    return;
  }
  if (level <= MONGOC_LOG_LEVEL_WARNING)
    log::warning("gale.mongo", "libmongoc {}: {}", domain, message);
}

void install_log_handler() {
  static std::once_flag once;
  std::call_once(once, [] { mongoc_log_set_handler(mongoc_log, nullptr); });
}

struct UriFree {
  void operator()(mongoc_uri_t* u) const noexcept { mongoc_uri_destroy(u); }
};

// Options libmongoc 1.23 does not know, read from the query string ourselves.
std::optional<std::string> raw_option(std::string_view uri, std::string_view name) {
  auto q = uri.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = uri.substr(q + 1);
  while (!rest.empty()) {
    auto end = rest.find_first_of("&;");
    std::string_view pair = rest.substr(0, end);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && lower(pair.substr(0, eq)) == name) {
      return std::string(pair.substr(eq + 1));
    }
    if (end == std::string_view::npos) break;
    rest = rest.substr(end + 1);
  }
  return std::nullopt;
}

Millis ms_option(const mongoc_uri_t* uri, const char* name, Millis fallback) {
  return Millis(
      mongoc_uri_get_option_as_int32(uri, name, static_cast<std::int32_t>(fallback.count())));
}

// Each mode's name (as URIs and the server spell it) and libmongoc's mode, read both ways.
struct ModeRow {
  ReadMode mode;
  std::string_view name;
  mongoc_read_mode_t mongoc;
};
constexpr auto kModes = std::to_array<ModeRow>({
    {ReadMode::primary, "primary", MONGOC_READ_PRIMARY},
    {ReadMode::primary_preferred, "primaryPreferred", MONGOC_READ_PRIMARY_PREFERRED},
    {ReadMode::secondary, "secondary", MONGOC_READ_SECONDARY},
    {ReadMode::secondary_preferred, "secondaryPreferred", MONGOC_READ_SECONDARY_PREFERRED},
    {ReadMode::nearest, "nearest", MONGOC_READ_NEAREST},
});
static_assert(gale::detail::covers_each_once(kModes, &ModeRow::mode,
                                             static_cast<std::size_t>(ReadMode::nearest) + 1));
static_assert(gale::detail::distinct(kModes, &ModeRow::mongoc));

// libmongoc's mode as ours; primary for one we do not know.
ReadMode mode_of(mongoc_read_mode_t mode) {
  const ModeRow* row = gale::detail::find_row(kModes, &ModeRow::mongoc, mode);
  return row ? row->mode : ReadMode::primary;
}

void read_hosts(const mongoc_uri_t* uri, ClientSettings& s) {
  for (const mongoc_host_list_t* h = mongoc_uri_get_hosts(uri); h != nullptr; h = h->next) {
    HostAddress a;
    a.host = lower(h->host);
    a.port = h->port;
    a.unix_socket = h->family == AF_UNIX;
    s.hosts.push_back(std::move(a));
  }
}

void read_credentials(const mongoc_uri_t* uri, ClientSettings& s) {
  const char* user = mongoc_uri_get_username(uri);
  const char* mech = mongoc_uri_get_auth_mechanism(uri);
  if (user == nullptr && mech == nullptr) return;
  Credentials c;
  c.username = user ? user : "";
  const char* pw = mongoc_uri_get_password(uri);
  c.password = pw ? pw : "";
  c.mechanism = mech ? mech : "";
  const char* source = mongoc_uri_get_auth_source(uri);
  c.source = source ? source : "admin";
  s.credentials = std::move(c);
}

void read_tls(const mongoc_uri_t* uri, ClientSettings& s) {
  s.tls = mongoc_uri_get_tls(uri);
  auto str = [&](const char* name) {
    const char* v = mongoc_uri_get_option_as_utf8(uri, name, nullptr);
    return std::string(v ? v : "");
  };
  s.tls_ca_file = str(MONGOC_URI_TLSCAFILE);
  s.tls_certificate_key_file = str(MONGOC_URI_TLSCERTIFICATEKEYFILE);
  s.tls_certificate_key_password = str(MONGOC_URI_TLSCERTIFICATEKEYFILEPASSWORD);
  bool insecure = mongoc_uri_get_option_as_bool(uri, MONGOC_URI_TLSINSECURE, false);
  s.tls_allow_invalid_certificates =
      insecure || mongoc_uri_get_option_as_bool(uri, MONGOC_URI_TLSALLOWINVALIDCERTIFICATES, false);
  s.tls_allow_invalid_hostnames =
      insecure || mongoc_uri_get_option_as_bool(uri, MONGOC_URI_TLSALLOWINVALIDHOSTNAMES, false);
}

void read_preferences(const mongoc_uri_t* uri, ClientSettings& s) {
  const mongoc_read_prefs_t* rp = mongoc_uri_get_read_prefs_t(uri);
  if (rp == nullptr) return;
  s.read_preference.mode = mode_of(mongoc_read_prefs_get_mode(rp));
  const bson_t* tags = mongoc_read_prefs_get_tags(rp);
  if (tags != nullptr && !bson_empty(tags)) {
    for (auto& t : to_json(tags)) s.read_preference.tag_sets.push_back(t);
  }
  auto staleness = mongoc_read_prefs_get_max_staleness_seconds(rp);
  if (staleness > 0) s.read_preference.max_staleness_seconds = staleness;
}

void read_write_concern(const mongoc_uri_t* uri, ClientSettings& s) {
  const mongoc_write_concern_t* wc = mongoc_uri_get_write_concern(uri);
  if (wc == nullptr) return;
  std::int32_t w = mongoc_write_concern_get_w(wc);
  if (w >= 0) {
    s.write_concern.w = w;
  } else if (w == MONGOC_WRITE_CONCERN_W_MAJORITY) {
    s.write_concern.w = "majority";
  } else if (w == MONGOC_WRITE_CONCERN_W_TAG && mongoc_write_concern_get_wtag(wc) != nullptr) {
    s.write_concern.w = mongoc_write_concern_get_wtag(wc);
  }
  if (mongoc_write_concern_journal_is_set(wc)) {
    s.write_concern.journal = mongoc_write_concern_get_journal(wc);
  }
  if (auto t = mongoc_write_concern_get_wtimeout_int64(wc); t > 0) s.write_concern.wtimeout_ms = t;
  if (s.write_concern.unacknowledged() && s.write_concern.journal.value_or(false)) {
    invalid("w=0 cannot be combined with journal=true");
  }
}

void read_pool_and_timeouts(std::string_view text, const mongoc_uri_t* uri, ClientSettings& s,
                            std::vector<std::string>& warnings) {
  s.connect_timeout = ms_option(uri, MONGOC_URI_CONNECTTIMEOUTMS, s.connect_timeout);
  s.socket_timeout = ms_option(uri, MONGOC_URI_SOCKETTIMEOUTMS, s.socket_timeout);
  s.server_selection_timeout =
      ms_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, s.server_selection_timeout);
  s.heartbeat_frequency = ms_option(uri, MONGOC_URI_HEARTBEATFREQUENCYMS, s.heartbeat_frequency);
  s.local_threshold = ms_option(uri, MONGOC_URI_LOCALTHRESHOLDMS, s.local_threshold);
  s.max_idle_time = ms_option(uri, MONGOC_URI_MAXIDLETIMEMS, s.max_idle_time);
  s.wait_queue_timeout = ms_option(uri, MONGOC_URI_WAITQUEUETIMEOUTMS, s.wait_queue_timeout);
  auto count = [&](const char* name, std::size_t fallback) {
    auto v = mongoc_uri_get_option_as_int32(uri, name, static_cast<std::int32_t>(fallback));
    return static_cast<std::size_t>(std::max<std::int32_t>(v, 0));
  };
  s.max_pool_size = count(MONGOC_URI_MAXPOOLSIZE, s.max_pool_size);
  if (auto raw = raw_option(text, "maxpoolsize"); raw && *raw == "0") {
    s.max_pool_size = 0;
  }
  s.min_pool_size = count(MONGOC_URI_MINPOOLSIZE, s.min_pool_size);
  if (auto mc = raw_option(text, "maxconnecting")) {
    try {
      std::size_t used = 0;
      int v = std::stoi(*mc, &used);
      if (used != mc->size() || v <= 0) throw std::invalid_argument("x");
      s.max_connecting = static_cast<std::size_t>(v);
    } catch (...) {
      warnings.push_back("maxConnecting must be a positive integer, not \"" + *mc + "\"; ignored");
    }
  }
  if (s.max_pool_size == 0) s.max_pool_size = 10'000;  // 0 means "no limit" in the spec
  if (s.min_pool_size > s.max_pool_size) {
    invalid("minPoolSize (" + std::to_string(s.min_pool_size) + ") exceeds maxPoolSize (" +
            std::to_string(s.max_pool_size) + ")");
  }
  if (s.heartbeat_frequency < Millis(500)) {
    invalid("heartbeatFrequencyMS must be at least 500");
  }
}

void read_misc(const mongoc_uri_t* uri, ClientSettings& s) {
  const char* db = mongoc_uri_get_database(uri);
  s.database = db ? db : "";
  const char* rs = mongoc_uri_get_replica_set(uri);
  s.replica_set = rs ? rs : "";
  if (mongoc_uri_has_option(uri, MONGOC_URI_DIRECTCONNECTION)) {
    s.direct_connection = mongoc_uri_get_option_as_bool(uri, MONGOC_URI_DIRECTCONNECTION, false);
  }
  s.load_balanced = mongoc_uri_get_option_as_bool(uri, MONGOC_URI_LOADBALANCED, false);
  s.retry_writes = mongoc_uri_get_option_as_bool(uri, MONGOC_URI_RETRYWRITES, true);
  s.retry_reads = mongoc_uri_get_option_as_bool(uri, MONGOC_URI_RETRYREADS, true);
  const char* app = mongoc_uri_get_appname(uri);
  s.app_name = app ? app : "";
  if (const bson_t* comp = mongoc_uri_get_compressors(uri)) {
    bson_iter_t it;
    if (bson_iter_init(&it, comp)) {
      while (bson_iter_next(&it)) s.compressors.emplace_back(bson_iter_key(&it));
    }
  }
  s.zlib_level = mongoc_uri_get_option_as_int32(uri, MONGOC_URI_ZLIBCOMPRESSIONLEVEL, -1);
}

}  // namespace

std::string HostAddress::to_string() const {
  if (unix_socket) return host;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

HostAddress parse_address(std::string_view text) {
  HostAddress a;
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) invalid("bad address: " + std::string(text));
    host = text.substr(1, close - 1);
    if (close + 1 < text.size() && text[close + 1] == ':') port = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  a.host = lower(host);
  if (!port.empty()) {
    int p = 0;
    try {
      p = std::stoi(std::string(port));
    } catch (...) {
      p = -1;
    }
    if (p <= 0 || p > 65535) invalid("bad port in address: " + std::string(text));
    a.port = static_cast<std::uint16_t>(p);
  }
  return a;
}

std::string_view to_string(ReadMode mode) noexcept {
  const ModeRow* row = gale::detail::find_row(kModes, &ModeRow::mode, mode);
  return row ? row->name : "primary";
}

ReadMode parse_read_mode(std::string_view name) {
  const std::string n = lower(name);
  const ModeRow* row =
      gale::detail::find_row_if(kModes, [&](const ModeRow& r) { return lower(r.name) == n; });
  if (!row) invalid("unknown read preference mode: " + std::string(name));
  return row->mode;
}

void ReadPreference::validate(Millis heartbeat_frequency) const {
  if (mode == ReadMode::primary) {
    bool has_tags = std::any_of(tag_sets.begin(), tag_sets.end(),
                                [](const nlohmann::json& t) { return !t.empty(); });
    if (has_tags) invalid("read preference primary cannot have tag sets");
    if (max_staleness_seconds) invalid("read preference primary cannot have maxStalenessSeconds");
  }
  if (max_staleness_seconds && *max_staleness_seconds != -1) {
    const std::int64_t floor_ms =
        std::max<std::int64_t>(90'000, heartbeat_frequency.count() + 10'000);
    if (*max_staleness_seconds * 1000 < floor_ms) {
      invalid("maxStalenessSeconds must be at least " + std::to_string((floor_ms + 999) / 1000) +
              " (90, or heartbeatFrequencyMS + 10 s), not " +
              std::to_string(*max_staleness_seconds));
    }
  }
}

nlohmann::json ReadPreference::to_json() const {
  nlohmann::json out = {{"mode", std::string(to_string(mode))}};
  if (!tag_sets.empty()) out["tags"] = tag_sets;
  if (max_staleness_seconds) out["maxStalenessSeconds"] = *max_staleness_seconds;
  return out;
}

nlohmann::json WriteConcern::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  if (w) out["w"] = *w;
  if (journal) out["j"] = *journal;
  if (wtimeout_ms) out["wtimeout"] = *wtimeout_ms;
  return out;
}

namespace {

// "user:password@" -> "user:***@".
std::string redact_userinfo(std::string_view uri) {
  auto scheme = uri.find("://");
  if (scheme == std::string_view::npos) return std::string(uri);
  auto start = scheme + 3;
  auto slash = uri.find_first_of("/?", start);
  auto hostpart = uri.substr(start, slash == std::string_view::npos ? uri.npos : slash - start);
  auto at = hostpart.rfind('@');
  if (at == std::string_view::npos) return std::string(uri);
  auto colon = hostpart.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(uri);
  std::string out(uri.substr(0, start + colon + 1));
  out += "***";
  out += uri.substr(start + at);
  return out;
}

// The value of every option that holds a secret (tlsCertificateKeyFilePassword) -> "***", wherever
// it is (a malformed URI may have it before any '?'). The value ends at '&' only, as libmongoc
// reads it: a ';' is part of it.
std::string redact_secret_options(std::string uri) {
  static constexpr std::string_view kKey = "tlscertificatekeyfilepassword=";
  std::string lowered = lower(uri);
  for (auto pos = lowered.find(kKey); pos != std::string::npos; pos = lowered.find(kKey, pos)) {
    auto start = pos + kKey.size();
    auto end = lowered.find('&', start);
    if (end == std::string::npos) end = lowered.size();
    uri.replace(start, end - start, "***");
    lowered.replace(start, end - start, "***");
    pos = start + 3;
  }
  return uri;
}

}  // namespace

std::string redact_uri(std::string_view uri) {
  return redact_secret_options(redact_userinfo(uri));
}

namespace {

// Options gale reads itself (libmongoc 1.23 does not know them): no "unsupported option" warning.
bool own_option(const std::string& warning) {
  std::string w = lower(warning);
  for (const char* k : {"maxconnecting", "timeoutms\"", "servermonitoringmode"}) {
    if (w.find(k) != std::string::npos) return true;
  }
  return false;
}

// "mongodb://host?x=1" (no slash before the options) is valid in the current spec.
std::string add_missing_slash(std::string uri) {
  auto scheme = uri.find("://");
  if (scheme == std::string::npos) return uri;
  auto q = uri.find('?', scheme + 3);
  if (q != std::string::npos && uri.find('/', scheme + 3) > q) uri.insert(q, "/");
  return uri;
}

// The query keys of a URI, as written.
std::vector<std::string> query_keys(const std::string& uri) {
  std::vector<std::string> keys;
  auto q = uri.find('?');
  if (q == std::string::npos) return keys;
  std::size_t pos = q + 1;
  while (pos < uri.size()) {
    auto end = uri.find_first_of("&;", pos);
    if (end == std::string::npos) end = uri.size();
    auto pair = uri.substr(pos, end - pos);
    keys.push_back(pair.substr(0, pair.find('=')));
    pos = end + 1;
  }
  return keys;
}

std::string without_option(const std::string& uri, const std::string& key) {
  auto q = uri.find('?');
  std::string out = uri.substr(0, q + 1);
  std::size_t pos = q + 1;
  bool first = true;
  while (pos < uri.size()) {
    auto end = uri.find_first_of("&;", pos);
    if (end == std::string::npos) end = uri.size();
    auto pair = uri.substr(pos, end - pos);
    if (pair.substr(0, pair.find('=')) != key) {
      out += (first ? "" : "&") + pair;
      first = false;
    }
    pos = end + 1;
  }
  return out;
}

// The option a libmongoc error is about, when the error is only an invalid value (which the spec
// makes a warning): the key whose name the message quotes.
std::optional<std::string> invalid_value_option(const std::string& uri,
                                                const std::string& message) {
  std::string m = lower(message);
  const bool about_value = m.find("unsupported value") != std::string::npos ||
                           m.find("invalid \"") != std::string::npos ||
                           m.find("value [") != std::string::npos ||
                           m.find("is required to be") != std::string::npos;
  if (!about_value) return std::nullopt;
  for (const auto& key : query_keys(uri)) {
    std::string k = lower(key);
    if (k == "authmechanism" || k == "authsource" || k == "readpreference") continue;
    if (!k.empty() && m.find(k) != std::string::npos) return key;
  }
  return std::nullopt;
}

void check_ranges(std::string_view text, ClientSettings& s, std::vector<std::string>& warnings) {
  auto negative = [&](Millis& value, Millis fallback, const char* name) {
    if (value.count() < 0) {
      warnings.push_back(std::string(name) + " must not be negative; the default is used");
      value = fallback;
    }
  };
  ClientSettings d;
  negative(s.connect_timeout, d.connect_timeout, "connectTimeoutMS");
  negative(s.socket_timeout, d.socket_timeout, "socketTimeoutMS");
  negative(s.server_selection_timeout, d.server_selection_timeout, "serverSelectionTimeoutMS");
  negative(s.local_threshold, d.local_threshold, "localThresholdMS");
  negative(s.max_idle_time, d.max_idle_time, "maxIdleTimeMS");
  negative(s.wait_queue_timeout, d.wait_queue_timeout, "waitQueueTimeoutMS");
  if (auto t = raw_option(text, "timeoutms")) {
    try {
      std::size_t used = 0;
      long long v = std::stoll(*t, &used);
      if (used != t->size() || v < 0) throw std::invalid_argument("x");
      s.timeout = Millis(v);
    } catch (...) {
      warnings.push_back("timeoutMS must be a non-negative integer; ignored");
    }
  }
  if (auto m = raw_option(text, "servermonitoringmode")) {
    std::string v = lower(*m);
    if (v != "auto" && v != "stream" && v != "poll") {
      warnings.push_back("serverMonitoringMode must be auto, stream or poll; ignored");
    } else {
      s.server_monitoring_mode = v;
    }
  }
  if (auto src = raw_option(text, "authsource"); src && src->empty()) {
    invalid("authSource must not be empty");
  }
}

}  // namespace

ClientSettings parse_uri(std::string_view text, std::vector<std::string>* warnings) {
  // libmongoc reads the URI as a C string: whatever follows a NUL (tls=true, say) would be lost.
  if (text.find('\0') != std::string_view::npos) invalid("the URI contains a NUL byte");
  install_log_handler();
  std::vector<std::string> local;
  std::string owned = add_missing_slash(std::string(text));
  std::unique_ptr<mongoc_uri_t, UriFree> uri;
  for (int attempt = 0; attempt < 16 && !uri; ++attempt) {
    bson_error_t error;
    t_warnings = &local;
    uri.reset(mongoc_uri_new_with_error(owned.c_str(), &error));
    t_warnings = nullptr;
    if (uri) break;
    // An invalid value is a warning (the option is ignored), as the URI options spec says.
    if (auto key = invalid_value_option(owned, error.message)) {
      local.push_back("invalid value for " + *key + " ignored: " + error.message);
      owned = without_option(owned, *key);
      continue;
    }
    std::string reason = error.message;
    // libmongoc's messages may quote parts of the URI: never let a password through.
    if (redact_uri(owned) != owned) reason = "invalid connection string";
    invalid("invalid MongoDB connection string " + redact_uri(owned) + ": " + reason);
  }
  if (!uri) invalid("invalid MongoDB connection string " + redact_uri(owned));
  std::erase_if(local, own_option);
  ClientSettings s;
  s.redacted_uri = redact_uri(owned);
  read_hosts(uri.get(), s);
  read_credentials(uri.get(), s);
  read_tls(uri.get(), s);
  read_preferences(uri.get(), s);
  read_write_concern(uri.get(), s);
  read_pool_and_timeouts(owned, uri.get(), s, local);
  read_misc(uri.get(), s);
  check_ranges(owned, s, local);
  s.srv = owned.rfind("mongodb+srv://", 0) == 0;
  s.read_preference.validate(s.heartbeat_frequency);
  if (s.load_balanced && s.hosts.size() > 1) invalid("loadBalanced=true allows one host only");
  if (s.load_balanced && !s.replica_set.empty())
    invalid("loadBalanced=true cannot have replicaSet");
  if (s.load_balanced && s.direct_connection.value_or(false)) {
    invalid("loadBalanced=true cannot have directConnection=true");
  }
  for (auto& w : local) {
    if (warnings != nullptr) {
      warnings->push_back(w);
    } else {
      log::warning("gale.mongo", "connection string {}: {}", s.redacted_uri, w);
    }
  }
  return s;
}

}  // namespace gale::mongo
