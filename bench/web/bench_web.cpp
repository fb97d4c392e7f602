// Microbenchmarks of the web layer: routing, JSON bodies, and one request through the whole
// server (socket, parser, router, handler, response) with the server's heap allocations counted.
// Run: build/bench/web/bench_web
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gale/web/json_body.hpp"
#include "gale/web/router.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"

// The replaced operator new/delete below pair malloc with free; GCC cannot see that through the
// inlining of make_unique.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

std::atomic<std::uint64_t> g_allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

void BM_RouterMatch(benchmark::State& state) {
  gale::web::Router router;
  for (int i = 0; i < 50; ++i) router.add("/api/v1/r" + std::to_string(i) + "/{id}", i);
  router.add("/api/v1/notes/{id}/tags/{tag:int}", 50);
  gale::web::PathArgs args;
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.match("/api/v1/notes/abc/tags/42", args));
  }
}
BENCHMARK(BM_RouterMatch);

void BM_ParseJsonBody(benchmark::State& state) {
  std::string body = R"({"title": "buy milk", "done": false, "tags": ["home", "food"], "n": 3})";
  for (auto _ : state) {
    benchmark::DoNotOptimize(gale::web::parse_json(body, {}));
  }
}
BENCHMARK(BM_ParseJsonBody);

struct Json : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    // Built per request, as TechEmpower asks; operator[] costs 3 allocations where the
    // initializer-list form {{"message", "..."}} costs 9 (nlohmann builds it via temporaries).
    nlohmann::json message;
    message["message"] = "Hello, World!";
    write_json(message);
    return gale::make_ready_future();
  }
};

struct Text : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    write("{\"message\":\"Hello, World!\"}");
    return gale::make_ready_future();
  }
};

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  return fd;
}

// Reads until `count` responses (each ends with the JSON body's closing brace) arrived.
void read_responses(int fd, int count, char* buf, std::size_t size) {
  int seen = 0;
  while (seen < count) {
    ssize_t n = ::recv(fd, buf, size, 0);
    if (n <= 0) std::abort();
    for (ssize_t i = 0; i < n; ++i) seen += buf[i] == '}';
  }
}

// One request at a time, or `depth` pipelined: time and server allocations per request.
// BM_RequestJson builds the JSON with nlohmann per request; BM_RequestText writes the same bytes
// as text, which leaves the framework's own allocations.
template <class Handler>
void BM_Request(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  gale::web::Settings settings;
  settings.access_log = false;
  gale::web::Application app({{"/json", gale::web::handler<Handler>()}}, settings);
  gale::web::testing::ThreadedServer server(app);
  int fd = connect_to(server.port());
  std::string batch;
  for (int i = 0; i < depth; ++i) batch += "GET /json HTTP/1.1\r\nHost: bench\r\n\r\n";
  static char buf[1 << 16];
  ::send(fd, batch.data(), batch.size(), 0);  // warm-up
  read_responses(fd, depth, buf, sizeof buf);
  std::uint64_t before = g_allocations.load();
  for (auto _ : state) {
    ::send(fd, batch.data(), batch.size(), 0);
    read_responses(fd, depth, buf, sizeof buf);
  }
  double requests = static_cast<double>(state.iterations()) * depth;
  state.counters["allocs_per_req"] = static_cast<double>(g_allocations.load() - before) / requests;
  state.SetItemsProcessed(static_cast<std::int64_t>(requests));
  ::close(fd);
}
void BM_RequestJson(benchmark::State& state) {
  BM_Request<Json>(state);
}
void BM_RequestText(benchmark::State& state) {
  BM_Request<Text>(state);
}
BENCHMARK(BM_RequestJson)->Arg(1)->Arg(16)->UseRealTime();
BENCHMARK(BM_RequestText)->Arg(1)->Arg(16)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
