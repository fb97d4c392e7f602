// HTTPServer: HTTP/1.1 over an Asio acceptor, as Tornado's tornado.httpserver.HTTPServer.
//
//   gale::web::HTTPServer server(app);
//   server.listen(8888);                 // one process
//   // or: server.bind(8888); server.start(0);   // fork one worker per core, Tornado style
//   server.install_signal_handlers();    // SIGTERM/SIGINT: graceful shutdown, then loop.stop()
//   gale::IOLoop::current().start();
//
// Per connection: keep-alive by HTTP/1.1 rules, pipelined requests answered in order (parsed one
// at a time; the responses of requests answered at once go out in a single write; a large body is
// gathered into that write, not copied), chunked request
// bodies, Expect: 100-continue. No read buffer is kept per connection: the server reads into one
// buffer per loop and the parser copies what a request needs, so an idle connection costs its
// socket and a small object. Limits and timeouts come from the Application's Settings.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"

namespace gale::web {

class Application;
namespace detail {
class ServerCore;
}

class HTTPServer {
 public:
  explicit HTTPServer(Application& app);
  ~HTTPServer();
  HTTPServer(const HTTPServer&) = delete;
  HTTPServer& operator=(const HTTPServer&) = delete;

  // bind() then start(1). Port 0 picks a free port (see port()).
  void listen(std::uint16_t port, const std::string& address = "0.0.0.0");
  // Binds the listening socket (SO_REUSEADDR, SO_REUSEPORT); start() begins accepting.
  void bind(std::uint16_t port, const std::string& address = "0.0.0.0");
  // processes == 1: serve in this process. Otherwise (0 = one per core) fork that many workers;
  // each listens on the bound port with SO_REUSEPORT and runs its own IOLoop (the current loop,
  // reset for the child). The parent never returns: it supervises the workers (restarting one
  // that crashes; one that exits with a start-up code, 2 or 64-78, stops them all and the parent
  // exits with that code), forwards SIGTERM/SIGINT to them, and exits once they all have. Create
  // database clients after start(): a client created before the fork refuses to be used in a
  // worker.
  void start(int processes = 1);
  // The worker's number after start(n > 1) forked (0..n-1); -1 otherwise.
  static int task_id() noexcept;

  std::uint16_t port() const;
  std::size_t connections() const noexcept;

  // Graceful shutdown: stop accepting, close idle connections, let requests in flight finish
  // (their responses say Connection: close), and close whatever is left after `drain` (the
  // settings' drain_timeout by default). Resolves once every connection is closed.
  Future<void> shutdown(std::optional<Clock::duration> drain = std::nullopt);
  // Stops accepting; open connections stay.
  void stop();
  // SIGTERM/SIGINT run shutdown(), then stop the loop (so start() returns and main can return 0).
  // A second signal closes every connection at once. On HTTPS, SIGHUP runs reload_certificates().
  void install_signal_handlers();
  // HTTPS (Settings::tls): reads the certificate and key files again. New handshakes use the new
  // certificates, open connections go on with theirs. False, with an error logged, if a file does
  // not load (the certificates in use stay), or if the server is not HTTPS. The files are read on
  // the loop (a few small files, as at start).
  bool reload_certificates();

 private:
  Application& app_;
  std::shared_ptr<detail::ServerCore> core_;
};

}  // namespace gale::web
