// TLSSettings: HTTPS in the server (Settings::tls), as Tornado's ssl_options. A server whose
// settings name a certificate file speaks TLS 1.2 and 1.3 only, with Mozilla's "intermediate"
// ciphers, ALPN http/1.1, and the certificate chosen by SNI among `certificate` and
// `sni_certificates`. The files are read at listen() and again on SIGHUP (a file that does not
// load leaves the certificates in use as they were).
//
//   settings.tls.certfile = "/etc/gale/chain.pem";   // PEM: the certificate, then its chain
//   settings.tls.keyfile = "/etc/gale/key.pem";
//   settings.tls.client_ca = "/etc/gale/clients.pem";  // mTLS, the subject in
//   settings.tls.client_certificates =                 // request().client_certificate_subject()
//       gale::web::ClientCertificates::required;
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace gale::web {

// Whether a client must present a certificate signed by TLSSettings::client_ca: none asks for
// none; optional asks, and a client without one is served (one with a bad one is refused);
// required refuses a client without a good one at the handshake.
enum class ClientCertificates : std::uint8_t { none, optional, required };

// A certificate chain and its private key, both PEM files (the key not encrypted).
struct TLSCertificate {
  std::string certfile{};
  std::string keyfile{};
};

struct TLSSettings {
  // The default certificate (for clients that send no server name or one no other matches).
  std::string certfile{};
  std::string keyfile{};
  // More certificates: a client's server name (SNI) picks the first whose names match it.
  std::vector<TLSCertificate> sni_certificates{};
  // PEM file of the certificate authorities that client certificates must chain to.
  std::string client_ca{};
  ClientCertificates client_certificates = ClientCertificates::none;
  // A client has this long from its connection to the end of the TLS handshake; one that stalls in
  // it is closed, as a slowloris is at Settings::header_timeout (which starts after it).
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};

  bool enabled() const noexcept { return !certfile.empty(); }
};

}  // namespace gale::web
