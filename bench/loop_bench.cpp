// Microbenchmarks of the loop layer: what one await, one resume, one timer and one cross-thread
// callback cost. Targets: awaiting a ready Future < 50 ns, a resume through the loop < 200 ns.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "gale/loop/loop.hpp"

using gale::Future;
using gale::IOLoop;
using gale::Promise;

namespace {

// Awaiting a Future that is already done: no suspension, no loop.
Future<void> await_ready_loop(benchmark::State& state, Future<int> ready) {
  for (auto _ : state) benchmark::DoNotOptimize(co_await ready);
}

void BM_AwaitReadyFuture(benchmark::State& state) {
  IOLoop loop;
  auto done = await_ready_loop(state, gale::make_ready_future(7));
  if (!done.done()) state.SkipWithError("the coroutine suspended");
}
BENCHMARK(BM_AwaitReadyFuture);

// Create a Promise, resolve it, await its Future: the whole life of one ready result.
Future<void> create_resolve_await_loop(benchmark::State& state) {
  for (auto _ : state) {
    Promise<int> p;
    p.set_value(1);
    benchmark::DoNotOptimize(co_await p.get_future());
  }
}

void BM_CreateResolveAwait(benchmark::State& state) {
  IOLoop loop;
  auto done = create_resolve_await_loop(state);
  if (!done.done()) state.SkipWithError("the coroutine suspended");
}
BENCHMARK(BM_CreateResolveAwait);

// A coroutine call that completes at once: frame + state allocation, co_return, co_await.
Future<int> immediate(int v) {
  co_return v;
}
Future<void> coroutine_call_loop(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(co_await immediate(3));
}

void BM_CoroutineCall(benchmark::State& state) {
  IOLoop loop;
  auto done = coroutine_call_loop(state);
  if (!done.done()) state.SkipWithError("the coroutine suspended");
}
BENCHMARK(BM_CoroutineCall);

// One suspension and one resume through the loop per iteration (gale::moment()).
Future<void> resume_loop(benchmark::State& state) {
  for (auto _ : state) co_await gale::moment();
}

void BM_ResumeThroughLoop(benchmark::State& state) {
  IOLoop loop;
  loop.run_sync([&] { return resume_loop(state); });
}
BENCHMARK(BM_ResumeThroughLoop);

// A Promise resolved by another callback, its waiter resumed through the loop.
Future<void> promise_roundtrip_loop(benchmark::State& state, IOLoop& loop) {
  for (auto _ : state) {
    Promise<int> p;
    Future<int> f = p.get_future();
    loop.add_callback([p = std::move(p)]() mutable { p.set_value(1); });
    benchmark::DoNotOptimize(co_await f);
  }
}

void BM_PromiseResolvedByCallback(benchmark::State& state) {
  IOLoop loop;
  loop.run_sync([&] { return promise_roundtrip_loop(state, loop); });
}
BENCHMARK(BM_PromiseResolvedByCallback);

// call_later(0) and its firing, in batches of 1000 timers.
void BM_CallLaterFire(benchmark::State& state) {
  IOLoop loop;
  constexpr int kBatch = 1000;
  for (auto _ : state) {
    int fired = 0;
    for (int i = 0; i < kBatch; ++i) {
      loop.call_later(std::chrono::nanoseconds(0), [&] {
        if (++fired == kBatch) loop.stop();
      });
    }
    loop.start();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_CallLaterFire);

// call_later then cancel: what a request timeout that did not fire costs.
void BM_CallLaterCancel(benchmark::State& state) {
  IOLoop loop;
  for (auto _ : state) {
    auto h = loop.call_later(std::chrono::seconds(30), [] {});
    h.cancel();
  }
}
BENCHMARK(BM_CallLaterCancel);

// add_callback from another thread, run on the loop: throughput per callback.
void BM_CrossThreadAddCallback(benchmark::State& state) {
  IOLoop loop;
  constexpr int kBatch = 10000;
  for (auto _ : state) {
    int ran = 0;
    std::thread producer([&] {
      for (int i = 0; i < kBatch; ++i) {
        loop.add_callback([&] {
          if (++ran == kBatch) loop.stop();
        });
      }
    });
    loop.start();
    producer.join();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_CrossThreadAddCallback)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
