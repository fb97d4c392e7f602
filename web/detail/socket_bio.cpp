#include "gale/web/detail/socket_bio.hpp"

#include <openssl/bio.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

namespace gale::web::detail {
namespace {

int fd_of(BIO* bio) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
}

bool would_block(ssize_t n) {
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

int socket_write(BIO* bio, const char* data, size_t size, size_t* written) {
  BIO_clear_retry_flags(bio);
  ssize_t n = ::send(fd_of(bio), data, size, MSG_NOSIGNAL);
  if (would_block(n)) BIO_set_retry_write(bio);
  if (n <= 0) return 0;
  *written = static_cast<size_t>(n);
  return 1;
}

int socket_read(BIO* bio, char* data, size_t size, size_t* read) {
  BIO_clear_retry_flags(bio);
  ssize_t n = ::recv(fd_of(bio), data, size, 0);
  if (would_block(n)) BIO_set_retry_read(bio);
  if (n <= 0) return 0;  // n == 0: the end of input, which OpenSSL reads as such
  *read = static_cast<size_t>(n);
  return 1;
}

long socket_ctrl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int socket_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gale socket");
    BIO_meth_set_write_ex(m, socket_write);
    BIO_meth_set_read_ex(m, socket_read);
    BIO_meth_set_ctrl(m, socket_ctrl);
    BIO_meth_set_create(m, socket_create);
    return m;
  }();
  return method;
}

}  // namespace

bio_st* new_socket_bio(int fd) {
  BIO* bio = BIO_new(socket_method());
  if (bio != nullptr) BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
  return bio;
}

}  // namespace gale::web::detail
