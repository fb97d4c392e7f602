// gale's side of the DriverBench tasks "find one by _id" and "small doc insertOne":
//   bench_mongo_gale <uri> <task: find|insert> <concurrency> <ops>
// Prints one JSON line: {"ops": N, "seconds": s, "cpu_us_per_op": c}. CPU is the whole process's
// (getrusage), so the loop, the monitors and every thread count.
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"

using gale::Future;
using gale::mongo::json;

namespace {

// FerretDB's SQLite backend scans the collection for a find by _id, so DriverBench's 10,000
// documents would measure FerretDB, not the drivers: the find task reads a collection of 100.
constexpr int kCollectionSize = 100;

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

json small_doc() {
  return {{"field1", "miNVpaKW"}, {"field2", "CS5VwrwN"}, {"field3", "Oq5Csk1w"},
          {"field4", "ZPm57dhu"}, {"field5", "gxUpzIjg"}, {"field6", "Smo9whci"},
          {"field7", "TW34kfzq"}, {"field8", 55336395},   {"field9", 41992681},
          {"field10", 72188733},  {"field11", 46660880},  {"field12", 3527055}};
}

Future<void> worker(gale::mongo::Collection c, std::string task, int from, int to) {
  for (int i = from; i < to; ++i) {
    if (task == "find") {
      json filter = {{"_id", i % kCollectionSize}};
      auto d = co_await c.find_one(std::move(filter));
      if (!d) throw std::runtime_error("missing document " + std::to_string(i));
    } else {
      json doc = small_doc();
      co_await c.insert_one(std::move(doc));
    }
  }
}

Future<void> prepare(gale::mongo::Collection c, std::string task) {
  co_await c.drop();
  if (task == "find") {
    std::vector<json> docs;
    for (int i = 0; i < kCollectionSize; ++i) {
      json d = small_doc();
      d["_id"] = i;
      docs.push_back(std::move(d));
    }
    co_await c.insert_many(std::move(docs));
  }
  json warm = {{"_id", 0}};
  co_await c.find_one(std::move(warm));
}

Future<void> run(gale::mongo::Collection c, std::string task, int concurrency, int ops) {
  std::vector<Future<void>> all;
  int per = ops / concurrency;
  for (int w = 0; w < concurrency; ++w) all.push_back(worker(c, task, w * per, (w + 1) * per));
  co_await gale::gather(std::move(all));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s <uri> <find|insert> <concurrency> <ops>\n", argv[0]);
    return 2;
  }
  std::string task = argv[2];
  int concurrency = std::stoi(argv[3]);
  int ops = std::stoi(argv[4]) / concurrency * concurrency;
  gale::IOLoop loop;
  gale::mongo::Client client(argv[1]);
  auto c = client["gale_bench"]["gale_" + task];
  loop.run_sync([&] { return prepare(c, task); }, std::chrono::minutes(5));
  double cpu0 = cpu_seconds();
  auto t0 = gale::Clock::now();
  loop.run_sync([&] { return run(c, task, concurrency, ops); }, std::chrono::minutes(10));
  double wall = std::chrono::duration<double>(gale::Clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  std::printf("{\"ops\": %d, \"seconds\": %.4f, \"cpu_us_per_op\": %.2f}\n", ops, wall,
              cpu * 1e6 / ops);
  loop.run_sync([&] { return c.drop(); }, std::chrono::minutes(1));
  return 0;
}
