// The change-event latency benchmark's gale server (bench/live/run): one MongoDB client, one change
// stream on a collection, and every event pushed as one WebSocket text message to every socket open
// on /live (one Broadcast: serialized and framed once). The message is the event's relevant part:
// {"seq": <fullDocument.seq>, "op": <operationType>}. The same as bench/peers/tornado_live.py.
//
// Usage: bench_live_server --port N --mongo-uri URI [--db D] [--collection C]
//          [--max-await-ms MS] [--batch-size N]
// The port is listened on once the stream is open, so a client that sees the port open knows that
// every write from then on reaches it.
//
// The stream's options, chosen for mongo-java-server (the server here with change streams), which
// answers a change stream's getMore at once instead of holding it until an event comes
// (awaitData): gale then waits out max_await_time after an empty getMore before the next one, so
// max_await_time is its polling interval there. 1 ms keeps that interval's share of the latency
// near 0.5 ms on average, for about 1,000 empty getMores a second while idle (PyMongo and Motor
// send the next one at once, as fast as the server answers). On a MongoDB that honours awaitData,
// leave it unset: the server holds each getMore up to 1 s and answers as soon as an event comes.
// batch_size 100 bounds one reply when writes come in a burst.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/mongo/client.hpp"
#include "gale/web/web.hpp"

namespace {

using nlohmann::json;

gale::web::Broadcast feed;

struct Live : gale::web::WebSocketHandler {
  gale::Future<void> open(std::string_view) override {
    feed.add(*this);
    return {};
  }
};

// Reads the stream for good: each event out to every member of the feed. The process ends if the
// stream does (the benchmark would measure nothing). The stream is main's: were it this frame's,
// the IOLoop's teardown at exit would destroy it inside the frame's destruction, and its
// killCursors would then be scheduled on the loop being destroyed (a crash at exit).
gale::Future<void> pump(gale::mongo::ChangeStream& stream) {
  try {
    while (auto event = co_await stream.next()) {
      json message;
      const auto doc = event->find("fullDocument");
      message["seq"] = doc != event->end() && doc->is_object() ? doc->value("seq", json()) : json();
      message["op"] = event->value("operationType", "");
      feed.send(message);
    }
    std::fprintf(stderr, "bench_live_server: the change stream ended\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_live_server: the change stream failed: %s\n", e.what());
  }
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  gale::web::Options options(
      "bench_live_server: a change stream pushed to WebSockets (bench/live/run)");
  std::string db = "gale_live";
  std::string collection = "events";
  int max_await_ms = 1;
  int batch_size = 100;
  options.define("--db", db, "database of the watched collection");
  options.define("--collection", collection, "the watched collection");
  options.define("--max-await-ms", max_await_ms,
                 "the change stream's max_await_time (ms): how long a getMore waits for events");
  options.define("--batch-size", batch_size, "the change stream's batch_size (0: the server's)");
  options.parse(argc, argv);
  if (options.mongo_uri.empty()) options.usage_error("--mongo-uri is required");

  auto settings = options.settings();
  settings.access_log = false;
  settings.max_connections = 20000;
  settings.websocket_ping_interval = std::chrono::milliseconds(0);  // Tornado's default: no pings

  auto& loop = gale::IOLoop::current();
  gale::mongo::Client client(options.mongo_uri);
  gale::mongo::ChangeStreamOptions o;
  o.max_await_time = std::chrono::milliseconds(max_await_ms);
  o.batch_size = batch_size;
  auto events = client[db][collection];
  auto stream = loop.run_sync([&] { return events.watch(json::array(), o); });

  loop.spawn_callback([&stream] { return pump(stream); });
  gale::web::Application app({{"/live", gale::web::handler<Live>()}}, settings);
  app.listen(options);
  loop.start();
}
