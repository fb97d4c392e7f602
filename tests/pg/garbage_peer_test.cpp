// A deliberately broken PostgreSQL server, written here: it completes the startup handshake
// (AuthenticationOk, parameters, BackendKeyData, ReadyForQuery) and then answers whatever the
// client sends with bytes that are not the protocol. The client must fail the query with a
// gale::Error within its deadline, drop the connection, and go on (a second query fails the same
// way, the process stays up).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace gale::testing;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;

namespace {

enum class Garbage { bytes, lying_length, error_without_fields };

class GarbagePeer {
 public:
  explicit GarbagePeer(Garbage kind) : kind_(kind) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~GarbagePeer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  int handshakes() const { return handshakes_; }

 private:
  static void put32(std::string& out, std::uint32_t v) {
    v = htonl(v);
    out.append(reinterpret_cast<const char*>(&v), 4);
  }
  static void message(std::string& out, char type, const std::string& body) {
    out += type;
    put32(out, static_cast<std::uint32_t>(body.size() + 4));
    out += body;
  }
  static bool read_exact(int fd, std::string& buf, std::size_t n) {
    buf.resize(n);
    std::size_t got = 0;
    while (got < n) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
      auto r = ::read(fd, buf.data() + got, n - got);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  }

  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      handle(fd);
      ::close(fd);
    }
  }

  // Startup: SSLRequest / GSSENCRequest get 'N'; the startup message gets a session.
  void handle(int fd) {
    std::string buf;
    for (;;) {
      if (!read_exact(fd, buf, 8)) return;
      std::uint32_t len = 0, code = 0;
      std::memcpy(&len, buf.data(), 4);
      std::memcpy(&code, buf.data() + 4, 4);
      len = ntohl(len);
      code = ntohl(code);
      if (code == 80877103 || code == 80877104) {  // SSLRequest, GSSENCRequest
        if (::write(fd, "N", 1) != 1) return;
        continue;
      }
      if (len < 8 || len > 10000 || !read_exact(fd, buf, len - 8)) return;
      break;
    }
    std::string out;
    message(out, 'R', std::string("\0\0\0\0", 4));  // AuthenticationOk
    for (auto [k, v] : {std::pair{"server_version", "15.0"},
                        {"client_encoding", "UTF8"},
                        {"standard_conforming_strings", "on"},
                        {"integer_datetimes", "on"},
                        {"DateStyle", "ISO, MDY"},
                        {"TimeZone", "UTC"}}) {
      message(out, 'S', std::string(k) + '\0' + v + '\0');
    }
    message(out, 'K', std::string("\0\0\0\1\0\0\0\2", 8));
    message(out, 'Z', "I");
    if (::write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) return;
    ++handshakes_;
    // Whatever comes next (Parse/Bind/Execute/Sync, or a simple Query) gets garbage.
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return;
    char scratch[4096];
    if (::read(fd, scratch, sizeof scratch) <= 0) return;
    std::string junk;
    switch (kind_) {
      case Garbage::bytes:
        junk = std::string("\xff\xfe\x00garbage after the handshake\x01\x02", 33);
        break;
      case Garbage::lying_length:  // a DataRow that claims 1 GiB and stops
        junk = std::string("D") + std::string("\x40\x00\x00\x00", 4) + "\x00\x01";
        break;
      case Garbage::error_without_fields:  // ErrorResponse with no fields, then an unknown type
        message(junk, 'E', std::string("\0", 1));
        message(junk, '~', "?");
        break;
    }
    if (::write(fd, junk.data(), junk.size()) < 0) return;
    // Then silence: a client that waited for more would hang on its own deadline, not ours.
    ::poll(&p, 1, 3000);
  }

  Garbage kind_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("a server that sends garbage after the handshake fails the query, not the process",
          "[pg]") {
  for (auto kind : {Garbage::bytes, Garbage::lying_length, Garbage::error_without_fields}) {
    CAPTURE(static_cast<int>(kind));
    IOLoop loop;
    GarbagePeer peer(kind);
    Client pg("postgresql://gale@127.0.0.1:" + std::to_string(peer.port()) +
              "/gale?sslmode=disable&gssencmode=disable&query_timeout_ms=2000&"
              "pool_acquire_timeout_ms=4000");
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto started = gale::Clock::now();
      try {
        run(
            loop, [&]() -> Future<void> { co_await pg.query("SELECT 1"); }, 15s);
        FAIL("the garbage was taken for a result");
      } catch (const gale::Error& e) {
        INFO(e.what());
        CHECK((e.kind() == ErrorKind::unavailable || e.kind() == ErrorKind::internal ||
               e.kind() == ErrorKind::timeout));
      }
      CHECK(gale::Clock::now() - started < 8s);  // within the query's deadline and the pool's
    }
    CHECK(peer.handshakes() >= 1);
    // Nothing leaked in the pool. The client may meanwhile have connected again (the peer's
    // handshake is sound) and hold that connection for its next queries: it gives an idle one
    // back within a second or two.
    bool released = run(
        loop,
        [&]() -> Future<bool> {
          for (int i = 0; i < 60 && pg.pool_stats().in_use > 0; ++i) co_await gale::sleep(50ms);
          co_return pg.pool_stats().in_use == 0;
        },
        10s);
    CHECK(released);
  }
}
