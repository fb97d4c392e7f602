// Connection: one socket to one server (TCP, optionally TLS through asio::ssl), opened with a
// deadline, handshaken (the legacy hello with helloOk, or hello when load-balanced; client
// metadata, compression negotiated), authenticated
// (SCRAM-SHA-256 / SCRAM-SHA-1) and then used for one command at a time.
//
// A command past its deadline closes the socket (the reply can no longer be matched) and fails
// with Error(timeout); a network failure fails with MongoError(unavailable, label NetworkError).
// Either way the connection is no longer usable and its pool discards it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/mongo/document.hpp"
#include "gale/mongo/server_description.hpp"
#include "gale/mongo/settings.hpp"
#include "gale/mongo/wire.hpp"

namespace asio::ssl {
class context;
}

namespace gale::mongo {

class ScramCache;

struct ConnectionConfig {
  HostAddress address;
  Millis connect_timeout{10'000};
  Millis socket_timeout{0};
  std::shared_ptr<asio::ssl::context> tls;  // null: plain TCP
  bool verify_hostname = true;
  std::optional<Credentials> credentials;  // none for monitoring connections
  std::shared_ptr<ScramCache> scram_cache;
  nlohmann::json client_metadata;
  std::vector<std::string> compressors;
  int zlib_level = -1;
  bool load_balanced = false;
};

// The TLS context for these settings (CA file, client certificate, verification); throws
// Error(invalid_argument) when a file cannot be used.
std::shared_ptr<asio::ssl::context> make_tls_context(const ClientSettings& settings);

// {"driver": {"name": "gale", ...}, "os": {...}, "platform": ..., "application": {"name": ...}}
nlohmann::json client_metadata(const std::string& app_name);

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects, handshakes and authenticates before `deadline` (and connectTimeoutMS).
  static Future<std::unique_ptr<Connection>> open(std::shared_ptr<const ConnectionConfig> config,
                                                  Clock::time_point deadline);

  // Sends one command (body with $db, plus document sequences) and returns the reply body.
  // ok:0 replies are returned as they are: check them with check_reply().
  Future<Document> command(Document body, std::vector<wire::Sequence> sequences,
                           Clock::time_point deadline);
  // Sends a command with moreToCome (w:0): nothing comes back.
  Future<void> send_unacknowledged(Document body, std::vector<wire::Sequence> sequences,
                                   Clock::time_point deadline);

  // A monitoring check (SDAM): {hello: 1} when hello_ok(), else the legacy hello {isMaster: 1};
  // never compressed. Returns the reply body (ok:0 included: check it with check_reply()).
  Future<Document> heartbeat(Clock::time_point deadline);

  // The handshake's hello, as a ServerDescription (limits, wire version, sessions support).
  const ServerDescription& description() const noexcept { return hello_; }
  // Whether the server understands hello: the handshake was hello (load-balanced mode), or its
  // legacy hello was answered with helloOk: true.
  bool hello_ok() const noexcept { return hello_ok_; }
  const std::string& address() const noexcept { return address_; }
  double handshake_rtt_ms() const noexcept { return handshake_rtt_ms_; }
  bool usable() const noexcept { return !broken_; }
  std::uint64_t generation = 0;  // set by the owner (pool generation at creation)

  void close() noexcept;

 private:
  struct Socket;
  explicit Connection(std::shared_ptr<const ConnectionConfig> config);

  Future<void> connect(Clock::time_point deadline);
  Future<void> handshake(Clock::time_point deadline);
  Document hello_command() const;
  Document heartbeat_command() const;
  Future<void> authenticate(Clock::time_point deadline);
  Future<Document> round_trip(std::vector<std::uint8_t> message, Clock::time_point deadline,
                              bool expect_reply);
  struct IoResult {
    std::error_code ec;
    std::size_t n = 0;
  };
  std::size_t write_now(const std::vector<std::uint8_t>& message);
  Future<IoResult> write_async(const std::vector<std::uint8_t>& message, std::size_t from);
  Future<IoResult> readable();
  bool read_now();
  void grow_buffer();
  std::optional<Document> take_reply(std::int32_t request_id);
  Future<void> read_more();
  std::int32_t next_request_id() noexcept { return ++request_id_; }
  void arm(Clock::time_point deadline);
  void disarm() noexcept;
  [[noreturn]] void fail(const std::string& what);

  std::shared_ptr<const ConnectionConfig> config_;
  std::string address_;
  std::unique_ptr<Socket> socket_;
  std::vector<std::uint8_t> in_;
  std::size_t in_len_ = 0;
  std::int32_t request_id_ = 0;
  ServerDescription hello_;
  double handshake_rtt_ms_ = 0;
  bool hello_ok_ = false;
  std::optional<wire::Compressor> compressor_;
  std::size_t max_message_size_ = 48'000'000;
  TimeoutHandle timer_;
  bool timed_out_ = false;
  bool broken_ = false;
  bool closed_ = false;  // close() ran: the socket is not touched again
  bool busy_ = false;
  // Requests sent with moreToCome: a server that answers them anyway (FerretDB does) has its
  // answers dropped. Bounded.
  std::vector<std::int32_t> unacknowledged_;
};

}  // namespace gale::mongo
