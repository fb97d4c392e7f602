#!/usr/bin/env python3
"""Headless Chromium against cors_app: a page served from an allowed origin calls the API on
another origin (a simple GET that reads an exposed header, a POST of JSON with a bearer token that
needs a preflight, a 401 it can read, credentials included); the same page from a refused origin
sees every fetch fail with a CORS error (TypeError). Drives Chromium through its DevTools protocol
as websocket_browser.py does. Usage: cors_browser.py CORS_APP. Skips (exit 77) without Chromium."""
import asyncio
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from browser_page import CHROMIUM, connect_page, free_port, start_browser, wait_port  # noqa: E402

APP = sys.argv[1]

PAGE = """<script>
const api = 'http://127.0.0.1:%(api)d';
async function attempt(name, run) {
  try { window.results[name] = await run(); }
  catch (e) { window.results[name] = {error: e.name}; }
}
window.results = {};
(async () => {
  await attempt('get', async () => {
    const r = await fetch(api + '/notes', {credentials: 'include'});
    return {status: r.status, total: r.headers.get('X-Total'), body: await r.json()};
  });
  await attempt('post', async () => {
    const r = await fetch(api + '/notes', {method: 'POST', credentials: 'include',
      headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer t0k'},
      body: JSON.stringify({title: 'from a browser'})});
    return {status: r.status, body: await r.json()};
  });
  await attempt('unauthorized', async () => {
    const r = await fetch(api + '/me');
    return {status: r.status, body: await r.json()};
  });
  await attempt('me', async () => {
    const r = await fetch(api + '/me', {headers: {'Authorization': 'Bearer t0k'}});
    return {status: r.status, body: await r.json()};
  });
  window.done = true;
})();
</script>"""


def serve(directory, port):
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=directory)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def results_of(page, url):
    await page.call("Page.navigate", url=url)
    done = await page.wait_for("window.done === true && JSON.stringify(window.results)")
    assert done, await page.evaluate("JSON.stringify(window.results || null)")
    return json.loads(done)


async def run(devtools_port, allowed, refused):
    async with connect_page(devtools_port) as page:
        got = await results_of(page, f"http://127.0.0.1:{allowed}/page.html")
        assert got["get"] == {"status": 200, "total": "2", "body": {"notes": ["one", "two"]}}, got
        assert got["post"] == {"status": 201, "body": {"created": {"title": "from a browser"}}}, got
        assert got["unauthorized"]["status"] == 401, got
        assert got["unauthorized"]["body"]["error"]["message"] == "a bearer token is required", got
        assert got["me"] == {"status": 200, "body": {"name": "ann"}}, got
        print("ok: allowed origin: GET (exposed header), preflighted POST, a readable 401, /me")
        got = await results_of(page, f"http://127.0.0.1:{refused}/page.html")
        assert all(v == {"error": "TypeError"} for v in got.values()), got
        print("ok: refused origin: every fetch failed with a CORS error")


def main():
    if not CHROMIUM:
        print("SKIPPED: Chromium is not installed")
        sys.exit(77)
    api_port, allowed_port, refused_port = free_port(), free_port(), free_port()
    app = subprocess.Popen([APP, str(api_port), f"http://127.0.0.1:{allowed_port}"])
    with tempfile.TemporaryDirectory() as tmp:
        site = os.path.join(tmp, "site")
        os.mkdir(site)
        with open(os.path.join(site, "page.html"), "w") as f:
            f.write(PAGE % {"api": api_port})
        servers = [serve(site, allowed_port), serve(site, refused_port)]
        browser, devtools_port = start_browser(os.path.join(tmp, "profile"))
        try:
            wait_port(api_port)
            asyncio.run(run(devtools_port, allowed_port, refused_port))
        finally:
            browser.kill()
            browser.wait()
            for s in servers:
                s.shutdown()
            app.terminate()
            app.wait(timeout=15)


main()
