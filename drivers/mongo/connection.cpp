#include "gale/mongo/connection.hpp"
#include "gale/mongo/bson.hpp"

#include <sys/utsname.h>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cstring>

#include "gale/loop/log.hpp"
#include "gale/mongo/error.hpp"
#include "gale/mongo/reply.hpp"
#include "gale/mongo/scram.hpp"

namespace gale::mongo {

using asio::ip::tcp;

struct Connection::Socket {
  explicit Socket(asio::io_context& io) : resolver(io), plain(io) {}
  tcp::resolver resolver;
  tcp::socket plain;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;

  template <class F>
  void with_stream(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(plain);
    }
  }
};

namespace {

std::string version_string() {
  return "0.1.0";
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// Whether a reply has `key: true` (a boolean).
bool reply_true(const Document& reply, const char* key) {
  bson_t doc = bson_view(reply);
  bson_iter_t it;
  return bson_iter_init_find(&it, &doc, key) && BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it);
}

}  // namespace

nlohmann::json client_metadata(const std::string& app_name) {
  utsname u{};
  uname(&u);
  nlohmann::json m = {{"driver", {{"name", "gale"}, {"version", version_string()}}},
                      {"os",
                       {{"type", "Linux"},
                        {"name", std::string(u.sysname)},
                        {"architecture", std::string(u.machine)},
                        {"version", std::string(u.release)}}},
                      {"platform", "C++20, g++ " __VERSION__}};
  if (!app_name.empty()) m["application"] = {{"name", app_name}};
  return m;
}

std::shared_ptr<asio::ssl::context> make_tls_context(const ClientSettings& s) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  asio::error_code ec;
  if (!s.tls_ca_file.empty()) {
    ctx->load_verify_file(s.tls_ca_file, ec);
    if (ec)
      throw Error(ErrorKind::invalid_argument, "tlsCAFile " + s.tls_ca_file + ": " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (!s.tls_certificate_key_file.empty()) {
    if (!s.tls_certificate_key_password.empty()) {
      std::string pw = s.tls_certificate_key_password;
      ctx->set_password_callback(
          [pw](std::size_t, asio::ssl::context::password_purpose) { return pw; });
    }
    ctx->use_certificate_chain_file(s.tls_certificate_key_file, ec);
    if (!ec) ctx->use_private_key_file(s.tls_certificate_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      throw Error(ErrorKind::invalid_argument,
                  "tlsCertificateKeyFile " + s.tls_certificate_key_file + ": " + ec.message());
    }
  }
  ctx->set_verify_mode(s.tls_allow_invalid_certificates ? asio::ssl::verify_none
                                                        : asio::ssl::verify_peer);
  return ctx;
}

Connection::Connection(std::shared_ptr<const ConnectionConfig> config)
    : config_(std::move(config)),
      address_(config_->address.to_string()),
      socket_(std::make_unique<Socket>(IOLoop::current().context())) {
  hello_ = ServerDescription::unknown(address_);
}

Connection::~Connection() {
  disarm();
  // A connection closed already (its loop's clients are closed when the loop closes) may outlive
  // the io_context (a monitor's, of a client kept past its loop): it no longer touches the socket.
  if (!closed_) close();
}

void Connection::close() noexcept {
  broken_ = true;
  closed_ = true;
  asio::error_code ec;
  socket_->resolver.cancel();
  socket_->plain.shutdown(tcp::socket::shutdown_both, ec);
  socket_->plain.close(ec);
}

void Connection::arm(Clock::time_point deadline) {
  timer_.cancel();  // a handle that is replaced is not cancelled by that
  timed_out_ = false;
  if (config_->socket_timeout.count() > 0) {
    deadline = std::min(deadline, Clock::now() + config_->socket_timeout);
  }
  timer_ = IOLoop::current().call_at(deadline, [this] {
    timed_out_ = true;
    close();
  });
}

void Connection::disarm() noexcept {
  timer_.cancel();
}

void Connection::fail(const std::string& what) {
  broken_ = true;
  close();
  if (timed_out_) {
    MongoError e(ErrorKind::timeout,
                 "MongoDB " + address_ + ": no reply before the deadline (" + what +
                     "); the connection was closed",
                 0, "ClientTimeout", {"NetworkError"});
    e.set_network_error(true);
    throw e;
  }
  throw network_error(address_, what);
}

// The handshake's first command (a plain function: bson_t is over-aligned for a coroutine
// frame). The handshake spec: with no declared server API version (gale has no serverApi
// option) and not load-balanced, the legacy hello with helloOk: true; load-balanced, hello.
// Either goes over OP_MSG, uncompressed.
Document Connection::hello_command() const {
  bson_t cmd;
  bson_init(&cmd);
  if (config_->load_balanced) {
    BSON_APPEND_INT32(&cmd, "hello", 1);
  } else {
    BSON_APPEND_INT32(&cmd, "isMaster", 1);
    BSON_APPEND_BOOL(&cmd, "helloOk", true);
  }
  append_json(&cmd, "client", config_->client_metadata);
  if (!config_->compressors.empty()) {
    append_json(&cmd, "compression", nlohmann::json(config_->compressors));
  }
  if (config_->load_balanced) BSON_APPEND_BOOL(&cmd, "loadBalanced", true);
  const auto& cred = config_->credentials;
  if (cred && cred->mechanism.empty()) {
    std::string user = cred->source + "." + cred->username;
    BSON_APPEND_UTF8(&cmd, "saslSupportedMechs", user.c_str());
  }
  BSON_APPEND_UTF8(&cmd, "$db", "admin");
  Document body = from_bson(&cmd);
  bson_destroy(&cmd);
  return body;
}

// A monitoring check carries no handshake arguments (no client, compression or SASL).
Document Connection::heartbeat_command() const {
  bson_t cmd;
  bson_init(&cmd);
  if (hello_ok_) {
    BSON_APPEND_INT32(&cmd, "hello", 1);
  } else {
    BSON_APPEND_INT32(&cmd, "isMaster", 1);
    BSON_APPEND_BOOL(&cmd, "helloOk", true);
  }
  BSON_APPEND_UTF8(&cmd, "$db", "admin");
  Document body = from_bson(&cmd);
  bson_destroy(&cmd);
  return body;
}

Future<Document> Connection::heartbeat(Clock::time_point deadline) {
  // Not a coroutine, like command(); never compressed (OP_COMPRESSED spec: hello, legacy hello).
  auto message = wire::encode_msg(next_request_id(), heartbeat_command());
  return round_trip(std::move(message), deadline, true);
}

Future<std::unique_ptr<Connection>> Connection::open(std::shared_ptr<const ConnectionConfig> config,
                                                     Clock::time_point deadline) {
  std::unique_ptr<Connection> c(new Connection(std::move(config)));
  deadline = std::min(deadline, Clock::now() + c->config_->connect_timeout);
  co_await c->connect(deadline);
  co_await c->handshake(deadline);
  if (c->config_->credentials) co_await c->authenticate(deadline);
  co_return c;
}

Future<void> Connection::connect(Clock::time_point deadline) {
  if (config_->address.unix_socket) {
    throw Error(ErrorKind::invalid_argument,
                "Unix socket addresses are not supported: " + address_);
  }
  arm(deadline);
  Promise<Connection::IoResult> resolved;
  auto resolved_f = resolved.get_future();
  tcp::resolver::results_type endpoints;
  socket_->resolver.async_resolve(config_->address.host, std::to_string(config_->address.port),
                                  [p = std::move(resolved), &endpoints](
                                      asio::error_code ec, tcp::resolver::results_type r) mutable {
                                    endpoints = std::move(r);
                                    p.set_value(Connection::IoResult{ec, 0});
                                  });
  auto r = co_await std::move(resolved_f);
  if (r.ec || timed_out_) {  // the deadline may have closed nothing: the socket was not open yet
    disarm();
    fail("cannot resolve " + config_->address.host + ": " +
         (r.ec ? r.ec.message() : std::string("timed out")));
  }
  Promise<Connection::IoResult> connected;
  auto connected_f = connected.get_future();
  asio::async_connect(
      socket_->plain, endpoints,
      [p = std::move(connected)](asio::error_code ec, const tcp::endpoint&) mutable {
        p.set_value(Connection::IoResult{ec, 0});
      });
  r = co_await std::move(connected_f);
  if (r.ec) {
    disarm();
    fail("cannot connect: " + r.ec.message());
  }
  asio::error_code ignored;
  socket_->plain.set_option(tcp::no_delay(true), ignored);
  socket_->plain.non_blocking(true, ignored);
  if (config_->tls) {
    socket_->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_->plain, *config_->tls);
    const auto& host = config_->address.host;
    asio::error_code ec;
    (void)asio::ip::make_address(host, ec);
    bool is_ip = !ec;
    if (!is_ip) SSL_set_tlsext_host_name(socket_->tls->native_handle(), host.c_str());
    if (config_->verify_hostname)
      socket_->tls->set_verify_callback(asio::ssl::host_name_verification(host));
    Promise<Connection::IoResult> shaken;
    auto shaken_f = shaken.get_future();
    socket_->tls->async_handshake(asio::ssl::stream_base::client,
                                  [p = std::move(shaken)](asio::error_code e) mutable {
                                    p.set_value(Connection::IoResult{e, 0});
                                  });
    r = co_await std::move(shaken_f);
    if (r.ec) {
      disarm();
      fail("TLS handshake failed: " + r.ec.message());
    }
  }
  disarm();
}

Future<void> Connection::handshake(Clock::time_point deadline) {
  Document body = hello_command();
  auto started = Clock::now();
  std::vector<wire::Sequence> none;
  Document reply = co_await command(std::move(body), std::move(none), deadline);
  handshake_rtt_ms_ = elapsed_ms(started);
  check_reply(reply);
  hello_ok_ = config_->load_balanced || reply_true(reply, "helloOk");
  hello_ = ServerDescription::from_hello(address_, reply.to_json(), handshake_rtt_ms_);
  if (hello_.max_wire_version < kMinWireVersion) {
    broken_ = true;
    throw MongoError(ErrorKind::unavailable, "MongoDB " + address_ + " speaks wire version " +
                                                 std::to_string(hello_.max_wire_version) +
                                                 "; gale needs " + std::to_string(kMinWireVersion) +
                                                 " (MongoDB 3.6) or newer");
  }
  max_message_size_ = static_cast<std::size_t>(hello_.max_message_size);
  for (const auto& name : hello_.compression) {
    if (auto c = wire::compressor_named(name)) {
      compressor_ = c;
      break;
    }
  }
}

Future<void> Connection::authenticate(Clock::time_point deadline) {
  const Credentials& cred = *config_->credentials;
  std::string mechanism = cred.mechanism;
  if (mechanism.empty()) {
    const auto& offered = hello_.sasl_supported_mechs;
    bool sha256 = std::find(offered.begin(), offered.end(), "SCRAM-SHA-256") != offered.end();
    mechanism = sha256 || offered.empty() ? "SCRAM-SHA-256" : "SCRAM-SHA-1";
  }
  if (mechanism != "SCRAM-SHA-256" && mechanism != "SCRAM-SHA-1") {
    throw MongoError(ErrorKind::invalid_argument,
                     "authentication mechanism " + mechanism +
                         " is not supported (gale speaks SCRAM-SHA-256 and SCRAM-SHA-1)");
  }
  const ScramHash hash = mechanism == "SCRAM-SHA-1" ? ScramHash::sha1 : ScramHash::sha256;
  ScramConversation scram(hash, cred.username, cred.password);

  auto payload_of = [](const Document& reply) {
    bson_t doc = bson_view(reply);
    bson_iter_t it;
    std::string out;
    if (bson_iter_init_find(&it, &doc, "payload") && BSON_ITER_HOLDS_BINARY(&it)) {
      std::uint32_t len = 0;
      const std::uint8_t* data = nullptr;
      bson_iter_binary(&it, nullptr, &len, &data);
      out.assign(reinterpret_cast<const char*>(data), len);
    }
    return out;
  };
  auto sasl = [&](const char* verb, const std::string& payload, std::int32_t conversation) {
    bson_t cmd;
    bson_init(&cmd);
    BSON_APPEND_INT32(&cmd, verb, 1);
    if (conversation == 0) {
      BSON_APPEND_UTF8(&cmd, "mechanism", mechanism.c_str());
    } else {
      BSON_APPEND_INT32(&cmd, "conversationId", conversation);
    }
    BSON_APPEND_BINARY(&cmd, "payload", BSON_SUBTYPE_BINARY,
                       reinterpret_cast<const std::uint8_t*>(payload.data()),
                       static_cast<std::uint32_t>(payload.size()));
    if (conversation == 0) {
      bson_t opts;
      BSON_APPEND_DOCUMENT_BEGIN(&cmd, "options", &opts);
      BSON_APPEND_BOOL(&opts, "skipEmptyExchange", true);
      bson_append_document_end(&cmd, &opts);
    }
    BSON_APPEND_UTF8(&cmd, "$db", cred.source.c_str());
    Document d = from_bson(&cmd);
    bson_destroy(&cmd);
    return d;
  };
  auto checked = [&](const Document& reply) {
    try {
      check_reply(reply);
    } catch (const MongoError& e) {
      throw MongoError(ErrorKind::unauthorized,
                       "authentication of user \"" + cred.username + "\" on \"" + cred.source +
                           "\" failed: " + e.errmsg(),
                       e.code() ? e.code() : 18,
                       e.code_name().empty() ? "AuthenticationFailed" : e.code_name());
    }
  };

  Document start = sasl("saslStart", scram.client_first(), 0);
  std::vector<wire::Sequence> none1, none2, none3;
  Document first = co_await command(std::move(start), std::move(none1), deadline);
  checked(first);
  auto conversation = static_cast<std::int32_t>(reply_int(first, "conversationId").value_or(1));
  scram.read_server_first(payload_of(first));
  std::string key =
      ScramCache::key_for(hash, cred.username, cred.password, scram.salt(), scram.iterations());
  std::vector<std::uint8_t> salted;
  if (auto cached = config_->scram_cache ? config_->scram_cache->get(key) : std::nullopt) {
    salted = std::move(*cached);
  } else {
    // PBKDF2 runs thousands of rounds: off the loop. (The job is a named local: g++ 12
    // mishandles non-trivial temporaries inside a co_await expression.)
    auto job = [hash, prepared = scram.prepared_password(), salt = scram.salt(),
                n = scram.iterations()] { return scram_salted_password(hash, prepared, salt, n); };
    auto derived = IOLoop::current().run_in_executor(std::move(job));
    salted = co_await std::move(derived);
    if (config_->scram_cache) config_->scram_cache->put(key, salted);
  }
  Document proof = sasl("saslContinue", scram.client_final(salted), conversation);
  Document second = co_await command(std::move(proof), std::move(none2), deadline);
  checked(second);
  scram.verify_server_final(payload_of(second));
  auto done = reply_int(second, "done").value_or(0);
  if (!done) {
    Document empty = sasl("saslContinue", "", conversation);
    Document third = co_await command(std::move(empty), std::move(none3), deadline);
    checked(third);
  }
}

Future<Document> Connection::command(Document body, std::vector<wire::Sequence> sequences,
                                     Clock::time_point deadline) {
  // Not a coroutine: one resumption less per operation.
  auto message = wire::encode_msg(next_request_id(), body, sequences);
  if (compressor_) {
    message = wire::compress_message(message, *compressor_, config_->zlib_level);
  }
  return round_trip(std::move(message), deadline, true);
}

Future<void> Connection::send_unacknowledged(Document body, std::vector<wire::Sequence> sequences,
                                             Clock::time_point deadline) {
  auto message = wire::encode_msg(next_request_id(), body, sequences, wire::kMoreToCome);
  co_await round_trip(std::move(message), deadline, false);
}

std::size_t Connection::write_now(const std::vector<std::uint8_t>& message) {
  if (socket_->tls) return 0;
  std::size_t done = 0;
  while (done < message.size()) {
    asio::error_code ec;
    std::size_t n =
        socket_->plain.write_some(asio::buffer(message.data() + done, message.size() - done), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      disarm();
      fail("write failed: " + ec.message());
    }
    done += n;
  }
  return done;
}

Future<Connection::IoResult> Connection::write_async(const std::vector<std::uint8_t>& message,
                                                     std::size_t from) {
  Promise<Connection::IoResult> p;
  auto f = p.get_future();
  socket_->with_stream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(message.data() + from, message.size() - from),
                      [p = std::move(p)](asio::error_code ec, std::size_t n) mutable {
                        p.set_value(Connection::IoResult{ec, n});
                      });
  });
  return f;
}

Future<Connection::IoResult> Connection::readable() {
  Promise<Connection::IoResult> p;
  auto f = p.get_future();
  socket_->plain.async_wait(tcp::socket::wait_read,
                            [p = std::move(p)](asio::error_code ec) mutable {
                              p.set_value(Connection::IoResult{ec, 0});
                            });
  return f;
}

void Connection::grow_buffer() {
  if (in_.size() - in_len_ < 4096) in_.resize(std::max<std::size_t>(in_.size() * 2, 16384));
  if (in_len_ >= wire::kHeaderSize) {
    auto want = static_cast<std::size_t>(wire::read_header(in_.data()).length);
    if (want > in_.size()) in_.resize(want);
  }
}

bool Connection::read_now() {
  grow_buffer();
  asio::error_code ec;
  std::size_t room = in_.size() - in_len_;
  std::size_t n = socket_->plain.read_some(asio::buffer(in_.data() + in_len_, room), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return false;
  if (ec) {
    disarm();
    fail(ec == asio::error::eof ? std::string("the server closed the connection")
                                : "read failed: " + ec.message());
  }
  in_len_ += n;
  return n == room;  // the buffer filled up: more is likely waiting
}

// The reply of the request in the buffer, if it is complete; throws on a malformed one.
std::optional<Document> Connection::take_reply(std::int32_t request_id) {
  for (;;) {
    if (in_len_ < wire::kHeaderSize) return std::nullopt;
    auto h = wire::read_header(in_.data());
    if (h.length < static_cast<std::int32_t>(wire::kHeaderSize + 5) ||
        static_cast<std::size_t>(h.length) > max_message_size_) {
      disarm();
      fail("protocol error: a reply announces " + std::to_string(h.length) + " bytes (limit " +
           std::to_string(max_message_size_) + ")");
    }
    const auto len = static_cast<std::size_t>(h.length);
    if (in_len_ < len) return std::nullopt;
    wire::Reply reply;
    try {
      reply = wire::decode_reply({in_.data(), len}, max_message_size_);
    } catch (const MongoError&) {
      broken_ = true;
      close();
      disarm();
      throw;
    }
    std::memmove(in_.data(), in_.data() + len, in_len_ - len);
    in_len_ -= len;
    if (reply.response_to == request_id) return std::move(reply.body);
    auto late = std::find(unacknowledged_.begin(), unacknowledged_.end(), reply.response_to);
    if (late == unacknowledged_.end()) {
      disarm();
      fail("protocol error: a reply to request " + std::to_string(reply.response_to) +
           " while waiting for " + std::to_string(request_id));
    }
    unacknowledged_.erase(late);  // an answer to a w:0 write: dropped
  }
}

Future<Document> Connection::round_trip(std::vector<std::uint8_t> message,
                                        Clock::time_point deadline, bool expect_reply) {
  if (broken_) throw network_error(address_, "the connection is closed");
  if (busy_)
    throw Error(ErrorKind::internal, "a MongoDB connection was used by two operations at once");
  if (message.size() > max_message_size_) {
    throw MongoError(ErrorKind::invalid_argument,
                     "the message is " + std::to_string(message.size()) +
                         " bytes, above the server's maxMessageSizeBytes (" +
                         std::to_string(max_message_size_) + ")",
                     10334, "BSONObjectTooLarge");
  }
  busy_ = true;
  struct Idle {
    bool& busy;
    ~Idle() { busy = false; }
  } idle{busy_};
  const auto request_id = static_cast<std::int32_t>(wire::read_header(message.data()).request_id);
  arm(deadline);
  // Plain TCP writes at once (the socket is non-blocking); what does not fit goes asynchronously.
  std::size_t written = write_now(message);
  if (written < message.size()) {
    auto w = co_await write_async(message, written);
    if (w.ec) {
      disarm();
      fail("write failed: " + w.ec.message());
    }
  }
  if (!expect_reply) {
    disarm();
    if (unacknowledged_.size() >= 64) unacknowledged_.erase(unacknowledged_.begin());
    unacknowledged_.push_back(request_id);
    co_return Document();
  }
  bool try_first = false;  // right after a request nothing is there yet: wait, then read
  for (;;) {
    if (auto reply = take_reply(request_id)) {
      disarm();
      co_return std::move(*reply);
    }
    if (socket_->tls) {
      co_await read_more();
      continue;
    }
    if (try_first) {
      try_first = read_now();
      continue;
    }
    auto r = co_await readable();
    if (r.ec) {
      disarm();
      fail("read failed: " + r.ec.message());
    }
    try_first = read_now();
  }
}

Future<void> Connection::read_more() {
  grow_buffer();
  Promise<Connection::IoResult> p;
  auto f = p.get_future();
  socket_->with_stream([&](auto& stream) {
    stream.async_read_some(asio::buffer(in_.data() + in_len_, in_.size() - in_len_),
                           [p = std::move(p)](asio::error_code ec, std::size_t n) mutable {
                             p.set_value(Connection::IoResult{ec, n});
                           });
  });
  auto r = co_await std::move(f);
  if (r.ec) {
    disarm();
    fail(r.ec == asio::error::eof ? std::string("the server closed the connection")
                                  : "read failed: " + r.ec.message());
  }
  in_len_ += r.n;
}

}  // namespace gale::mongo
