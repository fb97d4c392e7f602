// TlsStream: the TLS session of one server connection, on its nonblocking socket. Its calls
// answer as the socket calls they stand for (recv, send, sendmsg, shutdown): bytes, 0 at the end
// of input, or -1 with errno EAGAIN when the socket must be ready first (the kernel's readiness
// event says when), EPROTO when the peer broke the protocol (a failed handshake: the alert that
// says why is on its way), any other errno when the connection failed. The handshake runs inside
// the first reads. Only HTTPS connections have one: a plain connection holds a null pointer.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>

struct ssl_st;

namespace gale::web::detail {

class TlsContext;

class TlsStream {
 public:
  TlsStream(std::shared_ptr<const TlsContext> context, int fd);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Fills `data` until it is full or the socket is empty: a short read means that no more input
  // waits in the kernel nor in the session.
  ssize_t recv(char* data, std::size_t size) noexcept;
  ssize_t send(const char* data, std::size_t size) noexcept;
  // The parts in order, until the socket is full.
  ssize_t send(const iovec* parts, std::size_t count) noexcept;
  // Sends close_notify (as far as the socket takes it), then shuts the socket's sending side.
  int shutdown_write(int fd) noexcept;

  bool handshaking() const noexcept { return !established_; }
  // The last call stopped because the socket had no room (a read that had to write).
  bool wants_write() const noexcept { return wants_write_; }
  // Decrypted input not read yet.
  bool has_input() const noexcept;
  // The verified client certificate's subject (RFC 2253: "CN=alice,O=Example"), or "".
  const std::string& client_subject() const noexcept { return subject_; }

 private:
  ssize_t failed(int result) noexcept;
  void on_established();

  std::shared_ptr<const TlsContext> context_;  // alive as long as its sessions (SNI callback)
  ssl_st* ssl_;
  std::string subject_;
  bool established_ = false;
  bool wants_write_ = false;
  bool eof_ = false;
};

}  // namespace gale::web::detail
