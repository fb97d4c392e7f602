"""The change-event latency benchmark's writer (bench/live/run), the same for every server: PyMongo,
synchronous inserts one at a time at a fixed rate, each {"seq": i}; the time each insert was
acknowledged (insert_one returned) is taken on CLOCK_MONOTONIC, the clock of the clients' receipt
times (live_load, floor.py). The first --warmup inserts are the warm-up (seq 0..warmup-1, not
counted by the report); the last one is the end marker, {"seq": -1}.

Writes "seq ack-ns sent-ns" lines to --out.
Run: python writer.py --mongo-uri URI --db D --collection C --rate 200 --count 2000 --warmup 200
       --out FILE
"""
import argparse
import time

import pymongo


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mongo-uri", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--collection", required=True)
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    coll = pymongo.MongoClient(a.mongo_uri)[a.db][a.collection]
    coll.database.command("ping")
    rows = []
    interval = 1e9 / a.rate
    t0 = time.monotonic_ns()
    for i in range(a.warmup + a.count):
        due = t0 + int(i * interval)
        now = time.monotonic_ns()
        if due > now:
            time.sleep((due - now) / 1e9)
        sent = time.monotonic_ns()
        coll.insert_one({"seq": i})
        rows.append((i, time.monotonic_ns(), sent))
    time.sleep(0.2)  # the end marker comes after the last event has had time to arrive
    coll.insert_one({"seq": -1})
    with open(a.out, "w") as f:
        for seq, ack, sent in rows:
            f.write(f"{seq} {ack} {sent}\n")


if __name__ == "__main__":
    main()
