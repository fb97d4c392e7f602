// WebSockets (RFC 6455, RFC 7692) and event streams through the whole server: the handshake and
// its refusals, echo through gale's own client, each protocol rule as bytes written by hand
// (ws_peer.hpp), the bounds (message size, deflate bombs, slow consumers, dead peers), shutdown,
// broadcasts and Server-Sent Events.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <string>
#include <vector>

#include "gale/loop/loop.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "test_app.hpp"
#include "ws_peer.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;
using gale::testing::close_payload;
using gale::testing::ws_frame;
using gale::testing::WsFrame;
using gale::testing::WsPeer;
using gale::web::Application;
using gale::web::testing::TestServer;

namespace {

struct Closes {
  static inline std::vector<int> codes;
  static inline int opened = 0;
};

struct Echo : gale::web::WebSocketHandler {
  Future<void> open(std::string_view) override {
    ++Closes::opened;
    return {};
  }
  Future<void> on_message(std::string_view message, bool binary) override {
    if (message == "close-me") {
      close(4000, "asked to");
      co_return;
    }
    co_await write_message(message, binary);
  }
  std::optional<std::string> select_subprotocol(const std::vector<std::string>& offered) override {
    for (const auto& p : offered) {
      if (p == "chat.v2") return p;
    }
    return std::nullopt;
  }
  void on_close() override { Closes::codes.push_back(close_code().value_or(-1)); }
};

// Writes `n` messages of `size` bytes at once, without waiting: a client that does not read
// them is a slow consumer.
struct Flood : gale::web::WebSocketHandler {
  Future<void> open(std::string_view) override {
    std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 200 && !closed(); ++i) {
      // Not awaited: the writes pile up. Those dropped at the close fail; seen, not logged.
      write_message(chunk, true).add_done_callback([](const Future<void>& f) {
        (void)f.exception();
      });
    }
    return {};
  }
  void on_close() override { Closes::codes.push_back(close_code().value_or(-1)); }
};

// Waits (at most 5 s) until the server counts `n` open connections.
Future<void> until_connections(TestServer& server, std::size_t n) {
  for (int i = 0; i < 500 && server.server().connections() != n; ++i) {
    co_await gale::sleep(std::chrono::milliseconds(10));
  }
}

// Answers the handshake only after a wait (an authentication on a database, say): the upgrade
// happens outside the request's first read.
struct SlowStart : Echo {
  Future<void> prepare() override { co_await gale::sleep(std::chrono::milliseconds(50)); }
};

gale::web::Settings ws_settings() {
  auto s = gale::testing::quiet_settings();
  s.websocket_max_message_size = 256 * 1024;
  return s;
}

Application echo_app(gale::web::Settings s = ws_settings()) {
  return Application({{"/echo", gale::web::handler<Echo>()},
                      {"/flood", gale::web::handler<Flood>()},
                      {"/slow", gale::web::handler<SlowStart>()}},
                     std::move(s));
}

template <class F>
auto run(F f, std::chrono::seconds limit = 20s) {
  return IOLoop::current().run_sync(std::move(f), limit);
}

std::string deflated(std::string_view text) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(text.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out - 4);  // without 00 00 FF FF
  deflateEnd(&z);
  return out;
}

}  // namespace

TEST_CASE("WebSocket echo through websocket_connect: text, binary, subprotocol, close codes",
          "[websocket]") {
  IOLoop loop;
  Closes::codes.clear();
  auto app = echo_app();
  TestServer server(app);
  auto got = run([&]() -> Future<std::vector<std::string>> {
    gale::web::WebSocketConnectOptions o;
    o.subprotocols = {"chat.v1", "chat.v2"};
    auto c = co_await gale::web::websocket_connect(
        "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo", o);
    std::vector<std::string> out{c.selected_subprotocol()};
    co_await c.write_message("héllo");
    auto m = co_await c.read_message();
    out.push_back(m ? m->data + (m->binary ? "/b" : "/t") : "none");
    std::string bytes("\x00\x01\xff", 3);
    co_await c.write_message(bytes, true);
    m = co_await c.read_message();
    out.push_back(m && m->data == bytes && m->binary ? "binary ok" : "binary wrong");
    co_await c.write_message("close-me");
    m = co_await c.read_message();  // the server closes: no more messages
    out.push_back(m ? "message" : "closed");
    out.push_back(std::to_string(c.close_code().value_or(0)) + " " + c.close_reason());
    co_return out;
  });
  CHECK(got ==
        std::vector<std::string>{"chat.v2", "héllo/t", "binary ok", "closed", "4000 asked to"});
  run([&]() -> Future<void> {
    while (Closes::codes.empty()) co_await gale::sleep(5ms);
  });
  CHECK(Closes::codes == std::vector<int>{4000});  // the client echoed the server's code
}

TEST_CASE("The handshake refuses what is not one, other versions and cross-origin pages",
          "[websocket]") {
  IOLoop loop;
  auto app = echo_app();
  TestServer server(app);
  auto port = server.port();
  auto status_of = [&](std::string extra) {
    return run([&]() -> Future<std::string> {
      auto p = co_await WsPeer::connect(port, "/echo", extra);
      co_return p.head().substr(0, 12);
    });
  };
  CHECK(status_of("") == "HTTP/1.1 101");
  CHECK(status_of("Origin: http://127.0.0.1:" + std::to_string(port) + "\r\n") == "HTTP/1.1 101");
  CHECK(status_of("Origin: http://evil.example\r\n") == "HTTP/1.1 403");
  // A plain GET, and a wrong version.
  auto plain = server.fetch_sync("/echo");
  CHECK(plain.code == 400);
  gale::web::HTTPRequest v12;
  v12.headers.add("Upgrade", "websocket");
  v12.headers.add("Connection", "Upgrade");
  v12.headers.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
  v12.headers.add("Sec-WebSocket-Version", "12");
  auto refused = server.fetch_sync("/echo", v12);
  CHECK(refused.code == 426);
  CHECK(refused.headers.get("Sec-WebSocket-Version", "") == "13");
  // The accept key of RFC 6455's own example.
  auto head = run([&]() -> Future<std::string> {
    auto p = co_await WsPeer::connect(port, "/echo");
    co_return p.head();
  });
  CHECK(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
}

TEST_CASE("Fragments: text split inside a UTF-8 sequence, a ping between fragments",
          "[websocket]") {
  IOLoop loop;
  auto app = echo_app();
  TestServer server(app);
  auto got = run([&]() -> Future<std::vector<std::string>> {
    auto p = co_await WsPeer::connect(server.port(), "/echo");
    std::string text =
        "a\xE2\x82\xAC"
        "b";                                                 // a€b: the euro sign is three bytes
    co_await p.send(ws_frame(1, text.substr(0, 2), false));  // "a" and the first byte of €
    co_await p.send(ws_frame(9, "between", true));           // a ping in the middle
    co_await p.send(ws_frame(0, text.substr(2, 1), false));
    co_await p.send(ws_frame(0, text.substr(3), true));
    std::vector<std::string> out;
    for (int i = 0; i < 2; ++i) {
      auto f = co_await p.read_frame();
      out.push_back(f ? std::to_string(f->opcode) + ":" + f->payload : "none");
    }
    co_return out;
  });
  CHECK(got == std::vector<std::string>{"10:between",
                                        "1:a\xE2\x82\xAC"
                                        "b"});
}

// After the 101 the socket moves from the HTTP connection to a smaller upgraded one: frames sent
// in the same write as the handshake, or while the handshake waits, reach the WebSocket in
// order; the upgraded socket keeps its place in the server's count until it closes.
TEST_CASE("Frames right behind the handshake are the WebSocket's first input", "[websocket]") {
  IOLoop loop;
  auto app = echo_app();
  TestServer server(app);
  auto got = run([&]() -> Future<std::vector<std::string>> {
    std::vector<std::string> out;
    for (std::string path : {"/echo", "/slow"}) {
      auto p = co_await WsPeer::connect_with(server.port(), path, {},
                                             ws_frame(1, "one") + ws_frame(2, "two"));
      out.push_back(std::to_string(p.status()));
      for (int i = 0; i < 2; ++i) {
        auto f = co_await p.read_frame();
        out.push_back(f ? std::to_string(f->opcode) + ":" + f->payload : "none");
      }
      out.push_back("open:" + std::to_string(server.server().connections()));
      co_await p.send(ws_frame(8, close_payload(1000)));
      auto f = co_await p.read_frame();
      out.push_back(f ? std::to_string(f->opcode) : "none");
      out.push_back(co_await p.ended() ? "ended" : "open");
      p.close_socket();
      co_await until_connections(server, 0);
      out.push_back("open:" + std::to_string(server.server().connections()));
    }
    co_return out;
  });
  std::vector<std::string> each{"101", "1:one", "2:two", "open:1", "8", "ended", "open:0"};
  std::vector<std::string> want = each;
  want.insert(want.end(), each.begin(), each.end());
  CHECK(got == want);
}

TEST_CASE("max_connections counts WebSockets", "[websocket]") {
  IOLoop loop;
  auto s = ws_settings();
  s.max_connections = 2;
  auto app = echo_app(s);
  TestServer server(app);
  auto got = run([&]() -> Future<std::vector<std::string>> {
    std::vector<std::string> out;
    auto a = co_await WsPeer::connect(server.port(), "/echo");
    auto b = co_await WsPeer::connect(server.port(), "/echo");
    auto c = co_await WsPeer::raw(server.port(), "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    out.push_back(std::to_string(a.status()) + " " + std::to_string(b.status()));
    out.push_back(co_await c.ended() ? "third closed" : "third served");
    a.close_socket();
    co_await until_connections(server, 1);
    auto d = co_await WsPeer::connect(server.port(), "/echo");
    out.push_back(std::to_string(d.status()));
    co_return out;
  });
  CHECK(got == std::vector<std::string>{"101 101", "third closed", "101"});
}

TEST_CASE("Length edges: 125, 126, 65535, 65536 bytes echo whole", "[websocket]") {
  IOLoop loop;
  auto app = echo_app();
  TestServer server(app);
  for (std::size_t n : {0, 125, 126, 127, 65535, 65536, 200000}) {
    auto ok = run([&]() -> Future<bool> {
      auto p = co_await WsPeer::connect(server.port(), "/echo");
      std::string payload(n, 'q');
      co_await p.send(ws_frame(2, payload));
      auto f = co_await p.read_frame();
      co_return f && f->opcode == 2 && f->payload == payload;
    });
    CAPTURE(n);
    CHECK(ok);
  }
}

namespace {
// What the server answers a frame with: its close code (0: no close frame) and whether it then
// ended the connection.
std::pair<int, bool> close_after(std::uint16_t port, std::vector<std::string> frames,
                                 std::string path = "/echo", std::string extra = {}) {
  return run([&]() -> Future<std::pair<int, bool>> {
    auto p = co_await WsPeer::connect(port, path, extra);
    for (auto& f : frames) co_await p.send(f);
    for (;;) {
      auto f = co_await p.read_frame();
      if (!f) co_return std::pair{0, true};
      if (f->opcode != 8) continue;
      bool ended = co_await p.ended();
      co_return std::pair{f->close_code(), ended};
    }
  });
}
}  // namespace

TEST_CASE("Protocol errors close with 1002, invalid text with 1007, too big with 1009",
          "[websocket]") {
  IOLoop loop;
  auto app = echo_app();
  TestServer server(app);
  auto port = server.port();
  CHECK(close_after(port, {ws_frame(1, "x", true, false)}) == std::pair{1002, true});  // unmasked
  CHECK(close_after(port, {ws_frame(3, "x")}) == std::pair{1002, true});   // reserved opcode
  CHECK(close_after(port, {ws_frame(11, "x")}) == std::pair{1002, true});  // reserved control
  CHECK(close_after(port, {ws_frame(1, "x", true, true, 2)}) == std::pair{1002, true});  // RSV2
  CHECK(close_after(port, {ws_frame(1, "x", true, true, 4)}) == std::pair{1002, true});  // RSV1
  CHECK(close_after(port, {ws_frame(0, "x")}) == std::pair{1002, true});  // lone continuation
  CHECK(close_after(port, {ws_frame(9, "x", false)}) == std::pair{1002, true});  // fragmented ping
  CHECK(close_after(port, {ws_frame(9, std::string(126, 'p'))}) == std::pair{1002, true});
  CHECK(close_after(port, {ws_frame(1, "a", false), ws_frame(1, "b")}) == std::pair{1002, true});
  CHECK(close_after(port, {ws_frame(8, close_payload(1005))}) == std::pair{1002, true});
  CHECK(close_after(port, {ws_frame(8, close_payload(999))}) == std::pair{1002, true});
  CHECK(close_after(port, {ws_frame(8, std::string(1, '\x03'))}) == std::pair{1002, true});
  CHECK(close_after(port, {ws_frame(8, close_payload(1000, "\xff"))}) == std::pair{1007, true});
  CHECK(close_after(port, {ws_frame(1, "ok \xC0\xAF")}) == std::pair{1007, true});  // overlong
  CHECK(close_after(port, {ws_frame(1, "\xE2\x82", false), ws_frame(0, "x")}) ==
        std::pair{1007, true});  // a sequence cut by a character that cannot continue it
  CHECK(close_after(port, {ws_frame(1, "\xE2\x82")}) == std::pair{1007, true});  // ends inside one
  CHECK(close_after(port, {ws_frame(2, std::string(256 * 1024 + 1, 'x'))}) ==
        std::pair{1009, true});
  // Over the bound in fragments too: no one fragment is too big, the message is.
  CHECK(close_after(port, {ws_frame(2, std::string(200 * 1024, 'x'), false),
                           ws_frame(0, std::string(100 * 1024, 'x'))}) == std::pair{1009, true});
  // A normal close: the server answers with the same code and closes the connection.
  CHECK(close_after(port, {ws_frame(8, close_payload(1000, "bye"))}) == std::pair{1000, true});
  CHECK(close_after(port, {ws_frame(8, "")}) == std::pair{0, true});  // no code: none echoed
}

TEST_CASE("permessage-deflate: negotiated, both ways, and a deflate bomb gets 1009",
          "[websocket]") {
  IOLoop loop;
  auto s = ws_settings();
  s.websocket_compression = true;
  auto app = echo_app(s);
  TestServer server(app);
  auto port = server.port();
  // Offered with parameters gale declines (server_max_window_bits=8), then one it takes.
  auto head = run([&]() -> Future<std::string> {
    auto p = co_await WsPeer::connect(
        port, "/echo",
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8, "
        "permessage-deflate; client_max_window_bits\r\n");
    co_return p.head();
  });
  CHECK(head.find("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                  "client_no_context_takeover\r\n") != std::string::npos);
  // A compressed message in, a compressed echo out.
  const std::string offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
  auto echo = run([&]() -> Future<std::string> {
    auto p = co_await WsPeer::connect(port, "/echo", offer);
    std::string text(5000, 'z');
    co_await p.send(ws_frame(1, deflated(text), true, true, 4));
    auto f = co_await p.read_frame();
    if (!f) co_return "none";
    co_return std::string(f->rsv1 ? "rsv1 " : "plain ") + std::to_string(f->payload.size());
  });
  CHECK(echo.rfind("rsv1 ", 0) == 0);
  CHECK(std::stoi(echo.substr(5)) < 100);  // 5,000 z's compress to a few bytes
  // An empty compressed message (found by fuzz/websocket: it has no payload to start the inflater
  // with) echoes as an empty message.
  auto empty = run([&]() -> Future<std::string> {
    auto p = co_await WsPeer::connect(port, "/echo", offer);
    co_await p.send(ws_frame(1, "", true, true, 4));
    auto f = co_await p.read_frame();
    co_return f ? std::to_string(f->opcode) + ":" + std::to_string(f->payload.size()) : "none";
  });
  CHECK(empty.rfind("1:", 0) == 0);
  // Through gale's client, which inflates it.
  auto through_client = run([&]() -> Future<std::string> {
    gale::web::WebSocketConnectOptions o;
    o.compression = true;
    auto c = co_await gale::web::websocket_connect(
        "ws://127.0.0.1:" + std::to_string(port) + "/echo", o);
    co_await c.write_message(std::string(3000, 'k'));
    auto m = co_await c.read_message();
    co_return m && m->data == std::string(3000, 'k') ? "ok" : "wrong";
  });
  CHECK(through_client == "ok");
  // 10 MiB of zeros compress to about 10 KiB: inflated past websocket_max_message_size (256 KiB).
  std::string bomb = deflated(std::string(10 * 1024 * 1024, '\0'));
  CHECK(bomb.size() < 64 * 1024);
  CHECK(close_after(port, {ws_frame(2, bomb, true, true, 4)}, "/echo", offer) ==
        std::pair{1009, true});
  CHECK(close_after(port, {ws_frame(2, "not deflate at all", true, true, 4)}, "/echo", offer) ==
        std::pair{1007, true});
}

TEST_CASE("A slow consumer is closed with 1008, and its queue stays within the bound", "[websocket]") {
  IOLoop loop;
  Closes::codes.clear();
  auto s = ws_settings();
  s.websocket_max_queued_bytes = 1024 * 1024;
  s.websocket_ping_timeout = 5s;  // the time a closed slow consumer has to take its close frame
  auto app = echo_app(s);
  TestServer server(app);
  gale::web::Metrics& metrics = app.metrics();
  auto got = run([&]() -> Future<std::pair<int, std::size_t>> {
    auto p = co_await WsPeer::connect(server.port(), "/flood");
    // Read nothing at first: 200 x 64 KiB cannot all fit in the socket's buffers.
    while (metrics.long_lived().slow_consumers == 0) co_await gale::sleep(10ms);
    // Then read: what was already on its way, and the close frame, with 1008.
    std::size_t messages = 0;
    for (;;) {
      auto f = co_await p.read_frame();
      if (!f) co_return std::pair{0, messages};
      if (f->opcode == 8) co_return std::pair{f->close_code(), messages};
      ++messages;
    }
  });
  CHECK(got.first == 1008);
  CHECK(got.second < 200);  // what did not fit in the bound was dropped, not queued
  run([&]() -> Future<void> {
    while (Closes::codes.empty()) co_await gale::sleep(10ms);
  });
  CHECK(Closes::codes == std::vector<int>{1008});
  CHECK(metrics.long_lived().slow_consumers == 1);
}

TEST_CASE("A peer that does not answer pings is closed, and one that does stays", "[websocket]") {
  IOLoop loop;
  auto s = ws_settings();
  s.websocket_ping_interval = 200ms;
  s.websocket_ping_timeout = 300ms;
  s.idle_connection_timeout = 1s;  // the server's tick follows its shortest timeout
  auto app = echo_app(s);
  TestServer server(app);
  auto got = run([&]() -> Future<std::pair<bool, bool>> {
    auto deaf = co_await WsPeer::connect(server.port(), "/echo");   // never answers
    auto alive = co_await WsPeer::connect(server.port(), "/echo");  // answers every ping
    auto start = gale::Clock::now();
    int pings = 0;
    while (gale::Clock::now() - start < 1500ms) {
      auto f = co_await alive.read_frame(100ms);
      if (f && f->opcode == 9) {
        ++pings;
        co_await alive.send(ws_frame(10, f->payload));
      }
    }
    bool deaf_closed = co_await deaf.ended(2s);
    co_await alive.send(ws_frame(1, "still here"));
    auto echo = co_await alive.read_data_or_close();
    co_return std::pair{deaf_closed, pings >= 2 && echo && echo->payload == "still here"};
  });
  CHECK(got.first);
  CHECK(got.second);
  CHECK(app.metrics().long_lived().ping_timeouts == 1);
}

TEST_CASE("Shutdown sends 1001 to every open WebSocket", "[websocket]") {
  IOLoop loop;
  auto app = echo_app();
  TestServer server(app);
  auto codes = run([&]() -> Future<std::vector<int>> {
    std::vector<WsPeer> peers;
    for (int i = 0; i < 5; ++i) peers.push_back(co_await WsPeer::connect(server.port(), "/echo"));
    auto done = server.server().shutdown(2s);
    std::vector<int> out;
    for (auto& p : peers) {
      auto f = co_await p.read_data_or_close();
      out.push_back(f ? f->close_code() : 0);
      co_await p.send(ws_frame(8, close_payload(1001)));  // the client answers, as it should
    }
    co_await std::move(done);
    co_return out;
  });
  CHECK(codes == std::vector<int>(5, 1001));
  CHECK(server.server().connections() == 0);
}

namespace {
gale::web::Broadcast room;

struct Member : gale::web::WebSocketHandler {
  Future<void> open(std::string_view) override {
    room.add(*this);
    return {};
  }
};

struct Feed : gale::web::EventStreamHandler {
  Future<void> open(std::string_view) override {
    room.add(*this);
    co_await send("since " + last_event_id().value_or("none"), "hello", "0");
    co_await send("line 1\nline 2");
  }
};
}  // namespace

TEST_CASE("A broadcast reaches every WebSocket and event stream, framed once", "[websocket]") {
  IOLoop loop;
  Application app({{"/room", gale::web::handler<Member>()}, {"/feed", gale::web::handler<Feed>()}},
                  ws_settings());
  TestServer server(app);
  auto got = run([&]() -> Future<std::vector<std::string>> {
    std::vector<WsPeer> members;
    for (int i = 0; i < 50; ++i)
      members.push_back(co_await WsPeer::connect(server.port(), "/room"));
    auto feed = co_await WsPeer::raw(server.port(),
                                     "GET /feed HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 41\r\n\r\n");
    while (room.size() < 51) co_await gale::sleep(5ms);
    std::size_t sent = room.send(R"({"text":"hi all"})");
    std::vector<std::string> out{std::to_string(sent)};
    int ok = 0;
    for (auto& m : members) {
      auto f = co_await m.read_frame();
      ok += f && f->opcode == 1 && f->payload == R"({"text":"hi all"})";
    }
    out.push_back(std::to_string(ok));
    out.push_back(co_await feed.read_until("hi all"));
    co_return out;
  });
  CHECK(got[0] == "51");
  CHECK(got[1] == "50");
  const std::string& stream = got[2];
  INFO(stream);
  CHECK(stream.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(stream.find("Content-Type: text/event-stream; charset=utf-8\r\n") != std::string::npos);
  CHECK(stream.find("Connection: close\r\n") != std::string::npos);
  CHECK(stream.find("Content-Length") == std::string::npos);
  CHECK(stream.find("\r\n\r\nevent: hello\nid: 0\ndata: since 41\n\n"
                    "data: line 1\ndata: line 2\n\n") != std::string::npos);
  CHECK(stream.find("id: 1\ndata: {\"text\":\"hi all\"}\n\n") != std::string::npos);
}

TEST_CASE("An event stream gets keep-alive comments while quiet", "[websocket]") {
  IOLoop loop;
  auto s = ws_settings();
  s.websocket_ping_interval = 100ms;
  s.idle_connection_timeout = 1s;
  Application app({{"/feed", gale::web::handler<Feed>()}}, s);
  TestServer server(app);
  auto text = run([&]() -> Future<std::string> {
    auto feed = co_await WsPeer::raw(server.port(), "GET /feed HTTP/1.1\r\nHost: t\r\n\r\n");
    co_return co_await feed.read_until(": keep-alive\n\n", 3s);
  });
  CHECK(text.find("data: since none\n") != std::string::npos);
  CHECK(text.find(": keep-alive\n\n") != std::string::npos);
  CHECK(app.metrics().long_lived().event_streams <= 1);
}

TEST_CASE("permessage-deflate with context takeover: later messages use the earlier ones",
          "[websocket]") {
  IOLoop loop;
  auto s = ws_settings();
  s.websocket_compression = true;
  s.websocket_compression_context_takeover = true;
  auto app = echo_app(s);
  TestServer server(app);
  auto got = run([&]() -> Future<std::vector<std::string>> {
    // The server keeps its context: the second copy of a message compresses to a few bytes.
    auto p = co_await WsPeer::connect(server.port(), "/echo",
                                      "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    std::vector<std::string> out{
        p.head().find("no_context_takeover") == std::string::npos ? "takeover" : "no takeover"};
    std::string text;
    for (int i = 0; i < 200; ++i) text += std::to_string(i * 7919 % 1000) + ",";
    std::vector<std::size_t> sizes;
    for (int i = 0; i < 2; ++i) {
      co_await p.send(ws_frame(1, text));
      auto f = co_await p.read_frame();
      sizes.push_back(f && f->rsv1 ? f->payload.size() : 0);
    }
    out.push_back(sizes[1] > 0 && sizes[1] * 4 < sizes[0] ? "second smaller" : "same size");
    // Through gale's client, which inflates with the server's context: many messages, all whole.
    gale::web::WebSocketConnectOptions o;
    o.compression = true;
    auto c = co_await gale::web::websocket_connect(
        "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo", o);
    int whole = 0;
    for (int i = 0; i < 20; ++i) {
      std::string m = text + std::to_string(i);
      co_await c.write_message(m);
      auto back = co_await c.read_message();
      whole += back && back->data == m;
    }
    out.push_back(std::to_string(whole));
    co_return out;
  });
  CHECK(got == std::vector<std::string>{"takeover", "second smaller", "20"});
}

namespace {
// Sends 200 events of 64 KiB at once, without waiting.
struct Firehose : gale::web::EventStreamHandler {
  Future<void> open(std::string_view) override {
    std::string big(64 * 1024, 'e');
    for (int i = 0; i < 200 && !closed(); ++i) {
      send(big).add_done_callback([](const Future<void>& f) { (void)f.exception(); });
    }
    return {};
  }
};
}  // namespace

TEST_CASE("An event stream that is not read is closed at the queue's bound", "[websocket]") {
  IOLoop loop;
  auto s = ws_settings();
  s.websocket_max_queued_bytes = 1024 * 1024;
  Application app({{"/firehose", gale::web::handler<Firehose>()}}, s);
  TestServer server(app);
  auto& metrics = app.metrics();
  auto ended = run([&]() -> Future<bool> {
    auto feed = co_await WsPeer::raw(server.port(), "GET /firehose HTTP/1.1\r\nHost: t\r\n\r\n");
    while (metrics.long_lived().slow_consumers == 0) co_await gale::sleep(10ms);
    co_return co_await feed.ended(5s);  // what was on its way, then the end
  });
  CHECK(ended);
  CHECK(metrics.long_lived().slow_consumers == 1);
  CHECK(metrics.long_lived().event_streams == 0);
}
