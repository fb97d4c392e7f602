#include "gale/web/detail/tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cerrno>

#include "gale/loop/log.hpp"
#include "gale/web/detail/tls_context.hpp"

namespace gale::web::detail {
namespace {

// A certificate's subject in RFC 2253's form.
std::string subject_of(X509* cert) {
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return {};
  X509_NAME_print_ex(out, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long size = BIO_get_mem_data(out, &data);
  std::string subject(data, static_cast<std::size_t>(size > 0 ? size : 0));
  BIO_free(out);
  return subject;
}

}  // namespace

TlsStream::TlsStream(std::shared_ptr<const TlsContext> context, int fd)
    : context_(std::move(context)), ssl_(context_->new_session(fd)) {}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

bool TlsStream::has_input() const noexcept {
  return SSL_pending(ssl_) > 0;
}

void TlsStream::on_established() {
  established_ = true;
  X509* peer = SSL_get0_peer_certificate(ssl_);
  if (peer != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK) subject_ = subject_of(peer);
}

// What an SSL call that did not succeed means, as a socket call's result.
ssize_t TlsStream::failed(int result) noexcept {
  int error = SSL_get_error(ssl_, result);
  wants_write_ = error == SSL_ERROR_WANT_WRITE;
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  if (error == SSL_ERROR_ZERO_RETURN) {
    eof_ = true;
    return 0;
  }
  if (!established_ && log::enabled(log::Level::debug)) {
    char text[256] = "";
    ERR_error_string_n(ERR_peek_last_error(), text, sizeof text);
    log::debug("gale.web", "TLS handshake failed: {}", text);
  }
  ERR_clear_error();
  errno = error == SSL_ERROR_SSL ? EPROTO : ECONNRESET;
  return -1;
}

ssize_t TlsStream::recv(char* data, std::size_t size) noexcept {
  if (eof_) return 0;
  std::size_t got = 0;
  while (got < size) {
    std::size_t n = 0;
    int r = SSL_read_ex(ssl_, data + got, size - got, &n);
    if (!established_ && SSL_is_init_finished(ssl_)) on_established();
    if (r == 1) {
      got += n;
      continue;
    }
    ssize_t result = failed(r);
    if (got == 0) return result;
    if (result < 0 && errno != EAGAIN) eof_ = true;  // the next call says the connection ended
    break;
  }
  wants_write_ = false;
  return static_cast<ssize_t>(got);
}

ssize_t TlsStream::send(const char* data, std::size_t size) noexcept {
  iovec part{const_cast<char*>(data), size};
  return send(&part, 1);
}

ssize_t TlsStream::send(const iovec* parts, std::size_t count) noexcept {
  std::size_t sent = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char* data = static_cast<const char*>(parts[i].iov_base);
    std::size_t done = 0;
    while (done < parts[i].iov_len) {
      std::size_t n = 0;
      int r = SSL_write_ex(ssl_, data + done, parts[i].iov_len - done, &n);
      if (r != 1) {
        ssize_t result = failed(r);
        if (sent + done > 0 && result < 0 && errno == EAGAIN)
          return static_cast<ssize_t>(sent + done);
        if (result == 0) errno = EPIPE;  // a write after the peer's close_notify
        return -1;
      }
      done += n;
    }
    sent += done;
  }
  wants_write_ = false;
  return static_cast<ssize_t>(sent);
}

int TlsStream::shutdown_write(int fd) noexcept {
  if (established_) {
    SSL_shutdown(ssl_);  // close_notify, best effort: the peer may be gone
    ERR_clear_error();
  }
  return ::shutdown(fd, SHUT_WR);
}

}  // namespace gale::web::detail
