#include "gale/web/detail/client_socket.hpp"

#include <fmt/format.h>
#include <http_parser.h>
#include <asio/connect.hpp>
#include <asio/write.hpp>

#include "gale/loop/error.hpp"

namespace gale::web::detail {
namespace {

using asio::ip::tcp;

Future<void> connect_socket(ConnPtr conn, tcp::resolver::results_type endpoints) {
  Promise<void> promise;
  Future<void> out = promise.get_future();
  asio::async_connect(
      conn->socket, endpoints,
      [p = std::move(promise)](const asio::error_code& ec, const tcp::endpoint&) mutable {
        if (ec) {
          p.set_error(asio::system_error(ec));
        } else {
          p.set_value();
        }
      });
  return out;
}

Future<tcp::resolver::results_type> resolve(std::shared_ptr<tcp::resolver> resolver,
                                            std::string host, std::uint16_t port) {
  Promise<tcp::resolver::results_type> promise;
  auto out = promise.get_future();
  resolver->async_resolve(host, std::to_string(port),
                          [p = std::move(promise), resolver](
                              const asio::error_code& ec, tcp::resolver::results_type r) mutable {
                            if (ec) {
                              p.set_error(asio::system_error(ec));
                            } else {
                              p.set_value(std::move(r));
                            }
                          });
  return out;
}

Future<void> handshake(ConnPtr conn) {
  Promise<void> promise;
  auto out = promise.get_future();
  conn->tls->async_handshake(asio::ssl::stream_base::client,
                             [p = std::move(promise), conn](const asio::error_code& ec) mutable {
                               if (ec) {
                                 p.set_error(asio::system_error(ec));
                               } else {
                                 p.set_value();
                               }
                             });
  return out;
}

}  // namespace

Future<void> write_all(ConnPtr conn, std::shared_ptr<std::string> data) {
  Promise<void> promise;
  auto out = promise.get_future();
  conn->with_stream([&](auto& stream) {
    asio::async_write(
        stream, asio::buffer(*data),
        [p = std::move(promise), data, conn](const asio::error_code& ec, std::size_t) mutable {
          if (ec) {
            p.set_error(asio::system_error(ec));
          } else {
            p.set_value();
          }
        });
  });
  return out;
}

Future<std::size_t> read_some(ConnPtr conn, std::shared_ptr<std::array<char, 16384>> buffer) {
  Promise<std::size_t> promise;
  auto out = promise.get_future();
  conn->with_stream([&](auto& stream) {
    stream.async_read_some(
        asio::buffer(*buffer),
        [p = std::move(promise), buffer, conn](const asio::error_code& ec, std::size_t n) mutable {
          // A TLS peer that closes without close_notify (stream_truncated) ends the stream too.
          if (ec && ec != asio::error::eof && ec != asio::ssl::error::stream_truncated) {
            p.set_error(asio::system_error(ec));
          } else {
            p.set_value(ec ? std::size_t{0} : n);
          }
        });
  });
  return out;
}

ParsedUrl parse_url(const std::string& url, std::string_view who, bool websocket) {
  http_parser_url u;
  http_parser_url_init(&u);
  if (http_parser_parse_url(url.data(), url.size(), 0, &u) != 0 ||
      (u.field_set & (1 << UF_HOST)) == 0) {
    throw Error(ErrorKind::invalid_argument,
                fmt::format("{}: not an absolute URL: '{}'", who, url));
  }
  auto field = [&](int f) {
    return std::string_view(url).substr(u.field_data[f].off, u.field_data[f].len);
  };
  std::string_view scheme =
      (u.field_set & (1 << UF_SCHEMA)) != 0 ? field(UF_SCHEMA) : (websocket ? "ws" : "http");
  const bool known =
      websocket ? (scheme == "ws" || scheme == "wss") : (scheme == "http" || scheme == "https");
  if (!known) {
    throw Error(ErrorKind::invalid_argument,
                fmt::format("{}: only {} URLs, not '{}'", who,
                            websocket ? "ws:// and wss://" : "http:// and https://", scheme));
  }
  ParsedUrl out;
  out.scheme = std::string(scheme);
  out.tls = scheme == "https" || scheme == "wss";
  out.host = std::string(field(UF_HOST));
  out.port = out.tls ? 443 : 80;
  if ((u.field_set & (1 << UF_PORT)) != 0) out.port = u.port;
  out.target = (u.field_set & (1 << UF_PATH)) != 0 ? std::string(field(UF_PATH)) : "/";
  if ((u.field_set & (1 << UF_QUERY)) != 0) out.target += "?" + std::string(field(UF_QUERY));
  out.key = fmt::format("{}://{}:{}", scheme, out.host, out.port);
  return out;
}

std::shared_ptr<asio::ssl::context> client_tls_context(const std::string& ca_certs, bool validate,
                                                       std::string_view who) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  try {
    if (ca_certs.empty()) {
      ctx->set_default_verify_paths();
    } else {
      ctx->load_verify_file(ca_certs);
    }
  } catch (const std::exception& e) {
    throw Error(ErrorKind::invalid_argument,
                fmt::format("{}: cannot load CA certificates '{}': {}", who, ca_certs, e.what()));
  }
  ctx->set_verify_mode(validate ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return ctx;
}

Future<ConnPtr> open_connection(IOLoop& loop, const ParsedUrl& u, Clock::time_point until,
                                asio::ssl::context* tls, bool verify, std::string who) {
  auto conn = std::make_shared<ClientConn>(loop.context());
  auto timed_out = std::make_shared<bool>(false);
  auto resolver = std::make_shared<tcp::resolver>(loop.context());
  TimeoutHandle timer = loop.call_at(until, [conn, resolver, timed_out] {
    *timed_out = true;
    resolver->cancel();
    asio::error_code ec;
    conn->socket.close(ec);
  });
  std::string host = u.host;
  std::uint16_t port = u.port;
  try {
    auto endpoints = co_await resolve(resolver, host, port);
    co_await connect_socket(conn, std::move(endpoints));
  } catch (const std::exception& e) {
    timer.cancel();
    if (*timed_out) {
      throw Error(ErrorKind::timeout,
                  fmt::format("{}: connecting to {}:{} timed out", who, host, port));
    }
    throw Error(ErrorKind::unavailable,
                fmt::format("{}: cannot connect to {}:{}: {}", who, host, port, e.what()));
  }
  if (tls != nullptr) {
    conn->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(conn->socket, *tls);
    asio::error_code not_ip;
    (void)asio::ip::make_address(host, not_ip);
    if (not_ip) SSL_set_tlsext_host_name(conn->tls->native_handle(), host.c_str());  // SNI
    if (verify) conn->tls->set_verify_callback(asio::ssl::host_name_verification(host));
    std::string failure;
    try {
      co_await handshake(conn);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      timer.cancel();
      if (*timed_out) {
        throw Error(ErrorKind::timeout,
                    fmt::format("{}: the TLS handshake with {}:{} timed out", who, host, port));
      }
      throw Error(ErrorKind::unavailable,
                  fmt::format("{}: TLS handshake with {}:{} failed: {}", who, host, port, failure));
    }
  }
  timer.cancel();
  asio::error_code ec;
  conn->socket.set_option(tcp::no_delay(true), ec);
  co_return conn;
}

}  // namespace gale::web::detail
