// UpgradedConnection: a connection after its last HTTP response (a 101, an event stream's head).
// It takes the HTTP connection's place in the server (its socket, its count against
// max_connections, its readiness events), and the HTTP connection, with its parser, request and
// response state, goes away: a WebSocket idle for hours holds only this, its protocol and its
// handler. It reads for its protocol when asked to and writes a queue of segments, owned or shared
// with other sockets (a broadcast frame), within the protocol's bound.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gale/web/detail/endpoint.hpp"
#include "gale/web/detail/upgraded.hpp"

namespace gale::web {
class RequestHandler;
}

namespace gale::web::detail {

class ServerCore;

class UpgradedConnection final : public Endpoint, public UpgradedSocket {
 public:
  // `fd`: the socket, the HTTP connection's until now; `unsent`: the rest of the last response,
  // written first; `readable` / `peer_closed`: what the HTTP connection knew of its input.
  UpgradedConnection(std::shared_ptr<ServerCore> core, int fd, std::shared_ptr<Upgraded> protocol,
                     std::string unsent, bool readable, bool peer_closed);
  ~UpgradedConnection() override;

  // Takes the HTTP connection's place in the server; reading starts paused.
  void start(Endpoint* replaced);
  // Bytes that came right behind the request that upgraded: the protocol's first input.
  void early_input(const char* data, std::size_t size);
  bool peer_gone() const noexcept { return peer_closed_ || fd_ < 0; }
  // A handler whose open() is still running hears of a peer that goes away.
  void watch_peer(RequestHandler* handler) noexcept;

  // Endpoint
  void on_events(std::uint32_t events) override;
  void on_timeout(int list) override;
  void on_shutdown() override;
  void close() noexcept override;

  // UpgradedSocket
  void write(Segment segment) override;
  Future<void> written() override;
  std::size_t queued_bytes() const noexcept override { return queued_; }
  void drop_unsent() noexcept override;
  void read(bool on) override;
  void wait(int list) noexcept override;
  void close_after_write() override;
  void abort() noexcept override;

 private:
  void read_now();
  bool send_now(Segment& segment);
  void flush();
  void segments_written(std::size_t count) noexcept;
  void linger();
  void drop_input();
  void peer_went_away() noexcept;

  std::shared_ptr<ServerCore> core_;
  std::shared_ptr<Upgraded> protocol_;
  std::vector<Segment> segments_;
  std::unique_ptr<std::string> early_;  // input read before the protocol asked for it
  RequestHandler* peer_watch_ = nullptr;
  std::size_t queued_ = 0;  // bytes in segments_ not yet handed to the socket
  int fd_ = -1;
  bool reads_ = false;        // the protocol wants input
  bool readable_ = false;     // the kernel said there is input, and no read came back short since
  bool writing_ = false;      // segments wait for room in the socket
  bool peer_closed_ = false;  // end of input (or a reset) seen
  bool close_after_write_ = false;
  bool lingering_ = false;
};

}  // namespace gale::web::detail
