// ClientSettings: everything a connection string says, read with libmongoc's URI parser
// (mongoc_uri_new_with_error) and checked further where the specs ask for more.
//
//   mongodb://user:pass@a:27017,b:27017/app?replicaSet=rs&maxPoolSize=32&tls=true
//
// Supported options: replicaSet, directConnection, loadBalanced, connectTimeoutMS, socketTimeoutMS,
// serverSelectionTimeoutMS, heartbeatFrequencyMS, localThresholdMS, maxPoolSize, minPoolSize,
// maxIdleTimeMS, waitQueueTimeoutMS, maxConnecting, tls/ssl, tlsCAFile, tlsCertificateKeyFile,
// tlsCertificateKeyFilePassword, tlsAllowInvalidCertificates, tlsAllowInvalidHostnames,
// tlsInsecure, authSource, authMechanism, retryWrites, retryReads, appName, compressors,
// zlibCompressionLevel, readPreference, readPreferenceTags, maxStalenessSeconds, w, journal,
// wTimeoutMS.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gale::mongo {

using Millis = std::chrono::milliseconds;

struct HostAddress {
  std::string host{};  // lower-cased host name, IP, or a Unix socket path
  std::uint16_t port = 27017;
  bool unix_socket = false;

  std::string to_string() const;  // "host:port" ("[::1]:27017" for IPv6), or the socket path
  friend bool operator==(const HostAddress&, const HostAddress&) = default;
};
// Parses "host:port" / "[v6]:port" / "host" (port 27017); lower-cases the host.
HostAddress parse_address(std::string_view text);

enum class ReadMode { primary, primary_preferred, secondary, secondary_preferred, nearest };
std::string_view to_string(ReadMode mode) noexcept;
// "primary", "primaryPreferred", ... (case-insensitive); throws Error(invalid_argument).
ReadMode parse_read_mode(std::string_view name);

struct ReadPreference {
  ReadMode mode = ReadMode::primary;
  std::vector<nlohmann::json> tag_sets{};  // tried in order; {} matches any server
  std::optional<std::int64_t> max_staleness_seconds{};

  // Throws Error(invalid_argument) when the combination is invalid (tags or staleness with
  // primary, staleness below max(90, heartbeat + idle write period)).
  void validate(Millis heartbeat_frequency) const;
  nlohmann::json to_json() const;  // {"mode": "secondaryPreferred", "tags": [...], ...}
};

struct Credentials {
  std::string username{};
  std::string password{};
  std::string source = "admin";
  std::string mechanism{};  // empty: negotiated (SCRAM-SHA-256 when offered, else SCRAM-SHA-1)
};

struct WriteConcern {
  std::optional<nlohmann::json> w{};  // number or string ("majority")
  std::optional<bool> journal{};
  std::optional<std::int64_t> wtimeout_ms{};
  bool unacknowledged() const {
    return w && w->is_number() && w->get<int>() == 0 && !journal.value_or(false);
  }
  bool is_default() const { return !w && !journal && !wtimeout_ms; }
  nlohmann::json to_json() const;
};

struct ClientSettings {
  std::vector<HostAddress> hosts{};
  std::string database{};  // the database in the URI path, if any
  std::optional<Credentials> credentials{};
  std::string replica_set{};
  std::optional<bool> direct_connection{};
  bool load_balanced = false;

  Millis connect_timeout{10'000};
  Millis socket_timeout{0};  // 0: no socket timeout beyond an operation's own deadline
  Millis server_selection_timeout{30'000};
  Millis heartbeat_frequency{10'000};
  Millis local_threshold{15};

  std::size_t max_pool_size = 100;
  std::size_t min_pool_size = 0;
  std::size_t max_connecting = 2;
  Millis max_idle_time{0};
  Millis wait_queue_timeout{0};  // 0: bounded by serverSelectionTimeoutMS

  bool tls = false;
  std::string tls_ca_file{};
  std::string tls_certificate_key_file{};
  std::string tls_certificate_key_password{};
  bool tls_allow_invalid_certificates = false;
  bool tls_allow_invalid_hostnames = false;

  bool retry_writes = true;
  bool retry_reads = true;
  std::string app_name{};
  std::vector<std::string> compressors{};  // in preference order: zstd, zlib, snappy
  int zlib_level = -1;
  ReadPreference read_preference{};
  WriteConcern write_concern{};

  // timeoutMS: the default deadline of every operation (none given: serverSelectionTimeoutMS plus
  // socketTimeoutMS, or 5 minutes).
  std::optional<Millis> timeout{};
  std::string server_monitoring_mode = "auto";  // gale polls (hello every heartbeatFrequencyMS)
  bool srv = false;  // mongodb+srv:// (parsed, but gale does not resolve SRV records)

  // The URI with its password replaced by "***", for logs and errors.
  std::string redacted_uri{};
};

// Parses a connection string. Throws Error(invalid_argument) with libmongoc's or our reason (the
// password never appears in it). Warnings (unknown option, invalid value ignored) are added to
// `warnings` when given, and logged otherwise.
ClientSettings parse_uri(std::string_view uri, std::vector<std::string>* warnings = nullptr);

// The URI with its secrets hidden: the password ("user:***@") and the value of
// tlsCertificateKeyFilePassword.
std::string redact_uri(std::string_view uri);

}  // namespace gale::mongo
