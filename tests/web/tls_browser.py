#!/usr/bin/env python3
"""Headless Chromium over HTTPS against tests/web/tls_app: the page at https://127.0.0.1:PORT/
loads over HTTP/1.1 (ALPN), a fetch() from it gets the handler's JSON with protocol "https", and a
wss:// WebSocket from it echoes a message. Chromium trusts the certificate the test makes
(`openssl req`) by its public key (--ignore-certificate-errors-spki-list), nothing else. Usage:
tls_browser.py TLS_APP. Skips (exit 77) when Chromium is not installed."""
import asyncio
import os
import subprocess
import sys
import tempfile

from browser_page import CHROMIUM, connect_page, free_port, start_browser, wait_port

APP = sys.argv[1]


def make_certificate(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key,
                    "-out", cert], check=True, capture_output=True)
    spki = subprocess.run(
        f"openssl x509 -pubkey -noout -in {cert} | openssl pkey -pubin -outform der"
        " | openssl dgst -sha256 -binary | base64", shell=True, check=True, capture_output=True,
        text=True).stdout.strip()
    return cert, key, spki


async def evaluate(page, expression):
    r = await page.call("Runtime.evaluate", expression=expression, returnByValue=True,
                        awaitPromise=True)
    if "exceptionDetails" in r:
        raise AssertionError(r["exceptionDetails"])
    return r["result"].get("value")


async def run(devtools_port, port):
    origin = f"https://127.0.0.1:{port}"
    async with connect_page(devtools_port) as page:
        await page.call("Page.navigate", url=origin + "/")
        loaded = await page.wait_for(f"location.origin === '{origin}' && "
                                     "document.readyState === 'complete'")
        assert loaded, await page.evaluate("location.href")
        protocol = await page.evaluate(
            "performance.getEntriesByType('navigation')[0].nextHopProtocol")
        assert protocol == "http/1.1", protocol
        got = await evaluate(page, "fetch('/').then(r => r.json())")
        assert got == {"protocol": "https", "client": ""}, got
        print("ok: the page and a fetch() over HTTPS, ALPN http/1.1")
        echo = await evaluate(page, f"""new Promise((resolve, reject) => {{
            const ws = new WebSocket('wss://127.0.0.1:{port}/ws');
            ws.onopen = () => ws.send('hello over wss');
            ws.onmessage = (e) => resolve(e.data);
            ws.onerror = () => reject(new Error('the WebSocket failed'));
            setTimeout(() => reject(new Error('no echo in 15 s')), 15000);
        }})""")
        assert echo == "hello over wss", echo
        print("ok: a wss:// WebSocket from the page")


def main():
    if not CHROMIUM:
        print("SKIPPED: Chromium is not installed")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key, spki = make_certificate(tmp)
        port = free_port()
        app = subprocess.Popen([APP, "--port", str(port), "--address", "127.0.0.1", "--certfile",
                                cert, "--keyfile", key], stderr=subprocess.DEVNULL)
        browser, devtools_port = start_browser(os.path.join(tmp, "profile"),
                                               f"--ignore-certificate-errors-spki-list={spki}")
        try:
            wait_port(port)
            asyncio.run(run(devtools_port, port))
        finally:
            browser.kill()
            browser.wait()
            app.terminate()
            app.wait(timeout=15)


main()
