#include "gale/web/http_server.hpp"

#include <sys/socket.h>
#include <time.h>
#include <asio/io_context.hpp>
#include <asio/socket_base.hpp>

#include <algorithm>
#include <thread>

#include "gale/loop/log.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/processes.hpp"
#include "gale/web/detail/server_core.hpp"
#include "gale/web/detail/tls_context.hpp"
#include "gale/web/metrics.hpp"

namespace gale::web {
namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

HTTPServer::HTTPServer(Application& app)
    : app_(app), core_(std::make_shared<detail::ServerCore>(app, IOLoop::current())) {}

HTTPServer::~HTTPServer() {
  core_->close_all();
}

void HTTPServer::listen(std::uint16_t port, const std::string& address) {
  bind(port, address);
  start(1);
}

void HTTPServer::bind(std::uint16_t port, const std::string& address) {
  asio::ip::tcp::endpoint at(asio::ip::make_address(address), port);
  auto& acceptor = core_->acceptor;
  acceptor.open(at.protocol());
  acceptor.set_option(detail::Acceptor::reuse_address(true));
  acceptor.set_option(ReusePort(true));
  acceptor.bind(at);
}

void HTTPServer::start(int processes) {
  auto& acceptor = core_->acceptor;
  if (!acceptor.is_open()) throw Error(ErrorKind::invalid_argument, "HTTPServer: bind() first");
  // HTTPS: the certificates are read before any fork, so that a bad file stops the start.
  if (app_.settings().tls.enabled() && !core_->tls) {
    core_->tls = detail::TlsContext::load(app_.settings().tls);
  }
  if (processes != 1) {
    int n = processes > 0 ? processes
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    auto at = acceptor.local_endpoint();
    core_->loop.context().notify_fork(asio::execution_context::fork_prepare);
    detail::fork_processes(n, 100, core_->tls != nullptr);  // returns in the workers only
    core_->loop.context().notify_fork(asio::execution_context::fork_child);
    // Each worker listens on a socket of its own; SO_REUSEPORT spreads connections across them.
    // The parent's socket stays bound but never listens, so it keeps the port and gets nothing.
    acceptor.close();
    acceptor.open(at.protocol());
    acceptor.set_option(detail::Acceptor::reuse_address(true));
    acceptor.set_option(ReusePort(true));
    acceptor.bind(at);
  }
  acceptor.listen(asio::socket_base::max_listen_connections);
  core_->start_accepting();
  app_.metrics().start_loop_lag_probe(core_->loop);
  log::info("gale.web", "listening on {}://{}:{}/", core_->tls ? "https" : "http",
            acceptor.local_endpoint().address().to_string(), acceptor.local_endpoint().port());
}

int HTTPServer::task_id() noexcept {
  return detail::task_id();
}

std::uint16_t HTTPServer::port() const {
  return core_->acceptor.local_endpoint().port();
}

std::size_t HTTPServer::connections() const noexcept {
  return core_->count;
}

Future<void> HTTPServer::shutdown(std::optional<Clock::duration> drain) {
  return core_->shutdown(drain ? *drain : Clock::duration(app_.settings().drain_timeout));
}

void HTTPServer::stop() {
  core_->stop_accepting();
}

bool HTTPServer::reload_certificates() {
  if (!core_->tls) return false;
  return core_->reload_tls();
}

void HTTPServer::install_signal_handlers() {
  core_->install_signal_handlers();
}

}  // namespace gale::web
