// The broadcast's floor (bench/websocket/run): the least a server can do to send one message to
// every socket on this machine. No framework, no parsing beyond what ws_load sends: a canned 101
// for each handshake (ws_load's key is fixed), and for a POST one frame made once and one send()
// per socket, in a plain loop. Whatever a real server's broadcast costs above this is its own.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

// RFC 6455's own example key, which ws_load sends, and its answer.
constexpr const char* kSwitch =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
constexpr const char* kDone = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

std::string text_frame(const std::string& payload) {
  std::string f(1, static_cast<char>(0x81));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(payload.size()));
  } else {
    f.push_back(static_cast<char>(126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  return f + payload;
}

struct Server {
  int ep = -1;
  int listener = -1;
  std::map<int, std::string> input;  // what each connection sent that is not handled yet
  std::vector<int> members;          // sockets past their handshake

  void watch(int fd) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
  }

  void accept_all() {
    for (int fd; (fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      watch(fd);
    }
  }

  void drop(int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    input.erase(fd);
    std::erase(members, fd);
  }

  // A whole request in `in`: answers it; false while it is incomplete.
  bool handle(int fd, std::string& in) {
    auto end = in.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    if (in.rfind("GET ", 0) == 0) {
      (void)!send(fd, kSwitch, std::strlen(kSwitch), MSG_NOSIGNAL);
      members.push_back(fd);
      in.clear();  // a member's own frames (none in this bench) are not read
      return true;
    }
    auto at = in.find("Content-Length: ");
    std::size_t length =
        at == std::string::npos ? 0 : std::strtoul(in.c_str() + at + 16, nullptr, 10);
    if (in.size() < end + 4 + length) return false;
    std::string frame = text_frame(in.substr(end + 4, length));
    for (int m : members) (void)!send(m, frame.data(), frame.size(), MSG_NOSIGNAL);
    (void)!send(fd, kDone, std::strlen(kDone), MSG_NOSIGNAL);
    drop(fd);
    return true;
  }

  void on_input(int fd) {
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return drop(fd);
      if (n < 0) break;
      input[fd].append(buf, static_cast<std::size_t>(n));
    }
    if (std::find(members.begin(), members.end(), fd) == members.end()) {
      handle(fd, input[fd]);
    } else {
      input.erase(fd);  // a member's own frames (none in this bench) are dropped
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--port") port = std::atoi(argv[i + 1]);
  }
  Server s;
  s.listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(s.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  at.sin_port = htons(static_cast<std::uint16_t>(port));
  if (bind(s.listener, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 ||
      listen(s.listener, 4096) != 0) {
    std::perror("floor_server: listen");
    return 1;
  }
  s.ep = epoll_create1(0);
  s.watch(s.listener);
  epoll_event events[256];
  for (;;) {
    int n = epoll_wait(s.ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == s.listener) {
        s.accept_all();
      } else {
        s.on_input(fd);
      }
    }
  }
}
