#include "gale/web/detail/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <asio/ssl/context.hpp>

#include <array>
#include <stdexcept>

#include "gale/loop/error.hpp"
#include "gale/web/detail/socket_bio.hpp"

namespace gale::web::detail {
namespace {

// Mozilla's "intermediate" configuration (v5.7) for TLS 1.2; TLS 1.3 keeps OpenSSL's suites (all
// three AEADs, as that configuration lists them).
constexpr const char* kCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kCurves = "X25519:prime256v1:secp384r1";
constexpr std::array<unsigned char, 9> kHttp11 = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr std::array<unsigned char, 4> kSessionContext = {'g', 'a', 'l', 'e'};

[[noreturn]] void fail(const std::string& what) {
  throw Error(ErrorKind::invalid_argument, "TLS: " + what);
}

// The last OpenSSL error's text, or `fallback`.
std::string openssl_reason(const char* fallback) {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  std::array<char, 256> text{};
  ERR_error_string_n(e, text.data(), text.size());
  return text.data();
}

// ALPN: http/1.1 when the client offers it; a client that offers only other protocols goes on
// without ALPN (and speaks HTTP/1.1 or fails on its own).
int on_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
            unsigned int in_size, void*) {
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_size, kHttp11.data(), kHttp11.size(), in, in_size) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

void load_certificate(asio::ssl::context& c, const TLSCertificate& cert) {
  SSL_CTX* ctx = c.native_handle();
  if (cert.keyfile.empty()) fail(cert.certfile + ": no key file given for it");
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.certfile.c_str()) != 1) {
    fail("cannot load the certificate " + cert.certfile + ": " + openssl_reason("unreadable"));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, cert.keyfile.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("cannot load the key " + cert.keyfile + ": " + openssl_reason("unreadable"));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    fail(cert.keyfile + " is not the key of " + cert.certfile);
  }
}

void ask_client_certificates(SSL_CTX* ctx, const TLSSettings& s) {
  if (s.client_certificates == ClientCertificates::none) return;
  if (s.client_ca.empty()) fail("client certificates need a client CA file (client_ca)");
  if (SSL_CTX_load_verify_locations(ctx, s.client_ca.c_str(), nullptr) != 1) {
    fail("cannot load the client CA " + s.client_ca + ": " + openssl_reason("unreadable"));
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.client_ca.c_str());
  if (names == nullptr) fail("no CA certificate in " + s.client_ca);
  SSL_CTX_set_client_CA_list(ctx, names);
  int mode = SSL_VERIFY_PEER;
  if (s.client_certificates == ClientCertificates::required) {
    mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
}

std::unique_ptr<asio::ssl::context> make_context(const TLSSettings& s, const TLSCertificate& cert) {
  auto c = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = c->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes of a buffer that may move (a response string that grew), and no buffers kept
  // by an idle connection.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, kCiphers12) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kCurves) != 1) {
    fail("OpenSSL refuses the cipher configuration: " + openssl_reason("unknown"));
  }
  SSL_CTX_set_session_id_context(ctx, kSessionContext.data(), kSessionContext.size());
  SSL_CTX_set_alpn_select_cb(ctx, on_alpn, nullptr);
  load_certificate(*c, cert);
  ask_client_certificates(ctx, s);
  return c;
}

}  // namespace

TlsContext::~TlsContext() = default;

std::shared_ptr<const TlsContext> TlsContext::load(const TLSSettings& settings) {
  if (!settings.enabled()) fail("no certificate file given");
  std::shared_ptr<TlsContext> t(new TlsContext());
  t->contexts_.push_back(make_context(settings, {settings.certfile, settings.keyfile}));
  for (const TLSCertificate& cert : settings.sni_certificates) {
    t->contexts_.push_back(make_context(settings, cert));
  }
  if (t->contexts_.size() > 1) {
    SSL_CTX* first = t->contexts_.front()->native_handle();
    SSL_CTX_set_tlsext_servername_callback(first, on_server_name);
    SSL_CTX_set_tlsext_servername_arg(first, t.get());
  }
  return t;
}

// SNI: the first certificate whose names (subjectAltName, or CN without one) match the name the
// client asks for; the default one if none does.
int TlsContext::on_server_name(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const TlsContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;
  for (std::size_t i = 1; i < self->contexts_.size(); ++i) {
    SSL_CTX* ctx = self->contexts_[i]->native_handle();
    X509* cert = SSL_CTX_get0_certificate(ctx);
    if (cert != nullptr && X509_check_host(cert, name, 0, 0, nullptr) == 1) {
      SSL_set_SSL_CTX(ssl, ctx);
      break;
    }
  }
  return SSL_TLSEXT_ERR_OK;
}

SSL* TlsContext::new_session(int fd) const {
  SSL* ssl = SSL_new(contexts_.front()->native_handle());
  BIO* bio = ssl != nullptr ? new_socket_bio(fd) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl);
    throw std::runtime_error("cannot make a TLS session: " + openssl_reason("out of memory"));
  }
  SSL_set_bio(ssl, bio, bio);
  SSL_set_accept_state(ssl);
  return ssl;
}

}  // namespace gale::web::detail
