#!/usr/bin/env python3
"""linlid's HTTP endpoint (http_listen) through the real binaries, on
loopback only.

  1. GET and HEAD only: other methods get 405 with Allow; a request with a
     body gets 413, headers over the bound 431; every answer carries the
     headers that keep a browser from doing more with it (Cache-Control,
     X-Content-Type-Options, Content-Security-Policy); /api/stats.json is
     the bytes `linlictl stats --json` prints; a path that is no page 404.
  2. http_allow: listening on 127.0.0.1 but allowing 127.0.0.2/32 only, a
     request from 127.0.0.1 gets 403 and one from 127.0.0.2 gets 200.
  3. http_password_file (lines from `linlictl http-password USER`): no
     credentials or wrong ones get 401 with WWW-Authenticate, the right ones
     200; a file group or others may read stops linlid from starting, with
     a message that names it.
  4. Every refusal is counted in `linlictl status` (http_refused_*) and in
     /metrics (linli_http_refused_total{reason=...}).
  5. 200 idle connections and 20 clients sending one byte a second stop
     neither replication (a node keeps writing, the hub applies) nor pages
     and /metrics for another client.
Every wait is bounded; every socket opened here is closed."""

import base64
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

BOUND_S = 10.0 * cluster.SLOW  # an answer under the load comes within this
CSP = "default-src 'none'"


def http(port, raw, src=None, timeout=BOUND_S, host="127.0.0.1"):
    """Sends raw bytes, reads until the server closes: (status, headers
    with lower-case names, body)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        if src:
            s.bind((src, 0))
        s.connect((host, port))
        s.sendall(raw)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break  # the server may close before it reads what was sent
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    assert m, f"not an HTTP answer: {data[:200]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(m.group(1)), headers, body


def get(port, path, method="GET", extra="", src=None, timeout=BOUND_S):
    raw = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"
    return http(port, raw.encode(), src=src, timeout=timeout)


def status_counts(d):
    st = d.status()
    return {k: int(v) for k, v in st.items() if k.startswith("http_refused_")}


def metric(text, name, labels):
    """The value of one sample of the exposition text."""
    want = "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else ""
    for line in text.splitlines():
        if line.startswith(name + want + " "):
            return float(line.split()[-1])
    raise AssertionError(f"/metrics has no {name}{want}")


def check_basics(c):
    port = c.hub.http_port
    st, h, body = get(port, "/api/stats.json")
    assert st == 200, (st, body[:300])
    assert h.get("content-type", "").startswith("application/json"), h
    assert h.get("x-content-type-options") == "nosniff", h
    assert h.get("cache-control"), h
    assert CSP in h.get("content-security-policy", ""), h
    # The same bytes as linlictl prints (a second may tick between the two,
    # and the server shows the links as the main loop last published them,
    # at most half a second ago).
    for _ in range(40):
        want = c.hub.ctl("--json", "stats").stdout.encode()
        st, h, body = get(port, "/api/stats.json")
        if body == want:
            break
        time.sleep(0.25)
    if body != want:
        got, exp = json.loads(body), json.loads(want)
        diff = [(e["owner"], k, g.get(k), v) for g, e in zip(got, exp) for k, v in e.items()
                if g.get(k) != v]
        raise AssertionError(f"/api/stats.json differs from linlictl stats --json: {diff}")
    st, h, body = get(port, "/api/stats.json", "HEAD")
    assert st == 200 and body == b"" and int(h["content-length"]) == len(want), (st, h, body)

    # Pages over one connection (HTTP/1.1 keep-alive): a browser's next
    # refresh, or a proxy's next request, needs no new connection.
    conn = HTTPConnection("127.0.0.1", port, timeout=BOUND_S)
    for path in ("/", "/api/stats.json", "/metrics", "/"):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        assert r.status == 200 and r.getheader("connection", "").lower() != "close", (
            path, r.status, r.getheaders())
    assert r.getheader("vary") == "Accept-Language", r.getheaders()
    conn.close()

    st, h, body = get(port, "/no/such/page")
    assert st == 404, st
    assert h.get("x-content-type-options") == "nosniff", h

    before = status_counts(c.hub)
    for m in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        st, h, _ = get(port, "/api/stats.json", m, "Content-Length: 0\r\n")
        assert st == 405, (m, st)
        assert h.get("allow") == "GET, HEAD", (m, h)
        assert CSP in h.get("content-security-policy", ""), h
    st, h, _ = get(port, "/", "GET", "Content-Length: 5\r\n\r\nhello")
    assert st == 413, st
    st, h, _ = get(port, "/", "GET", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n")
    assert st == 413, st
    st, h, _ = get(port, "/", "GET", "X-Big: " + "a" * 20000 + "\r\n")
    assert st == 431, st
    after = status_counts(c.hub)
    assert after["http_refused_method"] - before["http_refused_method"] == 5, after
    assert after["http_refused_body"] - before["http_refused_body"] == 2, after
    assert after["http_refused_too_large"] - before["http_refused_too_large"] == 1, after
    st, _, text = get(port, "/metrics")
    assert st == 200
    text = text.decode()
    assert metric(text, "linli_http_refused_total", {"reason": "method"}) == after[
        "http_refused_method"], text
    assert metric(text, "linli_http_refused_total", {"reason": "body"}) == after[
        "http_refused_body"]
    assert metric(text, "linli_http_refused_total", {"reason": "too_large"}) == after[
        "http_refused_too_large"]
    print("ok: methods, bodies, header bounds, headers, /api/stats.json, counted")


def check_conns(c):
    """Over 512 connections at once, the next are closed as accepted and
    counted; once they go, requests are answered again."""
    port = c.hub.http_port
    before = status_counts(c.hub)["http_refused_conns"]
    socks = []
    try:
        for _ in range(530):
            s = socket.socket()
            socks.append(s)
            s.settimeout(5)
            s.connect(("127.0.0.1", port))
        cluster.wait_until("connections over the bound refused", lambda: status_counts(
            c.hub)["http_refused_conns"] - before >= 10, BOUND_S)
    finally:
        for s in socks:
            s.close()
    cluster.wait_until("the closed connections are gone",
                       lambda: int(c.hub.status()["http_conns"]) < 10, BOUND_S)
    st, _, text = get(port, "/metrics")
    assert st == 200, st
    n = status_counts(c.hub)["http_refused_conns"]
    assert metric(text.decode(), "linli_http_refused_total", {"reason": "conns"}) == n
    assert re.search(r"http: .*too many connections", c.hub.log_text())
    print(f"ok: connections over 512 closed as accepted ({n - before} counted)")


def restart_hub(c, extra):
    c.hub.stop()
    c.hub.write_config(extra)
    c.hub.start()


def check_allow(c):
    port = c.hub.http_port
    restart_hub(c, "http_allow = 127.0.0.2/32\n")
    st, h, body = get(port, "/api/stats.json")
    assert st == 403, (st, body[:200])
    assert CSP in h.get("content-security-policy", ""), h
    st, _, _ = get(port, "/api/stats.json", src="127.0.0.2")
    assert st == 200, st
    n = status_counts(c.hub)["http_refused_not_allowed"]
    assert n == 1, n
    st, _, text = get(port, "/metrics", src="127.0.0.2")
    assert metric(text.decode(), "linli_http_refused_total", {"reason": "not_allowed"}) == 1
    log = c.hub.log_text()
    assert re.search(r"http: .*127\.0\.0\.1.* not in http_allow", log), log[-2000:]
    print("ok: http_allow refuses 127.0.0.1 (403) and lets 127.0.0.2 in")


def check_password(c):
    port = c.hub.http_port
    pwfile = os.path.join(c.hub.dir, "http_passwords")
    p = subprocess.run([cluster.LINLICTL, "http-password", "staff"], input="s3cret-pass\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    line = p.stdout.strip()
    assert line.startswith("staff:$argon2id$"), line
    assert "s3cret" not in line
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (line + "\n").encode())
    os.close(fd)
    restart_hub(c, f"http_password_file = {pwfile}\n")

    def basic(user, pw):
        return "Authorization: Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode() + "\r\n"

    before = status_counts(c.hub)
    st, h, _ = get(port, "/api/stats.json")
    assert st == 401, st
    assert h.get("www-authenticate", "").startswith('Basic realm="linli"'), h
    st, h, _ = get(port, "/api/stats.json", extra=basic("staff", "wrong"))
    assert st == 401, st
    st, h, _ = get(port, "/api/stats.json", extra=basic("nobody", "s3cret-pass"))
    assert st == 401, st
    for _ in range(3):  # the second and third from the cache
        st, h, body = get(port, "/api/stats.json", extra=basic("staff", "s3cret-pass"))
        assert st == 200, (st, body[:200])
    after = status_counts(c.hub)
    assert after["http_refused_password"] - before["http_refused_password"] == 3, after
    refused = after["http_refused_password"] + 8  # with the eight below
    # Ten wrong passwords from one address in a minute: the next is not
    # even checked (429); a password already verified still opens (cached).
    for _ in range(8):
        st, _, _ = get(port, "/api/stats.json", extra=basic("staff", "guess"))
        assert st == 401, st
    st, h, _ = get(port, "/api/stats.json", extra=basic("staff", "guess"))
    assert st == 429 and h.get("retry-after") == "60", (st, h)
    st, _, _ = get(port, "/api/stats.json", extra=basic("staff", "s3cret-pass"))
    assert st == 200, st
    assert status_counts(c.hub)["http_refused_attempts"] == 1
    st, _, text = get(port, "/metrics", extra=basic("staff", "s3cret-pass"))
    assert metric(text.decode(), "linli_http_refused_total", {"reason": "password"}) == refused
    assert metric(text.decode(), "linli_http_refused_total", {"reason": "attempts"}) == 1
    log = c.hub.log_text()
    assert "s3cret" not in log, "a password in the log"
    assert re.search(r"http: .*127\.0\.0\.1.*password", log), log[-2000:]

    # Readable by the group: linlid refuses to start, and says why; so
    # does linlid -n.
    c.hub.stop()
    os.chmod(pwfile, 0o640)
    for args in (["-c", c.hub.conf], ["-n", "-c", c.hub.conf]):
        p = subprocess.run([c.hub.linlid] + args, capture_output=True, text=True,
                           timeout=30 * cluster.SLOW)
        assert p.returncode != 0, f"linlid {args} took a group-readable password file"
        assert pwfile in p.stderr and "0640" in p.stderr and "chmod 600" in p.stderr, p.stderr
    os.chmod(pwfile, 0o600)
    c.hub.write_config()
    c.hub.start()
    print("ok: password file: 401 without or with wrong credentials, 200 with the right "
          "ones; a group-readable file stops the start")


class Pests(threading.Thread):
    """200 idle connections and 20 that send a byte a second, held open
    until stop is set (a closed one is opened again)."""

    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port, self.stop_ev = port, stop
        self.socks = []

    def open(self, slow):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", self.port))
            if slow:
                s.send(b"G")
        except OSError:
            s.close()
            return None
        return (s, slow)

    def run(self):
        want = [False] * 200 + [True] * 20
        for slow in want:
            c = self.open(slow)
            if c:
                self.socks.append(c)
        # After the "G" sent at connect, the rest of a request, a byte a second.
        req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000
        pos = 0
        while not self.stop_ev.wait(1.0):
            pos += 1
            for i, (s, slow) in enumerate(list(self.socks)):
                if not slow:
                    continue
                try:
                    s.send(req[pos:pos + 1])
                except OSError:
                    s.close()
                    c = self.open(True)
                    if c:
                        self.socks[i] = c
        for s, _ in self.socks:
            s.close()


def check_load(c):
    port = c.hub.http_port
    node = c.nodes[0]
    stop = threading.Event()
    pests = Pests(port, stop)
    pests.start()
    try:
        # The connections are open (the slow ones sending) before the writes.
        cluster.wait_until("the idle and slow connections are open",
                           lambda: int(c.hub.status()["http_conns"]) >= 200, BOUND_S)
        t0 = time.monotonic()
        for i in range(10):
            node.ctl("service", "add", f"h{i}", f"name=Hall {i}", "category=elderly",
                     "provider=P", "place=B", "hours=9-5", "walk_minutes=5", "status=open")
        want = int(node.status()["log_public"])
        cluster.wait_until("the hub applies the node's writes under the load",
                           lambda: c.hub.stats()[node.owner]["seq_public"] >= want, BOUND_S)
        for path in ("/", "/metrics", "/api/stats.json"):
            t = time.monotonic()
            st, _, _ = get(port, path, timeout=BOUND_S)
            assert st in (200, 404), (path, st)
            assert time.monotonic() - t < BOUND_S
        held = int(c.hub.status()["http_conns"])
        assert held >= 200, held
        print(f"ok: under {held} idle and slow connections, replication and pages go on "
              f"({time.monotonic() - t0:.1f} s)")
    finally:
        stop.set()
        pests.join(30)


def check_listen(c):
    """IPv6 ([::1]:PORT, let in by the default http_allow), and a port
    already taken: linlid does not start, and says where."""
    port = cluster.free_port("::1")
    c.hub.http_listen = f"[::1]:{port}"
    restart_hub(c, "")
    s = socket.socket(socket.AF_INET6)
    try:
        s.settimeout(BOUND_S)
        s.connect(("::1", port))
        s.sendall(b"GET /api/stats.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:100]
    c.hub.stop()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        c.hub.http_listen = f"127.0.0.1:{taken.getsockname()[1]}"
        c.hub.write_config()
        p = subprocess.run([c.hub.linlid, "-c", c.hub.conf], capture_output=True, text=True,
                           timeout=30 * cluster.SLOW)
        assert p.returncode != 0 and c.hub.http_listen in p.stderr, p.stderr
    c.hub.http_listen = f"127.0.0.1:{cluster.free_port()}"
    c.hub.write_config()
    c.hub.start()
    print("ok: http_listen on [::1]; a port taken stops the start: " +
          p.stderr.strip().splitlines()[-1])


def main():
    with cluster.Cluster(communities=cluster.COMMUNITIES[:2]) as c:
        c.hub.http_listen = f"127.0.0.1:{cluster.free_port()}"
        c.hub.write_config()
        c.start()
        c.wait_converged(60)
        check_basics(c)
        check_load(c)
        check_conns(c)
        check_allow(c)
        check_password(c)
        check_listen(c)
    print("ok")


if __name__ == "__main__":
    main()
