// FerretDB killed while queries run: the queries fail with kind unavailable within their deadline,
// and once it is back the same client works again, with no restart of the client.
#include <catch2/catch.hpp>

#include <asio/ip/tcp.hpp>

#include "gale/mongo/topology_description.hpp"
#include "mongo/ferret_instance.hpp"
#include "mongo/support.hpp"

using namespace std::chrono_literals;
using gale::ErrorKind;
using gale::Future;
using gale::IOLoop;
using gale::mongo::Client;
using gale::mongo::json;
using gale::testing::FerretInstance;

namespace {

struct Tally {
  int ok = 0;
  int unavailable = 0;
  int other = 0;
  std::string last_other;
};

Future<void> query_loop(gale::mongo::Collection c, Tally* t, gale::Clock::time_point until) {
  while (gale::Clock::now() < until) {
    bool failed = false;
    try {
      json filter = {{"k", 1}};
      co_await c.find_one(std::move(filter));
      ++t->ok;
    } catch (const gale::Error& e) {
      failed = true;
      if (e.kind() == ErrorKind::unavailable) {
        ++t->unavailable;
      } else {
        ++t->other;
        t->last_other = e.what();
      }
    }
    if (failed) co_await gale::sleep(20ms);
  }
}

Future<bool> until_ok(gale::mongo::Collection c, gale::Clock::time_point until) {
  while (gale::Clock::now() < until) {
    try {
      json filter = {{"k", 1}};
      co_await c.find_one(std::move(filter));
      co_return true;
    } catch (const gale::Error&) {
    }
    co_await gale::sleep(100ms);
  }
  co_return false;
}

}  // namespace

TEST_CASE("FerretDB killed while queries run: unavailable within the deadline, then recovery") {
  FerretInstance server;
  IOLoop loop;
  Client client(server.uri("",
                           "serverSelectionTimeoutMS=1500&connectTimeoutMS=1000&"
                           "heartbeatFrequencyMS=500&maxPoolSize=8"));
  auto c = client["faultdb"]["items"];
  loop.run_sync([&] { return c.insert_one({{"k", 1}}); }, 20s);

  Tally before;
  loop.run_sync([&] { return query_loop(c, &before, gale::Clock::now() + 300ms); }, 10s);
  CHECK(before.ok > 0);
  CHECK(before.unavailable == 0);

  // Kill it while 8 loops query, for 3 s of outage.
  Tally during;
  auto until = gale::Clock::now() + 3s;
  std::vector<Future<void>> loops;
  for (int i = 0; i < 8; ++i) loops.push_back(query_loop(c, &during, until));
  loop.call_later(200ms, [&] { server.stop(SIGKILL); });
  auto started = gale::Clock::now();
  loop.run_sync([&] { return gale::gather(std::move(loops)); }, 20s);
  CHECK(gale::Clock::now() - started < 6s);  // every failing query ended within its deadline
  CHECK(during.unavailable > 0);
  INFO(during.last_other);
  CHECK(during.other == 0);
  CHECK(client.topology().servers().begin()->second.type == gale::mongo::ServerType::unknown);

  server.start();
  CHECK(loop.run_sync([&] { return until_ok(c, gale::Clock::now() + 10s); }, 15s));
  auto doc = loop.run_sync([&] { return c.find_one(); }, 10s);
  REQUIRE(doc);
  CHECK((*doc)["k"] == 1);
  CHECK(client.topology().servers().begin()->second.type == gale::mongo::ServerType::standalone);
}

TEST_CASE(
    "a server that never answers: the operation times out at its deadline and the socket is "
    "closed") {
  // A listener that accepts and says nothing: the handshake cannot finish.
  int port = gale::testing::free_port();
  IOLoop loop;
  asio::ip::tcp::acceptor acceptor(
      loop.context(), {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;
  std::function<void()> accept = [&] {
    auto s = std::make_shared<asio::ip::tcp::socket>(loop.context());
    acceptor.async_accept(*s, [&, s](asio::error_code ec) {
      if (ec) return;
      held.push_back(s);
      accept();
    });
  };
  accept();
  Client client("mongodb://127.0.0.1:" + std::to_string(port) +
                "/?serverSelectionTimeoutMS=800&connectTimeoutMS=300");
  auto started = gale::Clock::now();
  try {
    loop.run_sync([&] { return client["x"]["y"].find_one(); }, 10s);
    FAIL("no error");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
  }
  CHECK(gale::Clock::now() - started < 2s);
  CHECK_FALSE(held.empty());
}
