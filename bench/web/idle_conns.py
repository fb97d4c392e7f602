"""Opens N keep-alive connections to a server, makes one request on each, leaves them idle, and
prints how much the server's resident memory grew per connection.

Usage: idle_conns.py PID PORT PATH N
"""
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main():
    pid, port, path, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    # Warm up: one connection, so buffers and caches that do not grow per connection exist.
    warm = socket.create_connection(("127.0.0.1", port))
    warm.sendall(request)
    warm.recv(65536)
    time.sleep(0.2)
    before = rss_kib(pid)
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        data = s.recv(65536)
        if not data.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"bad response: {data[:40]!r}")
        conns.append(s)
    time.sleep(0.5)
    after = rss_kib(pid)
    print(f"{(after - before) * 1024 / n:.0f}")
    for s in conns:
        s.close()


main()
