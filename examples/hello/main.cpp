// The smallest gale program that serves something: a JSON hello over HTTP, on the IOLoop alone.
// (It answers every request the same way; the web layer brings routing and real HTTP handling.)
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>

#include "gale/loop/loop.hpp"

namespace {
using asio::ip::tcp;

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n"
    "{\"hello\": \"world\", \"n\": 1}\n";

void serve(std::shared_ptr<tcp::socket> socket) {
  auto buffer = std::make_shared<std::array<char, 4096>>();
  socket->async_read_some(asio::buffer(*buffer), [socket, buffer](asio::error_code ec,
                                                                  std::size_t) {
    if (ec) return;
    asio::async_write(*socket, asio::buffer(kResponse), [socket](asio::error_code e, std::size_t) {
      if (!e) serve(socket);  // keep-alive: wait for the next request
    });
  });
}

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](asio::error_code ec, tcp::socket socket) {
    if (!ec) serve(std::make_shared<tcp::socket>(std::move(socket)));
    accept(acceptor);
  });
}
}  // namespace

int main(int argc, char** argv) {
  unsigned short port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 8888);
  gale::IOLoop& loop = gale::IOLoop::current();
  tcp::acceptor acceptor(loop.context(), {asio::ip::make_address("127.0.0.1"), port});
  accept(acceptor);
  gale::log::info("hello", "listening on http://127.0.0.1:{}/", acceptor.local_endpoint().port());
  loop.start();
}
