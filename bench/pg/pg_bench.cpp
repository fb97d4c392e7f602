// bench_pg: N coroutines each running the single-row prepared
//   SELECT id, randomnumber FROM world WHERE id = $1
// over and over for a while, on one gale::pg::Client; prints queries/s and the client's CPU time
// per query (getrusage: user + system of this process). bench/pg/run runs it next to pgbench.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <random>

#include "gale/loop/loop.hpp"
#include "gale/pg/pg.hpp"

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Counters {
  std::uint64_t queries = 0;
  std::uint64_t wrong = 0;
  std::uint64_t errors = 0;
  bool stop = false;
};

gale::Future<void> worker(gale::pg::Client& pg, Counters& c, unsigned seed) {
  std::minstd_rand random(seed);
  std::uniform_int_distribution<int> ids(1, 10000);
  while (!c.stop) {
    int id = ids(random);
    try {
      auto rows = co_await pg.query("SELECT id, randomnumber FROM world WHERE id = $1", id);
      if (rows.size() != 1 || rows[0][std::size_t{0}].as<int>() != id) ++c.wrong;
      ++c.queries;
    } catch (const std::exception&) {
      ++c.errors;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("gale PostgreSQL single-row query benchmark");
  std::string uri;
  int coroutines = 64;
  double seconds = 10;
  double warmup = 1;
  int pool = 2;
  bool pipeline = true;
  app.add_option("--uri", uri, "PostgreSQL URI")->required();
  app.add_option("--coroutines", coroutines, "concurrent coroutines");
  app.add_option("--seconds", seconds, "measured duration");
  app.add_option("--warmup", warmup, "warm-up duration (not measured)");
  app.add_option("--pool", pool, "pool_max_size (connections)");
  app.add_option("--pipeline", pipeline, "pipeline mode (1/0)");
  CLI11_PARSE(app, argc, argv);

  gale::log::set_level(gale::log::Level::warning);
  gale::IOLoop loop;
  std::string full = uri + (uri.find('?') == std::string::npos ? "?" : "&") +
                     "pool_max_size=" + std::to_string(pool) +
                     "&pipeline=" + (pipeline ? "on" : "off");
  gale::pg::Client pg(full);
  Counters c;
  double qps = 0, cpu_us = 0;
  loop.run_sync([&]() -> gale::Future<void> {
    std::vector<gale::Future<void>> all;
    for (int i = 0; i < coroutines; ++i) all.push_back(worker(pg, c, static_cast<unsigned>(i + 1)));
    co_await gale::sleep(std::chrono::milliseconds(static_cast<int>(warmup * 1000)));
    auto q0 = c.queries;
    auto cpu0 = cpu_seconds();
    auto t0 = gale::Clock::now();
    co_await gale::sleep(std::chrono::milliseconds(static_cast<int>(seconds * 1000)));
    auto q = c.queries - q0;
    auto elapsed = std::chrono::duration<double>(gale::Clock::now() - t0).count();
    qps = static_cast<double>(q) / elapsed;
    cpu_us = (cpu_seconds() - cpu0) * 1e6 / static_cast<double>(q);
    c.stop = true;
    co_await gale::gather(std::move(all));
  });
  std::printf(
      "gale pipeline=%s connections=%d coroutines=%d qps=%.0f cpu_us_per_query=%.2f "
      "wrong=%llu errors=%llu\n",
      pipeline ? "on" : "off", pool, coroutines, qps, cpu_us,
      static_cast<unsigned long long>(c.wrong), static_cast<unsigned long long>(c.errors));
  return c.wrong == 0 && c.errors == 0 ? 0 : 1;
}
