"""The change-event latency benchmark's driver floor (bench/live/run): PyMongo's own watch() on the
collection, no web server and no WebSocket: when a driver can first see an event on this MongoDB
server. Receipt times on CLOCK_MONOTONIC, as live_load's; prints "ready" once the stream is open;
at the end marker ({"seq": -1}) writes "0 seq receipt-ns" lines to --out, prints how many, and
waits to be stopped (SIGTERM).

The stream starts at the current second (start_at_operation_time): mongo-java-server's aggregate
reply has no operationTime, without which PyMongo refuses to start a stream from "now".
Run: python floor.py --mongo-uri URI --db D --collection C --max-await-ms 1 --batch-size 100
       --out FILE
"""
import argparse
import signal
import sys
import time

import pymongo
from bson import Timestamp


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mongo-uri", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--collection", required=True)
    p.add_argument("--max-await-ms", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    coll = pymongo.MongoClient(a.mongo_uri)[a.db][a.collection]
    rows = []
    with coll.watch(max_await_time_ms=a.max_await_ms, batch_size=a.batch_size or None,
                    start_at_operation_time=Timestamp(int(time.time()), 0)) as stream:
        print("ready", flush=True)
        for event in stream:
            now = time.monotonic_ns()
            seq = (event.get("fullDocument") or {}).get("seq")
            if seq == -1:
                break
            if isinstance(seq, int):
                rows.append((seq, now))
    with open(a.out, "w") as f:
        for seq, ns in rows:
            f.write(f"0 {seq} {ns}\n")
    print(len(rows), 0)
    sys.stdout.flush()
    signal.pause()  # until the run stops it, so that it can read this process's CPU time first


if __name__ == "__main__":
    main()
