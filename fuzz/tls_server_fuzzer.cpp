// The HTTPS server path: a detail::Connection with the server's TLS session (TlsStream, its BIO,
// the handshake inside the first reads, records split anywhere) on one end of a socketpair. The
// first byte picks what the other end does with the rest of the input:
//   even: sends it as raw bytes (ClientHellos, alerts, records, garbage: the handshake's parser);
//   odd:  completes a real TLS handshake as a client (asio::ssl, OpenSSL) and sends the rest as the
//         HTTP bytes of the connection, in records of 1 to 256 bytes (the second byte says how
//         large), then closes its sending side and reads every response.
// The certificate is made once at start-up with `openssl req` in a temporary directory.
//
// Findings, besides crashes and leaks: a hang (the server must close within 5 s, the handshake
// timeout being 1 s) and, after a handshake, output that is not an HTTP/1.1 response.
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <asio/local/stream_protocol.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "gale/loop/log.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/connection.hpp"
#include "gale/web/detail/tls_context.hpp"
#include "peer_exchange.hpp"

namespace {

using gale_fuzz::finding;

using namespace gale::web;
using namespace std::chrono_literals;
using gale_fuzz::Peer;

struct Echo : RequestHandler {
  gale::Future<void> get(std::string_view) override {
    write_json({{"protocol", request().protocol}, {"n", request().uri.size()}});
    return {};
  }
  gale::Future<void> post(std::string_view) override {
    write_json({{"body", request().body.size()}});
    return {};
  }
};

Settings harness_settings(const std::string& dir) {
  Settings s;
  s.access_log = false;
  s.handle_signals = false;
  s.max_header_size = 4096;
  s.max_body_size = 4096;
  s.header_timeout = 1s;
  s.tls.handshake_timeout = 1s;
  s.tls.certfile = dir + "/cert.pem";
  s.tls.keyfile = dir + "/key.pem";
  return s;
}

std::string make_certificate() {
  char pattern[] = "/tmp/gale-tls-fuzz-XXXXXX";
  std::string dir = ::mkdtemp(pattern);
  std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=localhost -keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem > /dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) std::abort();
  return dir;
}

struct Harness {
  explicit Harness(const std::string& dir)
      : app({{"/", handler<Echo>()}, {"/items/{id}", handler<Echo>()}}, harness_settings(dir)),
        core(std::make_shared<detail::ServerCore>(app, loop)),
        client(asio::ssl::context::tls_client) {
    core->tls = detail::TlsContext::load(app.settings().tls);
    client.set_verify_mode(asio::ssl::verify_none);
  }

  gale::IOLoop loop;
  Application app;
  std::shared_ptr<detail::ServerCore> core;
  asio::ssl::context client;
};

Harness& harness() {
  static Harness* h = new Harness(make_certificate());  // as long as the process, as a server
  return *h;
}

// A TLS client: handshake, the bytes in records of `record` bytes, the end of input (without
// close_notify), then every response.
struct Client : std::enable_shared_from_this<Client> {
  Client(asio::io_context& ctx, asio::ssl::context& tls, int fd, std::string_view input,
         std::size_t record_size)
      : stream(ctx, tls), bytes(input), record(record_size) {
    stream.next_layer().assign(asio::local::stream_protocol(), fd);
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  }
  void start() {
    auto self = shared_from_this();
    stream.async_handshake(asio::ssl::stream_base::client, [self](const asio::error_code& ec) {
      if (ec) return self->done.set_value();
      self->handshaken = true;
      self->write();
      self->read();
    });
  }
  void write() {
    if (sent == bytes.size()) {
      asio::error_code ignored;
      stream.next_layer().shutdown(Peer::shutdown_send, ignored);
      return;
    }
    auto self = shared_from_this();
    std::size_t n = std::min(record, bytes.size() - sent);
    asio::async_write(stream, asio::buffer(bytes.data() + sent, n),
                      [self, n](const asio::error_code& ec, std::size_t) {
                        if (ec) return;
                        self->sent += n;
                        self->write();
                      });
  }
  void read() {
    auto self = shared_from_this();
    stream.async_read_some(asio::buffer(buffer), [self](const asio::error_code& ec, std::size_t n) {
      self->response.append(self->buffer.data(), n);
      if (ec) return self->done.set_value();
      self->read();
    });
  }
  asio::ssl::stream<Peer> stream;
  std::string bytes;
  std::size_t record;
  std::size_t sent = 0;
  bool handshaken = false;
  std::string response;
  std::array<char, 16384> buffer{};
  gale::Promise<void> done;
};

void serve(Harness& h, int fd) {
  detail::Socket server_side(h.loop.context().get_executor());
  server_side.assign(asio::ip::tcp::v4(), fd);
  std::make_shared<detail::Connection>(h.core, std::move(server_side))->start();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gale::log::set_level(gale::log::Level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Harness& h = harness();
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  serve(h, fds[0]);
  gale::Future<void> done;
  std::shared_ptr<Client> client;
  if (data[0] % 2 == 0) {
    auto raw = std::make_shared<gale_fuzz::Exchange>(h.loop.context(), fds[1], input);
    raw->start();
    done = raw->done.get_future();
  } else {
    client = std::make_shared<Client>(h.loop.context(), h.client, fds[1], input,
                                      std::size_t(data[1]) + 1);
    client->start();
    done = client->done.get_future();
  }
  try {
    h.loop.run_sync([&] { return done; }, std::chrono::seconds(5));
  } catch (const gale::Error&) {
    finding("the server never closed the connection", client ? client->response : "");
  }
  if (client && !client->response.empty() && client->response.rfind("HTTP/1.1 ", 0) != 0) {
    finding("the output is not an HTTP/1.1 response", client->response);
  }
  return 0;
}
