#!/usr/bin/env python3
"""The chat example (examples/chat) against WebSocket and event-stream clients that no one here
wrote: Python's `websockets` library and http.client. Usage: websocket_peers.py CHAT_BINARY.

Checks, each its own function (a failure names it): echo through a room between two clients, with
permessage-deflate negotiated by `websockets`; a fragmented message; ping/pong; a close with a
code; an invalid message answered, not fatal; an oversized message closed with 1009; the same
room's messages as Server-Sent Events, and Last-Event-ID on reconnect; /metrics counting it all;
SIGTERM closing open sockets with 1001.
"""
import asyncio
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

import websockets
from websockets.asyncio.client import connect

CHAT = sys.argv[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chat():
    port = free_port()
    proc = subprocess.Popen([CHAT, "--port", str(port), "--address", "127.0.0.1"],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("chat did not start")


async def echo_between_two_clients(port):
    url = f"ws://127.0.0.1:{port}/ws/room-a"
    async with connect(url) as a, connect(url) as b:
        assert a.response.headers.get("Sec-WebSocket-Extensions", "").startswith(
            "permessage-deflate"), a.response.headers
        await a.send(json.dumps({"text": "héllo " * 50}))
        got_a = json.loads(await asyncio.wait_for(a.recv(), 5))
        got_b = json.loads(await asyncio.wait_for(b.recv(), 5))
        assert got_a == got_b, (got_a, got_b)
        assert got_a["text"] == "héllo " * 50 and got_a["room"] == "room-a", got_a


async def fragmented_message(port):
    async with connect(f"ws://127.0.0.1:{port}/ws/room-b", compression=None) as ws:
        # websockets sends an iterable as one message in fragments (here three).
        text = json.dumps({"text": "price: 5€, paid"})
        await ws.send([text[:10], text[10:20], text[20:]])
        got = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert got["text"] == "price: 5€, paid", got


async def ping_pong_and_close_code(port):
    async with connect(f"ws://127.0.0.1:{port}/ws/room-c") as ws:
        latency = await asyncio.wait_for(await ws.ping(b"are you there"), 5)
        assert latency >= 0
        await ws.close(code=4001, reason="done here")
    assert ws.close_code == 4001, ws.close_code  # the server echoed the code


async def invalid_message_is_answered(port):
    async with connect(f"ws://127.0.0.1:{port}/ws/room-d") as ws:
        await ws.send("not json")
        got = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert "error" in got, got
        await ws.send(json.dumps({"text": "still open"}))
        got = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert got["text"] == "still open", got


async def oversized_message_gets_1009(port):
    async with connect(f"ws://127.0.0.1:{port}/ws/room-e", compression=None,
                       max_size=None) as ws:
        await ws.send("x" * (11 * 1024 * 1024))  # websocket_max_message_size is 10 MiB
        try:
            await asyncio.wait_for(ws.recv(), 10)
            raise AssertionError("no close")
        except websockets.ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1009, e


def read_events(port, path, headers, count):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    assert r.status == 200, r.status
    assert r.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    events, current = [], {}
    while len(events) < count:
        line = r.fp.readline().decode()
        assert line, "the stream ended"
        line = line.rstrip("\n")
        if line == "":
            if current:
                events.append(current)
            current = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            current[key] = value
    conn.close()
    return events


async def event_stream_and_last_event_id(port):
    for i in range(3):
        body = json.dumps({"text": f"m{i}"}).encode()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("POST", "/rooms/room-f/messages", body, {"Content-Type": "application/json"})
        assert c.getresponse().status == 201
        c.close()
    events = await asyncio.to_thread(read_events, port, "/events/room-f", {}, 3)
    assert [json.loads(e["data"])["text"] for e in events] == ["m0", "m1", "m2"], events
    # Reconnecting after the first: only what came after it.
    later = await asyncio.to_thread(read_events, port, "/events/room-f",
                                    {"Last-Event-ID": events[0]["id"]}, 2)
    assert [json.loads(e["data"])["text"] for e in later] == ["m1", "m2"], later


async def metrics_count_it(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    for name in ("gale_websockets ", 'gale_websocket_messages_total{direction="in"}',
                 'gale_websocket_closes_total{code="4001"} 1',
                 'gale_websocket_closes_total{code="1009"} 1', "gale_event_streams "):
        assert name in text, (name, text)


async def sigterm_sends_1001(proc, port):
    socks = [await connect(f"ws://127.0.0.1:{port}/ws/room-g") for _ in range(3)]
    proc.send_signal(signal.SIGTERM)
    for ws in socks:
        try:
            await asyncio.wait_for(ws.recv(), 5)
            raise AssertionError("no close")
        except websockets.ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1001, e
    assert proc.wait(timeout=15) == 0


async def main():
    proc, port = start_chat()
    failed = []
    try:
        for check in (echo_between_two_clients, fragmented_message, ping_pong_and_close_code,
                      invalid_message_is_answered, oversized_message_gets_1009,
                      event_stream_and_last_event_id, metrics_count_it):
            try:
                await check(port)
                print(f"ok: {check.__name__}")
            except Exception as e:  # noqa: BLE001 - every failure is reported by name
                failed.append(check.__name__)
                print(f"FAILED: {check.__name__}: {e!r}")
        try:
            await sigterm_sends_1001(proc, port)
            print("ok: sigterm_sends_1001")
        except Exception as e:  # noqa: BLE001
            failed.append("sigterm_sends_1001")
            print(f"FAILED: sigterm_sends_1001: {e!r}")
    finally:
        if proc.poll() is None:
            proc.kill()
        err = proc.communicate()[1]
        if failed:
            print(err[-4000:])
    sys.exit(1 if failed else 0)


asyncio.run(main())
