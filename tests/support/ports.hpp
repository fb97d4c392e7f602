// Loopback ports for servers that tests start themselves (FerretDB, PostgreSQL, the crud program).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace gale::testing {

// A port nobody listens on right now.
inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// The port of a one-host URI: "postgresql://u:p@127.0.0.1:26188/gale" and
// "mongodb://127.0.0.1:23100/?x=1" give 26188 and 23100 (the test servers' URIs always name one).
inline int port_of(std::string_view uri) {
  auto start = uri.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  auto authority = uri.substr(start, uri.find_first_of("/?", start) - start);
  return std::stoi(std::string(authority.substr(authority.rfind(':') + 1)));
}

}  // namespace gale::testing
