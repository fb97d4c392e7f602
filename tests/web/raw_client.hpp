// A blocking HTTP client over a plain socket, for tests that send exact bytes (pipelining, chunked
// bodies, malformed requests, slow clients). Every read has a deadline (SO_RCVTIMEO). Responses are
// parsed with libhttp-parser, not by hand.
#pragma once

#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gale::testing {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;

  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
    }
    return {};
  }
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error(std::string("connect() failed: ") + std::strerror(errno));
    }
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Half-closes: the server reads the end of the input (as after `nc -N`).
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  void send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send() failed");
      off += static_cast<std::size_t>(n);
    }
  }
  // Sends without throwing; false once the peer is gone.
  bool try_send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // The next response (100 Continue included), or nullopt if the connection closed (or the read
  // timed out) first.
  std::optional<RawResponse> read_response() {
    while (ready_.empty()) {
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        http_parser_execute(&parser_, &settings(), buf, 0);  // EOF ends a close-delimited body
        if (ready_.empty()) return std::nullopt;
        break;
      }
      std::size_t used =
          http_parser_execute(&parser_, &settings(), buf, static_cast<std::size_t>(n));
      if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || used != static_cast<std::size_t>(n)) {
        throw std::runtime_error("malformed response from the server");
      }
    }
    RawResponse r = std::move(ready_.front());
    ready_.erase(ready_.begin());
    return r;
  }

  // True if the server closes the connection within the read timeout (EOF or reset).
  bool closed_by_peer() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

  int fd() const noexcept { return fd_; }

 private:
  static RawClient& of(http_parser* p) { return *static_cast<RawClient*>(p->data); }
  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings x;
      http_parser_settings_init(&x);
      x.on_message_begin = [](http_parser* p) {
        of(p).current_ = RawResponse{};
        of(p).last_was_value_ = false;
        return 0;
      };
      x.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
        auto& c = of(p);
        if (c.current_.headers.empty() || c.last_was_value_) {
          c.current_.headers.emplace_back(std::string(at, n), "");
        } else {
          c.current_.headers.back().first.append(at, n);
        }
        c.last_was_value_ = false;
        return 0;
      };
      x.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
        of(p).current_.headers.back().second.append(at, n);
        of(p).last_was_value_ = true;
        return 0;
      };
      x.on_headers_complete = [](http_parser* p) {
        of(p).current_.status = p->status_code;
        return of(p).expect_head_ ? 1 : 0;
      };
      x.on_body = [](http_parser* p, const char* at, std::size_t n) {
        of(p).current_.body.append(at, n);
        return 0;
      };
      x.on_message_complete = [](http_parser* p) {
        auto& c = of(p);
        c.current_.keep_alive = http_should_keep_alive(p) != 0;
        c.ready_.push_back(std::move(c.current_));
        if (!c.head_queue_.empty()) {
          c.expect_head_ = c.head_queue_.front();
          c.head_queue_.erase(c.head_queue_.begin());
        } else {
          c.expect_head_ = false;
        }
        return 0;
      };
      return x;
    }();
    return s;
  }

 public:
  // Declares that the next response answers a HEAD request (it has no body). Call in request order.
  void expect_head(bool head) {
    if (ready_.empty() && !expect_head_ && head_queue_.empty()) {
      expect_head_ = head;
    } else {
      head_queue_.push_back(head);
    }
  }

 private:
  int fd_ = -1;
  http_parser parser_;
  RawResponse current_;
  std::vector<RawResponse> ready_;
  bool last_was_value_ = false;
  bool expect_head_ = false;
  std::vector<bool> head_queue_;
};

}  // namespace gale::testing
