"""asyncio's costs for the operations bench_loop measures, in ns per operation, as JSON.

Tornado's IOLoop and coroutines run on asyncio, so these are also Tornado's floor.
"""
import asyncio
import json
import sys
import threading
import time


def per_op(fn, n):
    best = None
    for _ in range(3):
        t0 = time.perf_counter_ns()
        fn(n)
        dt = (time.perf_counter_ns() - t0) / n
        best = dt if best is None else min(best, dt)
    return best


def run(coro_factory):
    return lambda n: asyncio.run(coro_factory(n))


async def await_ready(n):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fut.set_result(7)
    for _ in range(n):
        await fut


async def create_resolve_await(n):
    loop = asyncio.get_running_loop()
    for _ in range(n):
        fut = loop.create_future()
        fut.set_result(1)
        await fut


async def immediate(v):
    return v


async def coroutine_call(n):
    for _ in range(n):
        await immediate(3)


async def resume_through_loop(n):
    for _ in range(n):
        await asyncio.sleep(0)


async def promise_resolved_by_callback(n):
    loop = asyncio.get_running_loop()
    for _ in range(n):
        fut = loop.create_future()
        loop.call_soon(fut.set_result, 1)
        await fut


async def call_later_fire(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    count = 0

    def tick():
        nonlocal count
        count += 1
        if count == n:
            done.set_result(None)

    for _ in range(n):
        loop.call_later(0, tick)
    await done


async def call_later_cancel(n):
    loop = asyncio.get_running_loop()
    for _ in range(n):
        loop.call_later(30, lambda: None).cancel()


async def cross_thread(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    count = 0

    def tick():
        nonlocal count
        count += 1
        if count == n:
            done.set_result(None)

    t = threading.Thread(target=lambda: [loop.call_soon_threadsafe(tick) for _ in range(n)])
    t.start()
    await done
    t.join()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    results = {
        "AwaitReadyFuture": per_op(run(await_ready), n),
        "CreateResolveAwait": per_op(run(create_resolve_await), n),
        "CoroutineCall": per_op(run(coroutine_call), n),
        "ResumeThroughLoop": per_op(run(resume_through_loop), n),
        "PromiseResolvedByCallback": per_op(run(promise_resolved_by_callback), n),
        "CallLaterFire": per_op(run(call_later_fire), n),
        "CallLaterCancel": per_op(run(call_later_cancel), n),
        "CrossThreadAddCallback": per_op(run(cross_thread), n),
    }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
