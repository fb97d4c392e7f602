#!/usr/bin/env python3
"""HTTPS in the server (issue 15) against clients that no one here wrote: curl, Python's ssl,
http.client and `websockets`. Usage: tls_peers.py TLS_APP HELLO.

The test CA and every certificate are made here, at run time, with `openssl req` and `openssl ca`
(no key is committed). Checks, each its own function (a failure names it): curl and http.client
over HTTPS (keep-alive, request().protocol() == "https"), ALPN http/1.1, TLS 1.2 and 1.3 only,
SNI picking the certificate, an expired certificate refused by the client, mTLS (a good client
certificate's subject reaches the handler; none, or one of another CA, is refused; with optional
ones, a client without is served), a stalled
handshake closed at the handshake timeout while others are served, wss and Server-Sent Events over
TLS, SIGHUP reloading the certificate while a keep-alive connection stays open (and a bad file
keeping the old one), the hello example with --certfile, and a graceful SIGTERM.
"""
import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from websockets.asyncio.client import connect

APP, HELLO = sys.argv[1], sys.argv[2]
WAIT = 20  # seconds: the deadline of every wait below
DIR = tempfile.mkdtemp(prefix="gale-tls-")


def path(name):
    return os.path.join(DIR, name)


def run(*args):
    subprocess.run(args, check=True, cwd=DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# --- the test PKI

CA_CONFIG = """[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
organizationName = optional
"""


def make_ca(name):
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", f"/CN=gale test CA {name}", "-keyout", f"{name}.key",
        "-out", f"{name}.pem")


def make_cert(name, subject, ca="ca", sans=None, dates=("-days", "2")):
    """A certificate `name`.pem (key `name`.key) signed by `ca`, valid for `dates`."""
    args = ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-subj", subject, "-keyout", f"{name}.key", "-out", f"{name}.csr"]
    if sans:
        args += ["-addext", "subjectAltName=" + ",".join(sans)]
    run(*args)
    run("openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", f"{ca}.pem", "-keyfile",
        f"{ca}.key", "-in", f"{name}.csr", "-out", f"{name}.pem", "-notext", *dates)


def make_pki():
    with open(path("ca.cnf"), "w") as f:
        f.write(CA_CONFIG)
    open(path("index.txt"), "w").close()
    with open(path("serial"), "w") as f:
        f.write("1000\n")
    make_ca("ca")
    make_ca("other_ca")
    local = ["DNS:localhost", "IP:127.0.0.1"]
    make_cert("first", "/CN=localhost/O=first", sans=local)
    make_cert("second", "/CN=localhost/O=second", sans=local)
    make_cert("other", "/CN=other.test", sans=["DNS:other.test"])
    make_cert("expired", "/CN=expired.test", sans=["DNS:expired.test"],
              dates=("-startdate", "20200101000000Z", "-enddate", "20200102000000Z"))
    make_cert("alice", "/CN=alice/O=gale tests")
    make_cert("mallory", "/CN=mallory", ca="other_ca")
    shutil.copy(path("first.pem"), path("server.pem"))
    shutil.copy(path("first.key"), path("server.key"))


# --- the servers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, *args):
        self.port = free_port()
        self.log = path(f"server-{self.port}.log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [binary, "--port", str(self.port), "--address", "127.0.0.1", *args],
                stderr=log)
        deadline = time.monotonic() + WAIT
        while "listening on https://" not in self.log_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{binary} did not start:\n{self.log_text()}")
            time.sleep(0.05)

    def log_text(self):
        with open(self.log) as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(WAIT)
        assert status == 0, f"exit status {status} after SIGTERM:\n{self.log_text()}"


def client_context(cert=None):
    ctx = ssl.create_default_context(cafile=path("ca.pem"))
    if cert:
        ctx.load_cert_chain(path(f"{cert}.pem"), path(f"{cert}.key"))
    return ctx


def get(port, target="/", ctx=None, host="localhost"):
    conn = http.client.HTTPSConnection(host, port, context=ctx or client_context(), timeout=WAIT)
    conn.request("GET", target)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body


def handshake(port, server_name="localhost", ctx=None):
    """A TLS connection to the server: the negotiated session's socket."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    return (ctx or client_context()).wrap_socket(raw, server_hostname=server_name)


def peer_subject(port, server_name="localhost"):
    with handshake(port, server_name) as s:
        return dict(x[0] for x in s.getpeercert()["subject"])


def refused(fn, *reasons):
    """Runs fn, which must fail with an SSL error (or a reset) whose text names one of reasons."""
    try:
        fn()
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        assert any(r in str(e) for r in reasons) or not reasons, f"refused, but why: {e!r}"
        return
    raise AssertionError(f"not refused (expected {reasons})")


# --- the checks

def curl_over_https(port):
    out = subprocess.run(
        ["curl", "-sv", "--cacert", path("ca.pem"), f"https://localhost:{port}/",
         f"https://localhost:{port}/"], capture_output=True, text=True, timeout=WAIT)
    assert out.returncode == 0, out.stderr
    assert out.stdout == '{"client":"","protocol":"https"}' * 2, out.stdout
    assert "ALPN: server accepted http/1.1" in out.stderr, out.stderr
    assert "Re-using existing connection" in out.stderr, "curl did not keep the connection"
    # SNI with curl: the name other.test gets the certificate made for it.
    out = subprocess.run(
        ["curl", "-s", "--cacert", path("ca.pem"), "--resolve", f"other.test:{port}:127.0.0.1",
         f"https://other.test:{port}/"], capture_output=True, text=True, timeout=WAIT)
    assert out.returncode == 0 and '"https"' in out.stdout, (out.returncode, out.stderr)
    # A name no certificate has: the default one, which curl refuses for that name (60).
    out = subprocess.run(
        ["curl", "-s", "--cacert", path("ca.pem"), "--resolve", f"nobody.test:{port}:127.0.0.1",
         f"https://nobody.test:{port}/"], capture_output=True, text=True, timeout=WAIT)
    assert out.returncode == 60, (out.returncode, out.stderr)


def http_client_keep_alive(port):
    conn = http.client.HTTPSConnection("localhost", port, context=client_context(), timeout=WAIT)
    conn.request("GET", "/")
    sock = conn.sock
    for i in range(30):
        if i:
            conn.request("GET", "/")
        r = conn.getresponse()
        assert r.status == 200, r.status
        assert json.loads(r.read()) == {"protocol": "https", "client": ""}
    assert conn.sock is sock, "the connection was not kept alive"
    # A body larger than one TLS record (16 KiB), both ways: a 404 envelope for a long path.
    conn.request("GET", "/" + "x" * 40000)
    r = conn.getresponse()
    assert r.status == 404 and b'"status":404' in r.read()
    conn.close()


def alpn_and_versions(port):
    ctx = client_context()
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with handshake(port, ctx=ctx) as s:
        assert s.selected_alpn_protocol() == "http/1.1", s.selected_alpn_protocol()
        assert s.version() == "TLSv1.3", s.version()
    ctx = client_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with handshake(port, ctx=ctx) as s:
        assert s.version() == "TLSv1.2", s.version()
        name = s.cipher()[0]
        assert name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20" in name), name
    # TLS 1.1 and a weak cipher suite: refused by the server (the client allows them here).
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(path("ca.pem"))
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    refused(lambda: handshake(port, ctx=ctx), "PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL")
    ctx = client_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("AES128-SHA:@SECLEVEL=0")
    refused(lambda: handshake(port, ctx=ctx), "HANDSHAKE_FAILURE")


def sni_picks_the_certificate(port):
    assert peer_subject(port, "localhost")["commonName"] == "localhost"
    assert peer_subject(port, "other.test")["commonName"] == "other.test"


def expired_certificate_refused(port):
    refused(lambda: handshake(port, "expired.test"), "certificate has expired")


def mutual_tls(port):
    status, body = get(port, ctx=client_context("alice"))
    assert status == 200, status
    assert json.loads(body) == {"protocol": "https", "client": "O=gale tests,CN=alice"}, body
    # Without a certificate (TLS 1.3: the client hears of it at its first read).
    refused(lambda: get(port), "CERTIFICATE_REQUIRED")
    # With one the server's CA did not sign.
    refused(lambda: get(port, ctx=client_context("mallory")), "UNKNOWN_CA")


def optional_client_certificates(port):
    status, body = get(port)
    assert status == 200 and json.loads(body)["client"] == "", body
    status, body = get(port, ctx=client_context("alice"))
    assert status == 200 and json.loads(body)["client"] == "O=gale tests,CN=alice", body
    refused(lambda: get(port, ctx=client_context("mallory")), "UNKNOWN_CA")


def stalled_handshake_closed(port):
    started = time.monotonic()
    silent = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    stalled = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    stalled.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01")  # a ClientHello's first 8 of 517 bytes
    # Others are served meanwhile.
    for _ in range(5):
        assert get(port)[0] == 200
    for s in (silent, stalled):
        try:
            data = s.recv(100)  # the server closes it at the handshake timeout (1 s here)
        except ConnectionResetError:
            data = b""
        assert data == b"", data
        s.close()
    # By its own timeout (1 s), not the default one (10 s) nor the header timeout (30 s).
    assert time.monotonic() - started < 8, time.monotonic() - started


def websocket_over_tls(port):
    async def go():
        async with connect(f"wss://localhost:{port}/ws", ssl=client_context(),
                           open_timeout=WAIT) as ws:
            await ws.send("hello over wss")
            assert await asyncio.wait_for(ws.recv(), WAIT) == "hello over wss"
            big = os.urandom(200_000)  # many TLS records each way
            await ws.send(big)
            assert await asyncio.wait_for(ws.recv(), WAIT) == big
    asyncio.run(go())


def event_stream_over_tls(port):
    conn = http.client.HTTPSConnection("localhost", port, context=client_context(), timeout=WAIT)
    conn.request("GET", "/events", headers={"Accept": "text/event-stream"})
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/event-stream")
    text = b""
    while b"data: two" not in text:
        line = r.fp.readline()
        assert line, f"the stream ended early: {text!r}"
        text += line
    assert b"data: one" in text and b"event: second" in text, text
    conn.close()


def sighup_reloads(server):
    port = server.port
    conn = http.client.HTTPSConnection("localhost", port, context=client_context(), timeout=WAIT)
    conn.request("GET", "/")
    assert conn.getresponse().read()
    sock = conn.sock
    assert dict(x[0] for x in sock.getpeercert()["subject"])["organizationName"] == "first"
    shutil.copy(path("second.pem"), path("server.pem"))
    shutil.copy(path("second.key"), path("server.key"))
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + WAIT
    while peer_subject(port).get("organizationName") != "second":
        assert time.monotonic() < deadline, "new handshakes still get the old certificate"
        time.sleep(0.05)
    conn.request("GET", "/")  # the connection opened before the reload goes on
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["protocol"] == "https"
    assert conn.sock is sock
    # A bad file: an error in the log, and the certificate in use stays.
    with open(path("server.pem"), "w") as f:
        f.write("not a certificate\n")
    server.proc.send_signal(signal.SIGHUP)
    while "keeping the certificates in use" not in server.log_text():
        assert time.monotonic() < deadline, "no error logged for a bad certificate file"
        time.sleep(0.05)
    assert peer_subject(port)["organizationName"] == "second"
    assert server.proc.poll() is None
    conn.close()


def hello_example(port):
    out = subprocess.run(["curl", "-s", "--cacert", path("ca.pem"),
                          f"https://localhost:{port}/?name=tls"],
                         capture_output=True, text=True, timeout=WAIT)
    assert out.stdout == '{"hello":"tls"}', (out.returncode, out.stdout, out.stderr)


def main():
    make_pki()
    tls = ["--certfile", path("server.pem"), "--keyfile", path("server.key"),
           "--sni-cert", f"{path('other.pem')}:{path('other.key')}",
           "--sni-cert", f"{path('expired.pem')}:{path('expired.key')}"]
    servers = []
    failed = []
    try:
        main_server = Server(APP, *tls, "--handshake-timeout-ms", "1000")
        servers.append(main_server)
        mtls = Server(APP, "--certfile", path("first.pem"), "--keyfile", path("first.key"),
                      "--client-ca", path("ca.pem"), "--client-certificates", "required")
        servers.append(mtls)
        optional = Server(APP, "--certfile", path("first.pem"), "--keyfile", path("first.key"),
                          "--client-ca", path("ca.pem"), "--client-certificates", "optional")
        servers.append(optional)
        hello = Server(HELLO, "--certfile", path("first.pem"), "--keyfile", path("first.key"))
        servers.append(hello)
        port = main_server.port
        checks = [(curl_over_https, port), (http_client_keep_alive, port),
                  (alpn_and_versions, port), (sni_picks_the_certificate, port),
                  (expired_certificate_refused, port), (mutual_tls, mtls.port),
                  (optional_client_certificates, optional.port),
                  (stalled_handshake_closed, port), (websocket_over_tls, port),
                  (event_stream_over_tls, port), (hello_example, hello.port),
                  (sighup_reloads, main_server)]
        for check, arg in checks:
            try:
                check(arg)
                print(f"ok: {check.__name__}")
            except Exception as e:  # report every failing check, not the first only
                failed.append(check.__name__)
                print(f"FAIL: {check.__name__}: {e!r}", file=sys.stderr)
        if failed:
            for s in servers:
                sys.stderr.write(s.log_text()[-4000:])
        for s in servers:
            s.stop()
        servers.clear()
    finally:
        for s in servers:
            s.proc.kill()
            sys.stderr.write(s.log_text()[-4000:])
        shutil.rmtree(DIR, ignore_errors=True)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
