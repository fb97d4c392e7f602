// The server's side of one HTTP/1.1 connection.
//
// A connection owns its socket's descriptor; the server's Readiness set says when it has input or
// room for output. It reads only while it waits for a request, into the loop's shared buffer; the
// parser copies the request line, headers and body into an HTTPServerRequest and pauses at the end
// of each request. The request goes to the Application; its response bytes come back through
// send(). A handler that finishes at once lets the parser go on with pipelined requests in the
// same read, and their responses leave in one write; one that suspends keeps the unparsed bytes
// aside until it finishes, so responses always go out in request order.
#pragma once

#include <http_parser.h>
#include <sys/uio.h>

#include <memory>
#include <string>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/web/detail/endpoint.hpp"
#include "gale/web/detail/response_sink.hpp"
#include "gale/web/detail/server_core.hpp"
#include "gale/web/request.hpp"

namespace gale::web::detail {

class TlsStream;
class UpgradedConnection;

class Connection final : public Endpoint, public ResponseSink {
 public:
  Connection(std::shared_ptr<ServerCore> core, Socket socket);
  ~Connection() override;

  void start();

  // Endpoint
  void on_events(std::uint32_t events) override;
  void on_timeout(int list) override;
  // The server drains: an idle connection closes now, a busy one after its response.
  void on_shutdown() override;
  void close() noexcept override;

  void send(std::string bytes, std::string tail, bool last, bool keep_alive) override;
  Future<void> drained() override;
  void abort() noexcept override;
  bool closing() const noexcept override;
  BufferPool& buffers() noexcept override;
  void recycle(std::unique_ptr<HTTPServerRequest> request) noexcept override;
  bool peer_gone() const noexcept override;
  void watch_peer(RequestHandler* handler) noexcept override;
  // The socket goes to an UpgradedConnection, which takes this connection's place in the server;
  // this one lives on, without a socket, only while the handler that upgraded holds it.
  bool upgrade(const std::shared_ptr<UpgradedConnection>& up) override;
  std::shared_ptr<UpgradedConnection> upgraded() const noexcept override;

 private:
  enum class Phase : std::uint8_t { idle, headers, body, handling, upgraded, lingering, closed };
  friend struct ParserCallbacks;

  void wait_read();
  void read_now();
  void feed(const char* data, std::size_t size);
  void after_feed();
  void dispatch();
  void resume();
  void fail(int status, std::string message);
  void parse_error();
  void flush();
  bool write_some();
  void on_writable();
  void on_written();
  void linger();
  HTTPServerRequest& request();
  bool nothing_to_write() const noexcept {
    return out_.size() == out_sent_ && tail_.size() == tail_sent_;
  }
  void send_interim(std::string_view bytes);
  void peer_went_away() noexcept;
  std::shared_ptr<Connection> me() {
    return std::static_pointer_cast<Connection>(shared_from_this());
  }

  // The socket's calls, through the TLS session on an HTTPS connection.
  ssize_t receive(char* data, std::size_t size);
  ssize_t send_parts(const iovec* parts, std::size_t count);
  int shutdown_write();
  // An HTTPS request: its protocol, and the client certificate's subject.
  void describe_tls(HTTPServerRequest& r) const;

  std::shared_ptr<ServerCore> core_;
  std::unique_ptr<TlsStream> tls_;  // HTTPS only
  http_parser parser_;
  Phase phase_ = Phase::idle;
  bool reading_ = false;      // wants input
  bool writing_ = false;      // has output the socket did not take
  bool readable_ = false;     // the kernel said there is input, and no read came back short since
  bool peer_closed_ = false;  // the peer hung up: read to the end, which says so
  bool in_dispatch_ = false;
  bool close_after_write_ = false;
  bool last_was_value_ = false;
  int error_status_ = 0;
  std::size_t header_bytes_ = 0;
  std::unique_ptr<HTTPServerRequest> req_;
  std::string error_message_;
  std::string remote_ip_;
  std::string pending_;  // unparsed bytes that wait for the running handler to finish
  RequestHandler* peer_watch_ = nullptr;  // a suspended handler, told when the peer goes
  std::string out_;   // response bytes not yet handed to the socket (from out_sent_ on)
  std::string tail_;  // and after them a large body, gathered into the same write
  std::size_t out_sent_ = 0;
  std::size_t tail_sent_ = 0;
  std::vector<Promise<void>> drain_waiters_;
  // What it became (Phase::upgraded), held until the handler that upgraded is done with it.
  std::shared_ptr<UpgradedConnection> upgraded_;
};

}  // namespace gale::web::detail
