"""PyMongo's AsyncMongoClient on the DriverBench tasks with 64 concurrent tasks:
    python pymongo_bench.py <uri> <find|insert> <concurrency> <ops>
Prints {"ops": N, "seconds": s, "cpu_us_per_op": c} like the others."""
import asyncio
import json
import resource
import sys
import time

from pymongo import AsyncMongoClient


def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def small_doc():
    return {"field1": "miNVpaKW", "field2": "CS5VwrwN", "field3": "Oq5Csk1w", "field4": "ZPm57dhu",
            "field5": "gxUpzIjg", "field6": "Smo9whci", "field7": "TW34kfzq", "field8": 55336395,
            "field9": 41992681, "field10": 72188733, "field11": 46660880, "field12": 3527055}


async def main(uri, task, concurrency, ops):
    ops = ops // concurrency * concurrency
    client = AsyncMongoClient(uri)
    coll = client["gale_bench"]["pymongo_" + task]
    await coll.drop()
    if task == "find":
        await coll.insert_many([dict(small_doc(), _id=i) for i in range(100)])  # as the others
    await coll.find_one({"_id": 0})
    per = ops // concurrency

    async def worker(w):
        for i in range(w * per, (w + 1) * per):
            if task == "find":
                if await coll.find_one({"_id": i % 100}) is None:
                    raise RuntimeError(f"missing {i}")
            else:
                await coll.insert_one(small_doc())

    c0, t0 = cpu(), time.monotonic()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    wall, used = time.monotonic() - t0, cpu() - c0
    print(json.dumps({"ops": ops, "seconds": round(wall, 4), "cpu_us_per_op": round(used * 1e6 / ops, 2)}))
    await coll.drop()
    await client.close()


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
