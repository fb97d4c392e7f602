"""bench/live/run's arithmetic: latency = receipt - acknowledgement per (event, socket), from the
writer's lines ("seq ack-ns sent-ns") and the receipts ("socket seq receipt-ns"), pooled over the
rounds given. The warm-up's events (seq < warmup) are not counted. A receipt may come before the
acknowledgement (a negative latency): the writer's process can be scheduled after the watcher's.
Prints: p50 p99 max (ms, pooled), events lost, events repeated, receipts counted, the writer's
median insert time (ms), and each round's p99 joined by '/'.
Run: python3 report.py SOCKETS WARMUP WRITER RECEIPTS [WRITER RECEIPTS ...]
"""
import sys


def quantile(xs, p):
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def one_round(writer, receipts, sockets, warmup):
    ack, insert_ms = {}, []
    for line in open(writer):
        seq, a, sent = map(int, line.split())
        if seq >= warmup:
            ack[seq] = a
            insert_ms.append((a - sent) / 1e6)
    seen, lat, repeated = set(), [], 0
    for line in open(receipts):
        s, seq, ns = map(int, line.split())
        if seq not in ack:
            continue
        if (s, seq) in seen:
            repeated += 1
            continue
        seen.add((s, seq))
        lat.append((ns - ack[seq]) / 1e6)
    return lat, len(ack) * sockets - len(seen), repeated, insert_ms


def main():
    sockets, warmup, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    lat, lost, repeated, insert_ms, p99s = [], 0, 0, [], []
    for writer, receipts in zip(files[0::2], files[1::2]):
        l, lo, rep, ins = one_round(writer, receipts, sockets, warmup)
        lat += l
        lost += lo
        repeated += rep
        insert_ms += ins
        p99s.append(f"{quantile(sorted(l), 0.99):.1f}" if l else "nan")
    lat.sort()
    insert_ms.sort()
    if not lat:
        print("nan nan nan", lost, repeated, 0, "nan", "/".join(p99s))
        return
    print(f"{quantile(lat, 0.5):.2f} {quantile(lat, 0.99):.2f} {lat[-1]:.2f} {lost} {repeated} "
          f"{len(lat)} {quantile(insert_ms, 0.5):.2f} {'/'.join(p99s)}")


if __name__ == "__main__":
    main()
