#include "gale/web/bearer_auth.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

#include "gale/web/http_error.hpp"

namespace gale::web::detail {

std::string_view bearer_token(const RequestHandler& handler, std::string_view realm) {
  std::string_view value = handler.header("Authorization");
  // The scheme is case-insensitive (RFC 7235); the token is b64token: at least one character.
  // "bearer " in one compare of a word: each byte OR 0x20 (A-Z to a-z; the space stays).
  constexpr std::string_view kScheme = "bearer ";
  bool bearer = value.size() > kScheme.size();
  if (bearer) {
    std::uint64_t word = 0;
    std::uint64_t scheme = 0;
    std::memcpy(&word, value.data(), kScheme.size());
    std::memcpy(&scheme, kScheme.data(), kScheme.size());
    bearer = (word | 0x2020202020202020) == (scheme | 0x2020202020202020);
  }
  std::string_view token = bearer ? value.substr(kScheme.size()) : std::string_view();
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) {
    throw HTTPError(401, "a bearer token is required")
        .with_header("WWW-Authenticate", fmt::format("Bearer realm=\"{}\"", realm));
  }
  return token;
}

void refuse_bearer_token(std::string_view realm) {
  throw HTTPError(401, "the bearer token is invalid or expired")
      .with_header("WWW-Authenticate",
                   fmt::format("Bearer realm=\"{}\", error=\"invalid_token\"", realm));
}

}  // namespace gale::web::detail
