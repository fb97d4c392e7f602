// An OpenSSL BIO on a nonblocking socket that writes with send(MSG_NOSIGNAL): OpenSSL's own
// socket BIO writes with write(), which raises SIGPIPE on a connection the peer reset.
#pragma once

struct bio_st;

namespace gale::web::detail {

// A BIO that reads and writes `fd` (it does not close it); null if OpenSSL cannot make one.
bio_st* new_socket_bio(int fd);

}  // namespace gale::web::detail
