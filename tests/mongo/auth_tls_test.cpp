// SCRAM against FerretDB's new authentication (its setup user), and TLS to its TLS listener with
// a CA and a server certificate made in the test. Each test runs a FerretDB of its own.
#include <catch2/catch.hpp>

#include <fstream>

#include "mongo/ferret_instance.hpp"
#include "mongo/support.hpp"

using namespace std::chrono_literals;
using gale::ErrorKind;
using gale::IOLoop;
using gale::mongo::Client;
using gale::mongo::json;
using gale::mongo::MongoError;
using gale::testing::FerretInstance;

namespace {

FerretInstance auth_server() {
  return FerretInstance({"--test-enable-new-auth", "--setup-username=gale",
                         "--setup-password=s3cret-pw", "--setup-database=gale"});
}

int sh(const std::string& cmd) {
  return std::system((cmd + " > /dev/null 2>&1").c_str());
}

// A CA, and a server certificate it signs for 127.0.0.1 and localhost.
void make_certificates(const std::filesystem::path& d) {
  auto p = [&](const char* f) { return (d / f).string(); };
  REQUIRE(sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=gale-test-ca -keyout " +
             p("ca.key") + " -out " + p("ca.pem")) == 0);
  std::ofstream(d / "ext.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  REQUIRE(sh("openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + p("server.key") +
             " -out " + p("server.csr")) == 0);
  REQUIRE(sh("openssl x509 -req -in " + p("server.csr") + " -CA " + p("ca.pem") + " -CAkey " +
             p("ca.key") + " -CAcreateserial -days 2 -extfile " + p("ext.cnf") + " -out " +
             p("server.pem")) == 0);
}

}  // namespace

TEST_CASE("SCRAM-SHA-256 with the right password works, negotiated or named") {
  auto server = auth_server();
  IOLoop loop;
  for (std::string mech : {"&authMechanism=SCRAM-SHA-256", ""}) {
    Client client(
        server.uri("gale:s3cret-pw@", "authSource=gale&serverSelectionTimeoutMS=5000" + mech));
    auto c = client["gale"]["notes"];
    auto r = loop.run_sync([&] { return c.insert_one({{"who", "auth"}}); }, 20s);
    auto back = loop.run_sync([&] { return c.find_one({{"_id", r.inserted_id}}); }, 20s);
    REQUIRE(back);
    CHECK((*back)["who"] == "auth");
  }
}

TEST_CASE("a wrong password fails with unauthorized at once, and the message hides the password") {
  auto server = auth_server();
  IOLoop loop;
  Client client(server.uri("gale:wrong-pw-123@", "authSource=gale&serverSelectionTimeoutMS=5000"));
  auto started = gale::Clock::now();
  try {
    loop.run_sync([&] { return client["gale"]["notes"].find_one(); }, 20s);
    FAIL("no error");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::unauthorized);
    CHECK(std::string(e.what()).find("wrong-pw-123") == std::string::npos);
  }
  CHECK(gale::Clock::now() - started < 4s);  // not at the selection deadline
}

TEST_CASE("without credentials the server refuses the commands that need them") {
  auto server = auth_server();
  IOLoop loop;
  Client client(server.uri("", "serverSelectionTimeoutMS=5000"));
  try {
    loop.run_sync([&] { return client["gale"]["notes"].insert_one({{"a", 1}}); }, 20s);
    FAIL("no error");
  } catch (const MongoError& e) {
    CHECK((e.kind() == ErrorKind::forbidden || e.kind() == ErrorKind::unauthorized));
  }
}

TEST_CASE("TLS to FerretDB's TLS listener with a CA made in the test") {
  auto dir = std::filesystem::temp_directory_path() / ("gale-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  make_certificates(dir);
  int tls_port = gale::testing::free_port();
  FerretInstance server({"--listen-tls=127.0.0.1:" + std::to_string(tls_port),
                         "--listen-tls-cert-file=" + (dir / "server.pem").string(),
                         "--listen-tls-key-file=" + (dir / "server.key").string()});
  server.stop(SIGTERM);
  server.start(tls_port);
  IOLoop loop;
  const std::string base = "mongodb://127.0.0.1:" + std::to_string(tls_port) +
                           "/?tls=true&serverSelectionTimeoutMS=3000";
  {
    Client client(base + "&tlsCAFile=" + (dir / "ca.pem").string());
    auto c = client["tlsdb"]["notes"];
    auto r = loop.run_sync([&] { return c.insert_one({{"over", "tls"}}); }, 20s);
    CHECK(loop.run_sync([&] { return c.find_one({{"_id", r.inserted_id}}); }, 20s).has_value());
    loop.run_sync([&] { return client["tlsdb"].drop(); }, 20s);
  }
  {
    // The system CAs do not know ours: the handshake fails, the error says so.
    Client client(base);
    try {
      loop.run_sync([&] { return client["tlsdb"]["notes"].find_one(); }, 20s);
      FAIL("no error");
    } catch (const gale::Error& e) {
      CHECK(e.kind() == ErrorKind::unavailable);
      CHECK(std::string(e.what()).find("certificate") != std::string::npos);
    }
  }
  {
    Client client(base + "&tlsAllowInvalidCertificates=true");
    CHECK_NOTHROW(loop.run_sync([&] { return client["tlsdb"]["notes"].find_one(); }, 20s));
  }
  {
    // "localhost" is in the certificate; a name that is not fails unless hostnames are not checked.
    Client client("mongodb://127.0.0.1:" + std::to_string(tls_port) + "/?tls=true&tlsCAFile=" +
                  (dir / "ca.pem").string() + "&serverSelectionTimeoutMS=3000");
    CHECK_NOTHROW(loop.run_sync([&] { return client["tlsdb"]["notes"].find_one(); }, 20s));
  }
  std::filesystem::remove_all(dir);
}
