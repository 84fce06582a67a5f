#!/usr/bin/env python3
"""Connections that never authenticate cannot stop the hub or slow real
replication.  Seen: under the open-file limit a service gets by default
(1024), 1,100 idle TCP connections to the hub's port used up its
descriptors, and the next `linlictl status` made libzmq abort the hub
("Too many open files", exit 134).

The hub runs with its open-file limit at 1024, soft and hard (so raising it
cannot help), while 2,400 idle connections and 1,000 that send the start of
a ZMTP greeting a byte a second are held open from other loopback addresses
(127.0.0.2 and up; the nodes connect from 127.0.0.1): whatever the hub
closes is opened again.  Ten real nodes write throughout; every write must
reach the hub within a bound, not much slower than without the load, and
`linlictl` at the hub must answer.  First a handshake never finished is
ended after handshake_ms.  Then, under the load:
  1. the default caps hold connections in their handshake to 256, and
     nodes that restart get their links back at once;
  2. with every descriptor taken but fd_reserve, link connections are
     closed as they are accepted and the control socket still answers;
  3. caps set higher than the limit allows are held to half of it;
  4. with allow_from (and a hard limit above the soft one, which linlid
     raises to), connections from elsewhere, a community's server
     included, are closed at once, and the others link.
Refusals are logged once per cause a minute.  Loopback only; every socket
opened here is closed; every wait is bounded."""

import errno
import os
import resource
import selectors
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

LIMIT = 1024  # the hub's open-file limit, as a service gets it by default
IDLE = 2400  # idle connections held open
IDLE_SOURCES = 24  # from this many addresses: 127.0.0.2 ...
SLOW = 1000  # connections that send a byte a second
SLOW_SOURCES = 10  # from 127.0.0.100 ...
REOPEN_PER_S = 1000  # the attacker opens again at most this many closed connections a second
WRITE_BOUND_S = 10.0 * cluster.SLOW  # a write reaches the hub within this, under the load
CTL_BOUND_S = 10.0 * cluster.SLOW  # linlictl at the hub answers within this
RELINK_S = 20.0 * cluster.SLOW  # every node is back after a restart of the hub within this
# The start of a ZMTP 3 greeting (signature, version): a peer that sends it
# slowly looks like a slow network to libzmq until its handshake time ends.
GREETING = bytes([0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0]) + b"CURVE" + bytes(15)


class Attacker(threading.Thread):
    """Holds idle and slow connections to port open from the given source
    addresses; a connection the hub closes is opened again (paced)."""

    def __init__(self, port, sources_idle, sources_slow):
        super().__init__(daemon=True)
        self.port = port
        self.want = [(src, False) for src in sources_idle] + [(src, True) for src in sources_slow]
        self.sel = selectors.DefaultSelector()
        self.socks = {}  # socket -> [slow, bytes sent]
        self.halt = threading.Event()
        self.opened = self.closed_by_hub = self.failed = 0
        self.lock = threading.Lock()

    def open_one(self, src, slow):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setblocking(False)
            s.bind((src, 0))
            rc = s.connect_ex(("127.0.0.1", self.port))
            if rc not in (0, errno.EINPROGRESS):
                raise OSError(rc, os.strerror(rc))
        except OSError:
            s.close()
            self.failed += 1
            return False
        self.sel.register(s, selectors.EVENT_READ, (src, slow))
        self.socks[s] = [slow, 0]
        self.opened += 1
        return True

    def drop(self, s):
        self.sel.unregister(s)
        del self.socks[s]
        s.close()

    def held(self):
        with self.lock:
            return len(self.socks)

    def run(self):
        pending = list(self.want)  # (src, slow) to open
        next_byte = time.monotonic()
        budget, budget_t = REOPEN_PER_S, time.monotonic()
        first = True  # the first round opens everything at once
        while not self.halt.is_set():
            now = time.monotonic()
            if now - budget_t >= 0.1:
                budget, budget_t = REOPEN_PER_S / 10, now
            with self.lock:
                while pending and (first or budget >= 1):
                    src, slow = pending.pop()
                    if not self.open_one(src, slow):
                        pending.insert(0, (src, slow))
                        break
                    budget -= 1
                first = False
                for key, _ in self.sel.select(timeout=0.05):
                    s = key.fileobj
                    try:
                        data = s.recv(4096)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if data:
                        continue  # the hub's greeting: keep holding on
                    self.closed_by_hub += 1
                    self.drop(s)
                    pending.append(key.data)
                if now >= next_byte:
                    next_byte = now + 1.0
                    for s, st in list(self.socks.items()):
                        if not st[0]:
                            continue
                        b = GREETING[st[1]:st[1] + 1] or os.urandom(1)
                        try:
                            s.send(b)
                            st[1] += 1
                        except (BlockingIOError, InterruptedError):
                            pass
                        except OSError:
                            pass  # closed: the read side notices
        with self.lock:
            for s in list(self.socks):
                self.drop(s)
        self.sel.close()

    def stop(self):
        self.halt.set()
        self.join(10)
        assert not self.is_alive(), "the attacker thread did not stop"


def open_fds(d):
    return len(os.listdir(f"/proc/{d.proc.pid}/fd"))


def hub_alive(c, when):
    if c.hub.proc.poll() is not None:
        raise AssertionError(f"{when}: the hub exited with status {c.hub.proc.returncode}:\n"
                             f"{c.hub.log_tail(12)}")


def status_text(c):
    try:
        return c.hub.ctl("status", timeout=CTL_BOUND_S).stdout
    except cluster.CtlError:
        hub_alive(c, "linlictl status at the hub")
        raise


def value(c, name):
    try:
        return c.hub.ctl("status", json_out=True, timeout=CTL_BOUND_S).get(name)
    except cluster.CtlError:
        hub_alive(c, "linlictl status at the hub")
        raise


def hub_seqs(c):
    return {o: (r["seq_public"], r["seq_personal"]) for o, r in c.hub.stats().items()}


def write_round(c, tag, nodes=None):
    """Every node adds a household; returns how long until the hub had all
    of them (each node's own answer is its local commit)."""
    t0 = time.monotonic()
    want = {}
    threads = []
    errors = []

    def one(n):
        try:
            n.ctl("household", "add", f"{tag}-{n.owner[-3:]}", "grid=g1", "size=2",
                  "phone=13900000000", timeout=CTL_BOUND_S)
            want[n.owner] = int(n.status()["log_personal"])
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(f"{n.name}: {e}")

    for n in nodes or c.nodes:
        threads.append(threading.Thread(target=one, args=(n,)))
        threads[-1].start()
    for t in threads:
        t.join(CTL_BOUND_S * 2)
    assert not errors, errors
    deadline = t0 + WRITE_BOUND_S
    while True:
        hub_alive(c, f"round {tag}")
        seqs = hub_seqs(c)
        late = [o for o, s in want.items() if seqs.get(o, (0, 0))[1] < s]
        if not late:
            return time.monotonic() - t0
        if time.monotonic() > deadline:
            raise AssertionError(f"round {tag}: the hub did not have the writes of {late} "
                                 f"within {WRITE_BOUND_S:.0f} s")
        time.sleep(0.05)


def rounds(c, attacker, n, tag, nodes=None):
    """n rounds of writes while the attacker holds its connections; linlictl
    at the hub answers before each."""
    times = []
    for r in range(n):
        hub_alive(c, f"{tag} round {r}")
        t = time.monotonic()
        text = status_text(c)
        took = time.monotonic() - t
        assert "role" in text, text
        assert took < CTL_BOUND_S, f"linlictl status at the hub took {took:.1f} s"
        times.append(write_round(c, f"{tag}{r}", nodes))
        print(f"# {tag} round {r}: ten writes at the hub in {times[-1]:.2f} s; status in "
              f"{took:.2f} s; the attacker holds {attacker.held()} (opened "
              f"{attacker.opened}, closed by the hub {attacker.closed_by_hub}); hub fds "
              f"{open_fds(c.hub)}")
    return times


def start_nodes(c, nodes):
    for n in nodes:
        n.start(wait=False)
    for n in nodes:
        cluster.wait_until(f"{n.name} control socket", n.alive_and_ready, 10 * cluster.SLOW)
    for n in nodes:
        n.wait_writable()


def restart_hub(c, limit, extra="", held=0, linked=True):
    """Restarts the hub with the open-file limit "soft:hard" and extra
    settings, holding descriptors 3 to 3+held-1 open (inherited) if held."""
    c.hub.stop()
    c.hub.write_config(extra)
    wrap = ["prlimit", f"--nofile={limit}", "--"]
    if held:
        opens = " ".join(f"{fd}</dev/null" for fd in range(3, 3 + held))
        wrap = ["bash", "-c", f"exec {opens}; exec \"$@\"", "bash"] + wrap
    c.hub.start(wrap=wrap)
    if linked:
        cluster.wait_until("every node linked to the restarted hub",
                           lambda: int(value(c, "nodes_live")) == len(c.nodes), RELINK_S)


def relink_nodes(c, attacker, tag):
    """Three nodes restart while the load is at its full: each gets its link
    back, and what it writes reaches the hub."""
    cluster.wait_until("the attacker's load back at the restarted hub",
                       lambda: int(value(c, "link_conns")) >= 200, 20)
    some = c.nodes[:3]
    t0 = time.monotonic()
    for n in some:
        n.stop()
    start_nodes(c, some)
    took = write_round(c, tag)
    print(f"# {tag}: three nodes restarted under the load, linked and written in "
          f"{time.monotonic() - t0:.1f} s (the writes {took:.2f} s)")


def handshake_ends(c):
    """A connection that never finishes its handshake is closed after
    handshake_ms (5 s by default; libzmq's own is 30 s): idle ones and ones
    that send a greeting a byte a second alike."""
    socks = []
    try:
        for i in range(6):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.250", 0))
            s.connect(("127.0.0.1", c.port))
        t0 = time.monotonic()
        open_ = list(socks)
        while open_ and time.monotonic() - t0 < 15:
            for s in list(open_):
                s.settimeout(0.05)
                try:
                    if s.recv(4096) == b"":
                        open_.remove(s)
                        continue
                except socket.timeout:
                    pass
                except OSError:
                    open_.remove(s)
                    continue
                if socks.index(s) % 2:  # the slow ones
                    try:
                        s.send(GREETING[:1])
                    except OSError:
                        pass
            time.sleep(0.5)
        took = time.monotonic() - t0
        assert not open_, f"{len(open_)} connections still open after {took:.0f} s"
        assert 4 <= took <= 12, f"closed after {took:.1f} s, not after the handshake's 5 s"
        cluster.wait_until("the ended handshakes counted",
                           lambda: int(value(c, "link_handshakes_unfinished")) >= len(socks), 5)
        print(f"# handshakes never finished: closed by the hub after {took:.1f} s")
    finally:
        for s in socks:
            s.close()


def figures(st):
    """The hub's status lines about its link connections and descriptors."""
    return ", ".join(f"{k} {v}" for k, v in st.items() if k.startswith(("link_", "open_")))


def gate_lines(c, text):
    return sum(1 for ln in c.hub.log_text().splitlines() if text in ln)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = IDLE + SLOW + 200
    if hard != resource.RLIM_INFINITY and hard < need:
        print(f"SKIP: this test holds {need} sockets; the hard open-file limit is {hard}")
        sys.exit(77)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    idle_src = [f"127.0.0.{2 + i}" for i in range(IDLE_SOURCES)]
    slow_src = [f"127.0.0.{100 + i}" for i in range(SLOW_SOURCES)]
    with cluster.Cluster() as c:
        c.hub.start(wrap=["prlimit", f"--nofile={LIMIT}:{LIMIT}", "--"])
        start_nodes(c, c.nodes)
        for n in c.nodes:  # the grid of the households write_round adds
            n.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        quiet = [write_round(c, f"quiet{r}") for r in range(2)]
        print(f"# quiet: ten writes at the hub in {max(quiet):.2f} s at most")
        handshake_ends(c)

        per_src = lambda srcs, n: [srcs[i % len(srcs)] for i in range(n)]  # noqa: E731
        attacker = Attacker(c.port, per_src(idle_src, IDLE), per_src(slow_src, SLOW))
        attacker.start()
        try:
            # The whole first wave is opened at once.
            cluster.wait_until("the attacker's connections",
                               lambda: attacker.opened >= IDLE + SLOW, 20)
            time.sleep(1)
            hub_alive(c, "after the connections were opened")

            # 1. The defaults: the caps on connections in their handshake.
            times = rounds(c, attacker, 4, "caps")
            st = c.hub.status()
            print(f"# caps: writes in {max(times):.2f} s at most (quiet {max(quiet):.2f} s); "
                  f"{figures(st)}")
            # Not slowed beyond noise (seen before the fix: 17-22 s to get in).
            slowest = max(5.0 * cluster.SLOW, 4 * max(quiet))
            assert max(times) <= slowest, f"writes took {max(times):.1f} s under the load"
            assert int(st["link_refused_unauthenticated"]) > 0, st
            assert int(st["link_conns_unauthenticated"]) <= 256 + 1, st
            assert int(st["open_files"]) < LIMIT - 128, st
            assert int(st["link_accept_failed"]) == 0, st
            problems = [ln for ln in status_text(c).splitlines() if ln.startswith("problem")]
            assert any("before they authenticated" in p for p in problems), problems
            relink_nodes(c, attacker, "caps-relink")

            # 2. Every descriptor taken but the reserve (here by 70 held open
            # from the start, and fd_reserve 960 of 1024): every link
            # connection is closed as it is accepted, linlictl still answers.
            restart_hub(c, f"{LIMIT}:{LIMIT}", "fd_reserve = 960\n", held=70, linked=False)
            cluster.wait_until("link connections refused in the reserve",
                               lambda: int(value(c, "link_refused_descriptors")) > 100, 20)
            for _ in range(5):
                st = c.hub.status()
                assert int(st["link_conns"]) == 0 and st["nodes_live"] == "0", st
                time.sleep(0.2)
            hub_alive(c, "with every descriptor taken but the reserve")
            print(f"# reserve: {figures(st)}")

            # 3. Caps set higher than the limit allows: held to half of what
            # the reserve leaves.
            restart_hub(c, f"{LIMIT}:{LIMIT}",
                        "unauth_max = 16384\nunauth_per_address = 16384\n")
            assert gate_lines(c, "unauth_max 16384 is more than the open-file limit 1024 "
                                 "leaves after fd_reserve 128: 448 in force") == 1, c.hub.log_tail()
            relink_nodes(c, attacker, "high-caps-relink")
            rounds(c, attacker, 2, "high-caps")
            st = c.hub.status()
            print(f"# high caps: {figures(st)}")
            assert 0 < int(st["link_conns_unauthenticated"]) <= 448 + 1, st
            assert int(st["open_files"]) < LIMIT - 128, st
            assert int(st["link_accept_failed"]) == 0, st

            # 4. allow_from, and a hard limit above the soft one.  One
            # community's server moves to 127.0.0.3, which is not allowed.
            moved = c.nodes[-1]
            moved.stop()
            moved.hub_endpoint = f"tcp://127.0.0.3:0;127.0.0.1:{c.port}"
            moved.write_config()
            moved.start()
            restart_hub(c, f"{LIMIT}:4096", "allow_from = 127.0.0.1\n", linked=False)
            cluster.wait_until("every node allowed linked to the restarted hub",
                               lambda: int(value(c, "nodes_live")) == len(c.nodes) - 1,
                               RELINK_S)
            assert gate_lines(c, f"open files: soft limit raised from {LIMIT} to 4096") == 1, \
                c.hub.log_tail()
            with open(f"/proc/{c.hub.proc.pid}/limits") as f:
                assert any(ln.startswith("Max open files") and ln.split()[3] == "4096"
                           for ln in f), "the soft limit was not raised"
            cluster.wait_until("connections from elsewhere refused",
                               lambda: int(value(c, "link_refused_not_allowed")) > 100, 20)
            rounds(c, attacker, 2, "allow", c.nodes[:-1])
            st = c.hub.status()
            print(f"# allow_from: {figures(st)}")
            assert int(st["link_conns_unauthenticated"]) <= len(c.nodes), st
            assert st["nodes_live"] == str(len(c.nodes) - 1), st
            # It may have heard the hub before that restarted with
            # allow_from: its link shows up for three heartbeats after.
            cluster.wait_until("the server at 127.0.0.3 without a link",
                               lambda: moved.status()["hub_link"] != "up", 15)
            mst = moved.status()
            st = c.hub.status()
            assert st["nodes_live"] == str(len(c.nodes) - 1), st
            print(f"# allow_from: the server at 127.0.0.3 gets no link: hub_link "
                  f"{mst['hub_link']}, problem: {mst.get('problem')}")
        finally:
            attacker.stop()
        hub_alive(c, "at the end")
        # Refusals are logged once per cause a minute, with a count.
        for text in ("before it authenticated", "not in allow_from",
                     "one of the last 960 descriptors"):
            n = gate_lines(c, text)
            assert 1 <= n <= 8, f"{n} log lines with {text!r}"
        print(status_text(c))
        c.stop()


if __name__ == "__main__":
    main()
