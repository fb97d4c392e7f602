// TlsContext: the server's OpenSSL contexts, made from TLSSettings: one per certificate (the
// first the default, the others picked by SNI), TLS 1.2 and 1.3 only, Mozilla's "intermediate"
// ciphers, ALPN http/1.1, client certificates as asked. Immutable once made: a reload (SIGHUP)
// makes a new one, and each connection keeps the one it started with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gale/web/tls_settings.hpp"

struct ssl_st;

namespace asio::ssl {
class context;
}

namespace gale::web::detail {

class TlsContext {
 public:
  // Reads the files; throws gale::Error(invalid_argument) saying which file failed and why.
  static std::shared_ptr<const TlsContext> load(const TLSSettings& settings);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new server-side session on the socket `fd`; throws if OpenSSL cannot make one.
  ssl_st* new_session(int fd) const;

 private:
  TlsContext() = default;
  static int on_server_name(ssl_st* ssl, int* alert, void* arg);

  std::vector<std::unique_ptr<asio::ssl::context>> contexts_;  // [0]: the default certificate
};

}  // namespace gale::web::detail
