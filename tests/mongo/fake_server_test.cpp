// Against a deliberately scripted peer (a fake mongod written here, on the test's loop): a
// client-side deadline closes the socket, "not primary" marks the server Unknown and clears its
// pool, zlib compression is negotiated and used, a reply that lies about its length is refused;
// the handshake (legacy hello with helloOk, or hello when load-balanced) and the monitor's choice
// of hello or legacy hello from the handshake's helloOk.
#include <catch2/catch.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <cstring>
#include <functional>
#include <optional>

#include "gale/mongo/topology_description.hpp"
#include "gale/mongo/wire.hpp"
#include "mongo/support.hpp"

using namespace std::chrono_literals;
using asio::ip::tcp;
using gale::ErrorKind;
using gale::IOLoop;
using gale::mongo::Client;
using gale::mongo::Document;
using gale::mongo::json;
namespace wire = gale::mongo::wire;

namespace {

// legacy: a server like mongo-java-server, which answers the legacy hello (isMaster) without
// helloOk and does not know the hello command.
enum class Mode {
  ok,
  silent,
  not_primary,
  lying_length,
  replica_set_flaky_write,
  small_limits,
  legacy
};

// One message the fake server received.
struct Request {
  int connection = 0;  // in accept order, from 0
  int index = 0;       // 0: the first message on its connection
  std::int32_t opcode = 0;
  std::string command;  // the body's first key
  json body;
};

bool is_hello(const std::string& command) {
  return command == "hello" || command == "isMaster" || command == "ismaster";
}

class FakeServer {
 public:
  explicit FakeServer(IOLoop& loop, Mode mode) : mode_(mode), acceptor_(loop.context()) {
    tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(at.protocol());
    acceptor_.bind(at);
    acceptor_.listen();
    accept();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  std::string uri(const std::string& options) const {
    return "mongodb://127.0.0.1:" + std::to_string(port()) + "/?" + options;
  }
  int finds = 0;
  std::vector<json> inserts;               // the insert commands received
  std::vector<std::size_t> batch_sizes;    // documents per insert (its document sequence)
  std::vector<std::size_t> message_sizes;  // bytes per insert message
  int compressed_requests = 0;
  int connections = 0;
  std::vector<Request> requests;  // every message, in arrival order
  // When set, answers every command but the hellos (a reply, or nullopt to close the connection).
  std::function<std::optional<json>(const json& request)> script;

  // The requests whose command is `command`, in arrival order.
  std::vector<json> received(const std::string& command) const {
    std::vector<json> out;
    for (const auto& r : requests)
      if (r.command == command) out.push_back(r.body);
    return out;
  }
  // Resolves once `n` requests of `command` have arrived.
  gale::Future<void> commands_reached(std::string command, std::size_t n) {
    want_command_ = std::move(command);
    want_commands_ = n;
    command_waiter_ = gale::Promise<void>();
    auto f = command_waiter_.get_future();
    notify_heartbeats();
    return f;
  }

  // The hellos that are not the first message on their connection: the monitor's checks.
  std::vector<Request> heartbeats() const {
    std::vector<Request> out;
    for (const auto& r : requests)
      if (r.index > 0 && is_hello(r.command)) out.push_back(r);
    return out;
  }
  // Resolves once `n` heartbeats have arrived.
  gale::Future<void> heartbeats_reached(std::size_t n) {
    want_heartbeats_ = n;
    heartbeat_waiter_ = gale::Promise<void>();
    auto f = heartbeat_waiter_.get_future();
    notify_heartbeats();
    return f;
  }

 private:
  struct Conn {
    Conn(tcp::socket s, int n) : socket(std::move(s)), id(n) {}
    tcp::socket socket;
    int id;
    int received = 0;
    std::vector<std::uint8_t> in;
    std::vector<std::uint8_t> out;
    bool compress = false;
  };

  void notify_heartbeats() {
    if (want_heartbeats_ > 0 && heartbeats().size() >= want_heartbeats_) {
      want_heartbeats_ = 0;
      heartbeat_waiter_.set_value();
    }
    if (want_commands_ > 0 && received(want_command_).size() >= want_commands_) {
      want_commands_ = 0;
      command_waiter_.set_value();
    }
  }

  void record(Conn& c, std::int32_t opcode, const Document& body) {
    auto ordered = body.to_ordered_json();
    std::string command = ordered.empty() ? "" : ordered.begin().key();
    requests.push_back({c.id, c.received++, opcode, command, body.to_json()});
    notify_heartbeats();
  }

  // The reply to a hello or legacy hello: the legacy one says ismaster, and helloOk when asked
  // (unless the server is a legacy one, which does not know hello).
  json hello_reply(const std::string& command, const json& request) const {
    json reply = {{"ok", 1},
                  {"maxWireVersion", mode_ == Mode::legacy ? 6 : 17},
                  {"minWireVersion", 0},
                  {"maxBsonObjectSize", 16777216},
                  {"maxMessageSizeBytes", 48000000},
                  {"maxWriteBatchSize", 100000}};
    if (command == "hello") {
      reply["isWritablePrimary"] = true;
    } else {
      reply["ismaster"] = true;
      if (request.value("helloOk", false) && mode_ != Mode::legacy) reply["helloOk"] = true;
    }
    return reply;
  }

  void accept() {
    acceptor_.async_accept([this](asio::error_code ec, tcp::socket s) {
      if (ec) return;
      auto c = std::make_shared<Conn>(std::move(s), connections++);
      conns_.push_back(c);
      read_header(c);
      accept();
    });
  }

  void read_header(std::shared_ptr<Conn> c) {
    c->in.assign(16, 0);
    asio::async_read(c->socket, asio::buffer(c->in), [this, c](asio::error_code ec, std::size_t) {
      if (ec) return;
      auto h = wire::read_header(c->in.data());
      c->in.resize(static_cast<std::size_t>(h.length));
      asio::async_read(c->socket, asio::buffer(c->in.data() + 16, c->in.size() - 16),
                       [this, c](asio::error_code e, std::size_t) {
                         if (!e) answer(c);
                       });
    });
  }

  // Documents in the kind-1 sections of an (uncompressed) OP_MSG.
  static std::size_t sequence_documents(const std::vector<std::uint8_t>& m) {
    auto get32 = [&](std::size_t at) {
      std::int32_t v = 0;
      std::memcpy(&v, m.data() + at, 4);
      return static_cast<std::size_t>(v);
    };
    std::size_t count = 0, pos = 20;
    while (pos < m.size()) {
      std::uint8_t kind = m[pos++];
      std::size_t size = get32(pos);
      if (kind == 1) {
        std::size_t p = pos + 4;
        while (m[p] != 0) ++p;
        for (++p; p < pos + size; p += get32(p)) ++count;
      }
      pos += size;
    }
    return count;
  }

  void answer(std::shared_ptr<Conn> c) {
    auto h = wire::read_header(c->in.data());
    if (h.opcode == wire::kOpCompressed) ++compressed_requests;
    auto decoded = wire::decode_reply(c->in, 48'000'000);
    record(*c, h.opcode, decoded.body);
    const std::string command = requests.back().command;
    const bool first = requests.back().index == 0;
    auto request = decoded.body.to_json();
    json reply;
    if (command == "hello" && mode_ == Mode::legacy) {
      reply = {{"ok", 0},
               {"code", 59},
               {"codeName", "CommandNotFound"},
               {"errmsg", "no such command: 'hello'"}};
    } else if (is_hello(command)) {
      reply = hello_reply(command, request);
      if (mode_ == Mode::small_limits) {
        reply["maxWriteBatchSize"] = 10;
        reply["maxMessageSizeBytes"] = 64 * 1024;
      }
      if (mode_ == Mode::replica_set_flaky_write) {
        std::string me = "127.0.0.1:" + std::to_string(port());
        reply["setName"] = "rs";
        reply["hosts"] = json::array({me});
        reply["me"] = me;
        reply["logicalSessionTimeoutMinutes"] = 30;
      }
      for (const auto& name : request.value("compression", json::array())) {
        if (name == "zlib") reply["compression"] = json::array({"zlib"});
      }
    } else if (script) {
      auto scripted = script(request);
      if (!scripted) {
        asio::error_code ignored;
        c->socket.close(ignored);  // a network error
        return;
      }
      reply = std::move(*scripted);
    } else if (request.contains("find")) {
      ++finds;
      if (mode_ == Mode::silent) return read_header(c);  // never answers
      if (mode_ == Mode::not_primary) {
        reply = {{"ok", 0},
                 {"code", 10107},
                 {"codeName", "NotWritablePrimary"},
                 {"errmsg", "not primary"}};
      } else {
        reply = {
            {"ok", 1},
            {"cursor", {{"id", 0}, {"ns", "db.c"}, {"firstBatch", json::array({{{"_id", 1}}})}}}};
      }
    } else if (request.contains("insert")) {
      inserts.push_back(request);
      batch_sizes.push_back(sequence_documents(c->in));
      message_sizes.push_back(c->in.size());
      if (mode_ == Mode::replica_set_flaky_write && inserts.size() == 1) {
        asio::error_code ignored;
        c->socket.close(ignored);  // a network error after the write was sent
        return;
      }
      reply = {{"ok", 1}, {"n", batch_sizes.back()}};
    } else {
      reply = {{"ok", 1}};
    }
    c->out = wire::encode_msg(1, Document(reply));
    std::memcpy(c->out.data() + 8, c->in.data() + 4, 4);  // responseTo
    if (request.contains("find") && mode_ == Mode::lying_length) {
      std::int32_t huge = 1 << 30;
      std::memcpy(c->out.data(), &huge, 4);
    }
    if (c->compress) c->out = wire::compress_message(c->out, wire::Compressor::zlib);
    if (first && reply.contains("compression")) c->compress = true;
    asio::async_write(c->socket, asio::buffer(c->out), [this, c](asio::error_code ec, std::size_t) {
      if (!ec) read_header(c);
    });
  }

  Mode mode_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Conn>> conns_;
  std::size_t want_heartbeats_ = 0;
  gale::Promise<void> heartbeat_waiter_;
  std::string want_command_;
  std::size_t want_commands_ = 0;
  gale::Promise<void> command_waiter_;
};

}  // namespace

TEST_CASE("a client-side deadline fails with timeout and closes the connection") {
  IOLoop loop;
  FakeServer server(loop, Mode::silent);
  Client client(server.uri("serverSelectionTimeoutMS=2000"));
  gale::mongo::FindOptions o;
  o.timeout = 300ms;
  auto started = gale::Clock::now();
  try {
    loop.run_sync([&] { return client["db"]["c"].find_one({}, o); }, 10s);
    FAIL("no error");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::timeout);
  }
  auto took = gale::Clock::now() - started;
  CHECK(took >= 250ms);
  CHECK(took < 2s);
  CHECK(server.finds == 1);  // a timeout is not retried
  auto stats = client.pool_stats();
  CHECK(stats.discarded >= 1);  // the socket with a pending reply is never reused
  CHECK(stats.in_use == 0);
}

TEST_CASE("not primary marks the server Unknown, clears its pool, and a read retries once") {
  IOLoop loop;
  FakeServer server(loop, Mode::not_primary);
  Client client(server.uri("serverSelectionTimeoutMS=2000&heartbeatFrequencyMS=60000"));
  try {
    loop.run_sync([&] { return client["db"]["c"].find_one(); }, 10s);
    FAIL("no error");
  } catch (const gale::mongo::MongoError& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
    CHECK(e.code() == 10107);
    CHECK(e.code_name() == "NotWritablePrimary");
  }
  CHECK(server.finds == 2);  // the retryable read went once more, after a fresh check
  CHECK(client.pool_stats().discarded >= 1);
}

TEST_CASE("zlib compression is negotiated in the handshake and used for commands") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  Client client(server.uri("compressors=zlib&serverSelectionTimeoutMS=2000"));
  auto doc = loop.run_sync([&] { return client["db"]["c"].find_one(); }, 10s);
  REQUIRE(doc);
  CHECK((*doc)["_id"] == 1);
  CHECK(server.compressed_requests >= 1);
}

TEST_CASE("a reply that lies about its length is a protocol error, not a 1 GiB allocation") {
  IOLoop loop;
  FakeServer server(loop, Mode::lying_length);
  Client client(server.uri("serverSelectionTimeoutMS=2000&retryReads=false"));
  try {
    loop.run_sync([&] { return client["db"]["c"].find_one(); }, 10s);
    FAIL("no error");
  } catch (const gale::Error& e) {
    CHECK(std::string(e.what()).find("protocol error") != std::string::npos);
  }
  CHECK(client.pool_stats().discarded >= 1);
}

TEST_CASE(
    "a retryable write is retried once after a network error, with the same lsid and txnNumber") {
  IOLoop loop;
  FakeServer server(loop, Mode::replica_set_flaky_write);
  Client client(server.uri("replicaSet=rs&serverSelectionTimeoutMS=2000"));
  auto r = loop.run_sync([&] { return client["db"]["c"].insert_one({{"_id", 7}}); }, 10s);
  CHECK(r.inserted_id == 7);
  REQUIRE(server.inserts.size() == 2);
  const json first = server.inserts[0];
  const json second = server.inserts[1];
  REQUIRE(first.contains("lsid"));
  REQUIRE(first.contains("txnNumber"));
  CHECK(first["lsid"] == second["lsid"]);
  CHECK(first["txnNumber"] == second["txnNumber"]);
  CHECK(first["lsid"]["id"]["$binary"]["subType"] == "04");
  // The next write takes the next transaction number on the (pooled) session.
  loop.run_sync([&] { return client["db"]["c"].insert_one({{"_id", 8}}); }, 10s);
  REQUIRE(server.inserts.size() == 3);
  CHECK(server.inserts[2]["lsid"] == first["lsid"]);
  CHECK(server.inserts[2]["txnNumber"].get<std::int64_t>() ==
        first["txnNumber"].get<std::int64_t>() + 1);
}

TEST_CASE("retryWrites=false: a network error during a write is not retried") {
  IOLoop loop;
  FakeServer server(loop, Mode::replica_set_flaky_write);
  Client client(server.uri("replicaSet=rs&retryWrites=false&serverSelectionTimeoutMS=2000"));
  try {
    loop.run_sync([&] { return client["db"]["c"].insert_one({{"_id", 7}}); }, 10s);
    FAIL("no error");
  } catch (const gale::mongo::MongoError& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
    CHECK(e.network_error());
  }
  CHECK(server.inserts.size() == 1);
  CHECK_FALSE(server.inserts[0].contains("txnNumber"));
}

TEST_CASE("insert_many splits at the server's maxWriteBatchSize and maxMessageSizeBytes") {
  IOLoop loop;
  FakeServer server(loop, Mode::small_limits);
  Client client(server.uri("serverSelectionTimeoutMS=2000"));
  auto c = client["db"]["c"];
  std::vector<json> small;
  for (int i = 0; i < 25; ++i) small.push_back({{"_id", i}});
  auto r = loop.run_sync([&] { return c.insert_many(small); }, 10s);
  CHECK(r.inserted_ids.size() == 25);
  CHECK(server.batch_sizes == std::vector<std::size_t>{10, 10, 5});  // maxWriteBatchSize 10
  server.batch_sizes.clear();
  server.message_sizes.clear();
  std::vector<json> big;
  for (int i = 0; i < 20; ++i) big.push_back({{"_id", 100 + i}, {"pad", std::string(5000, 'x')}});
  auto r2 = loop.run_sync([&] { return c.insert_many(big); }, 10s);
  CHECK(r2.inserted_ids.size() == 20);
  std::size_t total = 0;
  for (auto n : server.batch_sizes) total += n;
  CHECK(total == 20);
  CHECK(server.batch_sizes.size() >= 3);  // ~5 KB documents under a 64 KiB message limit
  for (auto bytes : server.message_sizes) CHECK(bytes <= 64u * 1024);
}

// The handshake spec: with no server API version declared and not load-balanced, the first
// message on every connection is the legacy hello with helloOk: true and the client metadata,
// over OP_MSG, uncompressed. A reply with helloOk: true makes the monitor check with hello.
TEST_CASE(
    "the handshake is the legacy hello with helloOk, and a helloOk server is checked with hello") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  Client client(server.uri(
      "compressors=zlib&appName=hs&heartbeatFrequencyMS=500&serverSelectionTimeoutMS=2000"));
  auto doc = loop.run_sync([&] { return client["db"]["c"].find_one(); }, 10s);
  REQUIRE(doc);
  loop.run_sync([&] { return server.heartbeats_reached(2); }, 10s);
  int handshakes = 0;
  for (const auto& r : server.requests) {
    if (r.index != 0) continue;
    ++handshakes;
    CHECK(r.opcode == wire::kOpMsg);
    CHECK(r.command == "isMaster");
    CHECK(r.body["helloOk"] == true);
    CHECK(r.body["$db"] == "admin");
    CHECK(r.body["client"]["driver"]["name"] == "gale");
    CHECK(r.body["client"]["application"]["name"] == "hs");
    CHECK(r.body["compression"] == json::array({"zlib"}));
    CHECK_FALSE(r.body.contains("loadBalanced"));
  }
  CHECK(handshakes >= 2);  // the monitor's connection and the pool's
  for (const auto& r : server.heartbeats()) {
    CHECK(r.opcode == wire::kOpMsg);  // never compressed, though zlib was negotiated
    CHECK(r.command == "hello");
    CHECK_FALSE(r.body.contains("client"));
    CHECK_FALSE(r.body.contains("compression"));
  }
  CHECK(server.compressed_requests >= 1);  // the find was compressed
}

TEST_CASE("a server that does not say helloOk is checked with the legacy hello and serves") {
  IOLoop loop;
  FakeServer server(loop, Mode::legacy);  // like mongo-java-server: no hello command
  Client client(server.uri("heartbeatFrequencyMS=500&serverSelectionTimeoutMS=2000"));
  loop.run_sync([&] { return server.heartbeats_reached(2); }, 10s);
  auto doc = loop.run_sync([&] { return client["db"]["c"].find_one(); }, 10s);
  REQUIRE(doc);
  CHECK((*doc)["_id"] == 1);
  auto r = loop.run_sync([&] { return client["db"]["c"].insert_one({{"_id", 3}}); }, 10s);
  CHECK(r.inserted_id == 3);
  for (const auto& req : server.requests) CHECK(req.command != "hello");
  const auto beats = server.heartbeats();
  REQUIRE(beats.size() >= 2);
  for (const auto& b : beats) {
    CHECK(b.opcode == wire::kOpMsg);
    CHECK(b.command == "isMaster");
    CHECK_FALSE(b.body.contains("client"));
  }
  const auto& servers = client.topology().servers();
  REQUIRE(servers.size() == 1);
  CHECK(servers.begin()->second.type == gale::mongo::ServerType::standalone);
  for (const auto& b : beats) CHECK(b.connection == beats.front().connection);  // none failed
}

TEST_CASE("load-balanced: the handshake is hello with loadBalanced: true, over OP_MSG") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  Client client(server.uri("loadBalanced=true&serverSelectionTimeoutMS=2000"));
  auto doc = loop.run_sync([&] { return client["db"]["c"].find_one(); }, 10s);
  REQUIRE(doc);
  REQUIRE_FALSE(server.requests.empty());
  const auto& first = server.requests.front();
  CHECK(first.index == 0);
  CHECK(first.opcode == wire::kOpMsg);
  CHECK(first.command == "hello");
  CHECK(first.body["loadBalanced"] == true);
  CHECK(first.body["$db"] == "admin");
  CHECK(first.body["client"]["driver"]["name"] == "gale");
  CHECK_FALSE(first.body.contains("helloOk"));
  CHECK(server.heartbeats().empty());  // no monitor in load-balanced mode
}

// ---- Change streams (the change-streams spec's resume rules), against a scripted peer that
// speaks wire version 17: a server error is resumable only with the ResumableChangeStreamError
// label (or CursorNotFound).

namespace {

json change_event(const std::string& token, int id) {
  return {{"_id", {{"_data", token}}},
          {"operationType", "insert"},
          {"documentKey", {{"_id", id}}},
          {"fullDocument", {{"_id", id}}}};
}

json cursor_reply(std::int64_t id, const char* batch_key, json batch, json post_batch_token) {
  json cursor = {{"id", id}, {"ns", "db.c"}, {batch_key, std::move(batch)}};
  if (!post_batch_token.is_null()) cursor["postBatchResumeToken"] = std::move(post_batch_token);
  return {{"ok", 1}, {"cursor", std::move(cursor)}};
}

json error_reply(int code, bool resumable_label) {
  json reply = {{"ok", 0}, {"code", code}, {"codeName", "Scripted"}, {"errmsg", "scripted"}};
  if (resumable_label) reply["errorLabels"] = json::array({"ResumableChangeStreamError"});
  return reply;
}

const json& change_stream_stage(const json& aggregate) {
  return aggregate.at("pipeline").at(0).at("$changeStream");
}

}  // namespace

TEST_CASE("a change stream resumes once after a resumable getMore error, after its last token") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  int aggregates = 0;
  server.script = [&](const json& r) -> std::optional<json> {
    if (r.contains("aggregate")) {
      if (++aggregates == 1) {
        return cursor_reply(42, "firstBatch", json::array({change_event("01", 1)}), nullptr);
      }
      return cursor_reply(43, "firstBatch", json::array({change_event("02", 2)}), nullptr);
    }
    if (r.contains("getMore")) return error_reply(1234, true);
    return json{{"ok", 1}};
  };
  Client client(server.uri("serverSelectionTimeoutMS=2000"));
  auto coll = client["db"]["c"];
  gale::mongo::ChangeStreamOptions o;
  o.full_document = "updateLookup";
  o.max_await_time = 300ms;
  o.batch_size = 7;
  json pipeline = json::array({{{"$match", {{"operationType", "insert"}}}}});
  auto stream = loop.run_sync([&] { return coll.watch(pipeline, o); }, 10s);
  auto first = loop.run_sync([&] { return stream.next(); }, 10s);
  REQUIRE(first);
  CHECK((*first)["documentKey"]["_id"] == 1);
  CHECK(stream.resume_token() == json{{"_data", "01"}});
  auto second = loop.run_sync([&] { return stream.next(); }, 10s);
  REQUIRE(second);
  CHECK((*second)["documentKey"]["_id"] == 2);
  CHECK(stream.resume_token() == json{{"_data", "02"}});
  loop.run_sync([&] { return server.commands_reached("killCursors", 1); }, 10s);

  const auto sent = server.received("aggregate");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0]["aggregate"] == "c");
  CHECK(sent[0]["pipeline"].size() == 2);
  CHECK(sent[0]["pipeline"][1] == pipeline[0]);
  CHECK(sent[0]["cursor"]["batchSize"] == 7);
  const json& original = change_stream_stage(sent[0]);
  CHECK(original == json{{"fullDocument", "updateLookup"}});
  const json& resumed = change_stream_stage(sent[1]);
  CHECK(resumed["resumeAfter"] == json{{"_data", "01"}});
  CHECK(resumed["fullDocument"] == "updateLookup");
  CHECK_FALSE(resumed.contains("startAfter"));
  CHECK_FALSE(resumed.contains("startAtOperationTime"));
  CHECK(sent[1]["pipeline"][1] == pipeline[0]);
  const auto get_mores = server.received("getMore");
  REQUIRE(get_mores.size() == 1);
  CHECK(get_mores[0]["getMore"] == 42);
  CHECK(get_mores[0]["collection"] == "c");
  CHECK(get_mores[0]["maxTimeMS"] == 300);
  CHECK(get_mores[0]["batchSize"] == 7);
  const auto kills = server.received("killCursors");
  CHECK(kills[0]["cursors"] == json::array({42}));  // the old cursor, on its server
}

TEST_CASE("a change stream fails typed on a non-resumable getMore error and does not resume") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  server.script = [&](const json& r) -> std::optional<json> {
    if (r.contains("aggregate")) return cursor_reply(42, "firstBatch", json::array(), nullptr);
    // HostUnreachable without the label: resumable only below wire version 9.
    if (r.contains("getMore")) return error_reply(6, false);
    return json{{"ok", 1}};
  };
  Client client(server.uri("serverSelectionTimeoutMS=2000"));
  auto coll = client["db"]["c"];
  auto stream = loop.run_sync([&] { return coll.watch(); }, 10s);
  try {
    loop.run_sync([&] { return stream.next(); }, 10s);
    FAIL("no error");
  } catch (const gale::mongo::MongoError& e) {
    CHECK(e.code() == 6);
  }
  CHECK(server.received("aggregate").size() == 1);
  CHECK(server.received("getMore").size() == 1);
  CHECK_FALSE(stream.alive());
  CHECK_FALSE(loop.run_sync([&] { return stream.next(); }, 10s));  // closed: over
}

TEST_CASE("a change stream resumes only once: a failed resume aggregate fails next()") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  int aggregates = 0;
  server.script = [&](const json& r) -> std::optional<json> {
    if (r.contains("aggregate")) {
      if (++aggregates == 1) return cursor_reply(42, "firstBatch", json::array(), nullptr);
      return error_reply(1234, true);  // an aggregate's error is never resumable
    }
    if (r.contains("getMore")) return error_reply(43, false);  // CursorNotFound: resumable
    return json{{"ok", 1}};
  };
  Client client(server.uri("serverSelectionTimeoutMS=2000"));
  auto coll = client["db"]["c"];
  auto stream = loop.run_sync([&] { return coll.watch(); }, 10s);
  try {
    loop.run_sync([&] { return stream.next(); }, 10s);
    FAIL("no error");
  } catch (const gale::mongo::MongoError& e) {
    CHECK(e.code() == 1234);
  }
  CHECK(server.received("aggregate").size() == 2);
  CHECK(server.received("getMore").size() == 1);
}

TEST_CASE("a change stream resumes twice when each resume aggregate succeeds") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  int aggregates = 0, get_mores = 0;
  server.script = [&](const json& r) -> std::optional<json> {
    if (r.contains("aggregate")) {
      ++aggregates;
      return cursor_reply(40 + aggregates, "firstBatch", json::array(), nullptr);
    }
    if (r.contains("getMore") && ++get_mores <= 2) return error_reply(1234, true);
    if (r.contains("getMore")) {
      return cursor_reply(r["getMore"], "nextBatch", json::array({change_event("09", 9)}), nullptr);
    }
    return json{{"ok", 1}};
  };
  Client client(server.uri("serverSelectionTimeoutMS=2000"));
  auto coll = client["db"]["c"];
  auto stream = loop.run_sync([&] { return coll.watch(); }, 10s);
  auto event = loop.run_sync([&] { return stream.next(); }, 10s);
  REQUIRE(event);
  CHECK((*event)["documentKey"]["_id"] == 9);
  CHECK(aggregates == 3);
  CHECK(get_mores == 3);
}

TEST_CASE("after a network error a change stream resumes without killing its old cursor") {
  // The server at that address may be another process (killed and restarted) that numbers its
  // cursors afresh, as mongo-java-server does from 1: a killCursors for the old id, sent in the
  // background while the resume runs, would kill the resumed stream's own new cursor there.
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  int aggregates = 0, get_mores = 0;
  bool killed = false;
  server.script = [&](const json& r) -> std::optional<json> {
    if (r.contains("aggregate")) {
      ++aggregates;
      killed = false;  // the restarted server's cursor 1
      return cursor_reply(1, "firstBatch",
                          json::array({change_event(aggregates == 1 ? "01" : "02", aggregates)}),
                          nullptr);
    }
    if (r.contains("killCursors")) {
      killed = true;
      return json{{"ok", 1}, {"cursorsKilled", r["cursors"]}};
    }
    if (r.contains("getMore") && ++get_mores == 1) return std::nullopt;  // the server goes away
    if (r.contains("getMore") && killed) return error_reply(43, false);  // CursorNotFound
    if (r.contains("getMore")) {
      const int id = 1 + get_mores;  // 3, 4, ...
      return cursor_reply(1, "nextBatch", json::array({change_event("0" + std::to_string(id), id)}),
                          nullptr);
    }
    return json{{"ok", 1}};
  };
  Client client(server.uri("serverSelectionTimeoutMS=5000"));
  auto coll = client["db"]["c"];
  auto stream = loop.run_sync([&] { return coll.watch(); }, 10s);
  std::vector<int> ids;
  for (int i = 0; i < 5; ++i) {
    auto event = loop.run_sync([&] { return stream.next(); }, 15s);
    REQUIRE(event);
    ids.push_back((*event)["documentKey"]["_id"].get<int>());
  }
  CHECK(ids == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(aggregates == 2);  // one resume, and its cursor was never killed
  CHECK(server.received("killCursors").empty());
  CHECK(change_stream_stage(server.received("aggregate")[1])["resumeAfter"] ==
        json{{"_data", "01"}});
}

TEST_CASE("startAfter, postBatchResumeToken and the saved operationTime choose where to resume") {
  SECTION("startAfter with no event returned yet resumes with startAfter the latest token") {
    IOLoop loop;
    FakeServer server(loop, Mode::ok);
    int aggregates = 0;
    server.script = [&](const json& r) -> std::optional<json> {
      if (r.contains("aggregate")) {
        if (++aggregates == 1) {
          return cursor_reply(42, "firstBatch", json::array(), json{{"_data", "P1"}});
        }
        return cursor_reply(43, "firstBatch", json::array({change_event("03", 3)}),
                            json{{"_data", "P2"}});
      }
      if (r.contains("getMore")) return std::nullopt;  // the connection drops: a network error
      return json{{"ok", 1}};
    };
    Client client(server.uri("serverSelectionTimeoutMS=5000"));
    auto coll = client["db"]["c"];
    gale::mongo::ChangeStreamOptions o;
    o.start_after = {{"_data", "S"}};
    auto stream = loop.run_sync([&] { return coll.watch(json::array(), o); }, 10s);
    CHECK(stream.resume_token() == json{{"_data", "P1"}});  // an empty batch's PBRT
    auto event = loop.run_sync([&] { return stream.next(); }, 15s);
    REQUIRE(event);
    CHECK((*event)["documentKey"]["_id"] == 3);
    CHECK(stream.resume_token() == json{{"_data", "P2"}});  // the batch's last: its PBRT
    const auto sent = server.received("aggregate");
    REQUIRE(sent.size() == 2);
    CHECK(change_stream_stage(sent[0])["startAfter"] == json{{"_data", "S"}});
    const json& resumed = change_stream_stage(sent[1]);
    CHECK(resumed["startAfter"] == json{{"_data", "P1"}});
    CHECK_FALSE(resumed.contains("resumeAfter"));
  }
  SECTION("no token: the operationTime of the first empty aggregate is where it resumes") {
    IOLoop loop;
    FakeServer server(loop, Mode::ok);
    int aggregates = 0;
    server.script = [&](const json& r) -> std::optional<json> {
      if (r.contains("aggregate")) {
        auto reply = cursor_reply(42 + aggregates, "firstBatch", json::array(), nullptr);
        if (++aggregates == 1) reply["operationTime"] = {{"$timestamp", {{"t", 5}, {"i", 1}}}};
        return reply;
      }
      if (r.contains("getMore") && r["getMore"] == 42) return error_reply(43, false);
      if (r.contains("getMore")) {
        return cursor_reply(43, "nextBatch", json::array({change_event("04", 4)}), nullptr);
      }
      return json{{"ok", 1}};
    };
    Client client(server.uri("serverSelectionTimeoutMS=2000"));
    auto coll = client["db"]["c"];
    auto stream = loop.run_sync([&] { return coll.watch(); }, 10s);
    CHECK_FALSE(stream.resume_token());
    auto event = loop.run_sync([&] { return stream.next(); }, 10s);
    REQUIRE(event);
    const auto sent = server.received("aggregate");
    REQUIRE(sent.size() == 2);
    CHECK_FALSE(change_stream_stage(sent[0]).contains("startAtOperationTime"));
    const json& resumed = change_stream_stage(sent[1]);
    CHECK(resumed["startAtOperationTime"] == json{{"$timestamp", {{"t", 5}, {"i", 1}}}});
    CHECK_FALSE(resumed.contains("resumeAfter"));
    CHECK_FALSE(resumed.contains("startAfter"));
  }
}

TEST_CASE("a change event without its _id fails the stream with ChangeStreamFatalError") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  server.script = [&](const json& r) -> std::optional<json> {
    if (r.contains("aggregate")) {
      return cursor_reply(42, "firstBatch", json::array({{{"operationType", "insert"}}}), nullptr);
    }
    return json{{"ok", 1}};
  };
  Client client(server.uri("serverSelectionTimeoutMS=2000"));
  auto coll = client["db"]["c"];
  json pipeline = json::array({{{"$project", {{"_id", 0}}}}});
  auto stream = loop.run_sync([&] { return coll.watch(pipeline); }, 10s);
  try {
    loop.run_sync([&] { return stream.next(); }, 10s);
    FAIL("no error");
  } catch (const gale::mongo::MongoError& e) {
    CHECK(e.kind() == ErrorKind::invalid_argument);
    CHECK(e.code_name() == "ChangeStreamFatalError");
    CHECK(std::string(e.what()).find("resume token is missing") != std::string::npos);
  }
  CHECK_FALSE(stream.alive());
  loop.run_sync([&] { return server.commands_reached("killCursors", 1); }, 10s);
  CHECK(server.received("aggregate").size() == 1);
}

TEST_CASE("dropping a change stream kills its cursor, with the ns of database and client streams") {
  IOLoop loop;
  FakeServer server(loop, Mode::ok);
  server.script = [&](const json& r) -> std::optional<json> {
    if (r.contains("aggregate")) {
      json reply =
          cursor_reply(r["aggregate"] == "c" ? 42 : 77, "firstBatch", json::array(), nullptr);
      if (r["aggregate"] != "c")
        reply["cursor"]["ns"] = r["$db"].get<std::string>() + ".$cmd.aggregate";
      return reply;
    }
    if (r.contains("getMore")) {
      json reply = cursor_reply(r["getMore"], "nextBatch", json::array(), nullptr);
      reply["cursor"]["ns"] =
          r["$db"].get<std::string>() + "." + r["collection"].get<std::string>();
      return reply;
    }
    return json{{"ok", 1}};
  };
  Client client(server.uri("serverSelectionTimeoutMS=2000"));
  auto coll = client["db"]["c"];
  {
    auto stream = loop.run_sync([&] { return coll.watch(); }, 10s);
    CHECK(stream.id() == 42);
    CHECK_FALSE(loop.run_sync([&] { return stream.try_next(); }, 10s));  // one empty getMore
  }
  loop.run_sync([&] { return server.commands_reached("killCursors", 1); }, 10s);
  auto kills = server.received("killCursors");
  CHECK(kills[0]["killCursors"] == "c");
  CHECK(kills[0]["cursors"] == json::array({42}));
  CHECK(kills[0]["$db"] == "db");

  auto db = client["db"];
  {
    auto stream = loop.run_sync([&] { return db.watch(); }, 10s);
    CHECK_FALSE(loop.run_sync([&] { return stream.try_next(); }, 10s));
  }
  loop.run_sync([&] { return server.commands_reached("killCursors", 2); }, 10s);
  {
    auto stream = loop.run_sync([&] { return client.watch(); }, 10s);
    stream.close();
    CHECK_FALSE(stream.alive());
    CHECK_FALSE(loop.run_sync([&] { return stream.next(); }, 10s));
  }
  loop.run_sync([&] { return server.commands_reached("killCursors", 3); }, 10s);
  const auto aggregates = server.received("aggregate");
  REQUIRE(aggregates.size() == 3);
  CHECK(aggregates[1]["aggregate"] == 1);
  CHECK(aggregates[1]["$db"] == "db");
  CHECK_FALSE(change_stream_stage(aggregates[1]).contains("allChangesForCluster"));
  CHECK(aggregates[2]["aggregate"] == 1);
  CHECK(aggregates[2]["$db"] == "admin");
  CHECK(change_stream_stage(aggregates[2])["allChangesForCluster"] == true);
  const auto get_mores = server.received("getMore");
  REQUIRE(get_mores.size() == 2);
  CHECK(get_mores[1]["collection"] == "$cmd.aggregate");
  kills = server.received("killCursors");
  CHECK(kills[1]["killCursors"] == "$cmd.aggregate");
  CHECK(kills[1]["cursors"] == json::array({77}));
  CHECK(kills[2]["$db"] == "admin");
  // The replies to the killCursors are counted once the client has read them.
  loop.run_sync(
      [&]() -> gale::Future<void> {
        while (client.cursors_killed() < 3) co_await gale::moment();
      },
      10s);
  CHECK(client.cursors_killed() == 3);
}
