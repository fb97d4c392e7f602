// The HTTP client over TLS, against Python's HTTPS server with a certificate made for the test.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/web/http_client.hpp"

using gale::Error;
using gale::ErrorKind;
using gale::IOLoop;
using gale::web::HTTPClient;
using gale::web::HTTPRequest;
using namespace std::chrono_literals;

namespace {

constexpr const char* kServer = R"PY(
import http.server, json, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1] + "/cert.pem", sys.argv[1] + "/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
)PY";

// A self-signed certificate for localhost and 127.0.0.1, and an HTTPS server using it.
class HttpsServer {
 public:
  HttpsServer() {
    dir_ = std::filesystem::temp_directory_path() / ("gale-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
        (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() + " > /dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execlp("python3", "python3", "-c", kServer, dir_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    // The port, up to its newline (Python may write the number and the newline separately; the
    // pipe stays open until the server is stopped, so no write of its ever fails).
    std::string line;
    char c = 0;
    while (line.size() < 16 && read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    out_ = fds[0];
    if (line.empty()) throw std::runtime_error("the HTTPS server did not start");
    port_ = std::stoi(line);
  }
  ~HttpsServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    close(out_);
    std::filesystem::remove_all(dir_);
  }
  std::string url(const std::string& host, const std::string& path) const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }
  std::string ca() const { return (dir_ / "cert.pem").string(); }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

gale::web::HTTPResponse fetch(HTTPClient& client, HTTPRequest req) {
  return IOLoop::current().run_sync([&] { return client.fetch(req); }, 10s);
}

}  // namespace

TEST_CASE("fetch speaks TLS, verifies the certificate and reuses the connection", "[tls]") {
  HttpsServer server;
  HTTPClient client;
  HTTPRequest req;
  req.url = server.url("localhost", "/secure?x=1");
  req.ca_certs = server.ca();
  auto r = fetch(client, req);
  CHECK(r.code == 200);
  CHECK(r.json()["path"] == "/secure?x=1");
  CHECK(!r.reused_connection);
  auto again = fetch(client, req);
  CHECK(again.code == 200);
  CHECK(again.reused_connection);
  req.url = server.url("127.0.0.1", "/by-ip");  // the certificate names the IP too
  CHECK(fetch(client, req).json()["path"] == "/by-ip");
}

TEST_CASE("fetch refuses a certificate it cannot verify unless told not to", "[tls]") {
  HttpsServer server;
  HTTPClient client;
  HTTPRequest req;
  req.url = server.url("localhost", "/");
  try {
    fetch(client, req);  // the system's CAs do not know the test's certificate
    FAIL("no error");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.kind() == ErrorKind::unavailable);
    CHECK(std::string(e.what()).find("TLS handshake") != std::string::npos);
  }
  req.validate_cert = false;
  CHECK(fetch(client, req).code == 200);
  req.validate_cert = true;
  req.ca_certs = "/nonexistent/ca.pem";
  try {
    fetch(client, req);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_argument);
  }
}
