#!/usr/bin/env python3
"""Headless Chromium against the chat example: the chat's own page (same origin) opens a WebSocket
and an EventSource and reports what it got; a page from another origin is refused (403 at the
handshake, so the browser never opens the socket). Chromium is driven through its DevTools
protocol over a WebSocket (Python's `websockets`). Usage: websocket_browser.py CHAT_BINARY.
Skips (exit 77) when Chromium is not installed."""
import asyncio
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from websockets.asyncio.client import connect

from devtools import CHROMIUM, Page, start_browser

CHAT = sys.argv[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


async def run(devtools_port, chat_port, other_origin):
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list"))
    page_target = next(t for t in targets if t["type"] == "page")
    async with connect(page_target["webSocketDebuggerUrl"], max_size=None) as ws:
        page = Page(ws)
        await page.call("Page.navigate", url=f"http://127.0.0.1:{chat_port}/?room=browser")
        report = await page.wait_for(
            "window.report && window.report.ws.length > 0 && window.report.sse.length > 0 "
            "&& JSON.stringify(window.report)")
        assert report, await page.evaluate("JSON.stringify(window.report || null)")
        got = json.loads(report)
        assert got["open"] is True, got
        assert got["ws"] == ["hello from a browser"], got
        assert got["sse"] == ["hello from a browser"], got
        print("ok: same-origin page: WebSocket and EventSource both got the message")
        await page.call("Page.navigate", url=f"http://127.0.0.1:{other_origin}/cross.html")
        closed = await page.wait_for("window.cross && JSON.stringify(window.cross)")
        cross = json.loads(closed)
        assert cross == {"opened": False, "closed": 1006}, cross
        print("ok: cross-origin page: the WebSocket was refused")


def main():
    if not CHROMIUM:
        print("SKIPPED: Chromium is not installed")
        sys.exit(77)
    chat_port, other_port = free_port(), free_port()
    chat = subprocess.Popen([CHAT, "--port", str(chat_port), "--address", "127.0.0.1"],
                            stderr=subprocess.PIPE, text=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = os.path.join(tmp, "site")
        os.mkdir(site)
        with open(os.path.join(site, "cross.html"), "w") as f:
            f.write("<script>window.cross = null;"
                    f"const ws = new WebSocket('ws://127.0.0.1:{chat_port}/ws/x');"
                    "let opened = false; ws.onopen = () => { opened = true; };"
                    "ws.onclose = (e) => { window.cross = {opened, closed: e.code}; };</script>")
        handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=site)  # noqa: E731
        other = http.server.ThreadingHTTPServer(("127.0.0.1", other_port), handler)
        threading.Thread(target=other.serve_forever, daemon=True).start()
        browser, devtools_port = start_browser(os.path.join(tmp, "profile"))
        try:
            wait_port(chat_port)
            asyncio.run(run(devtools_port, chat_port, other_port))
        finally:
            browser.kill()
            browser.wait()
            other.shutdown()
            chat.terminate()
            chat.wait(timeout=15)


main()
