#!/usr/bin/env python3
"""The links are encrypted and authenticated: a key the hub does not trust
gets no link (1,000 change sets sent, none accepted), a trusted key cannot
speak for another community, and the bytes between a node and the hub show
no record field.  Loopback only; every wait is bounded."""

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

INJECT = os.path.join(cluster.BUILD, "tests", "linli-inject")
INTRUDER = "350582006099"  # in no trust list
PHONE, NAME = "13800000001", "陈志明"


def inject(c, key, owner, scenario, *args, timeout=60):
    p = subprocess.run([INJECT, c.endpoint, c.hub.pub, key, owner, scenario, *args],
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr
    return p.stdout


class Capture:
    """tcpdump on the loopback interface, of the hub's port and the proxy's
    (root only: None otherwise).  bytes() stops it and returns the pcap."""

    @staticmethod
    def start(path, ports):
        if os.geteuid() != 0 or shutil.which("tcpdump") is None:
            print("# no tcpdump capture (needs root and tcpdump): the relay's copy only")
            return None
        expr = " or ".join(f"tcp port {p}" for p in ports)
        proc = subprocess.Popen(["tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode", "-s", "0",
                                 "-w", path, expr],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # tcpdump says "listening on lo" once it captures.
        ready = select.select([proc.stderr], [], [], 10)[0]
        line = proc.stderr.readline().decode() if ready else ""
        if "listening on" not in line:
            # A container may deny packet capture even to root.
            proc.kill()
            proc.wait()
            print(f"# tcpdump cannot capture here ({line.strip()!r}): the relay's copy only")
            return None
        c = Capture()
        c.proc, c.path = proc, path
        return c

    def bytes(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)
        with open(self.path, "rb") as f:
            return f.read()


class Proxy:
    """A TCP relay on 127.0.0.1 that keeps every byte it passes, both ways."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.data = bytearray()
        self.lock = threading.Lock()
        self.stopping = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        try:
            while not self.stopping:
                r, _, _ = select.select([self.listener], [], [], 0.2)
                if r:
                    a, _ = self.listener.accept()
                    b = socket.create_connection(self.target, timeout=5)
                    threading.Thread(target=self.pump, args=(a, b), daemon=True).start()
        except (OSError, ValueError):
            pass  # stop() closed the listener under select

    def pump(self, a, b):
        peers = {a: b, b: a}
        try:
            while not self.stopping:
                r, _, _ = select.select(list(peers), [], [], 0.2)
                for s in r:
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    with self.lock:
                        self.data += chunk
                    peers[s].sendall(chunk)
        except OSError:
            pass
        finally:
            a.close()
            b.close()

    def stop(self):
        self.stopping = True
        self.listener.close()


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        z, lk = c.node("Zenglin"), c.node("Linkou")
        proxy = Proxy(c.port)
        with open(z.conf) as f:
            conf = f.read().replace(c.endpoint, f"tcp://127.0.0.1:{proxy.port}")
        with open(z.conf, "w") as f:
            f.write(conf)
        intruder_key = os.path.join(c.dir, "intruder.key")
        c.keygen(intruder_key)
        capture = Capture.start(os.path.join(c.dir, "link.pcap"), (c.port, proxy.port))
        c.start()

        # What crosses the link: none of a household's fields in clear.
        z.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        z.ctl("household", "add", "h1", "grid=g1", "size=4", f"phone={PHONE}",
              f"head_name={NAME}", "address=曾林村12号")
        c.wait_converged()
        row = c.hub.ctl("household", "show", "h1", "--owner", z.owner, json_out=True)
        assert PHONE in str(row) and NAME in str(row), row  # it did cross
        with proxy.lock:
            seen = bytes(proxy.data)
        assert len(seen) > 1000, f"only {len(seen)} bytes captured"
        assert b"CURVE" in seen, "the links' greeting does not name CURVE"
        # (HELLO, WELCOME, INITIATE, READY and MESSAGE are CURVE's own
        # command names: those are in clear by design.)
        clears = (PHONE.encode(), NAME.encode(), "曾林村".encode(), b"LINLICS1",
                  z.owner.encode())
        for clear in clears:
            assert clear not in seen, f"{clear!r} crossed the link in clear"
        print(f"ok - {len(seen)} bytes between node and hub: CURVE, and no record field, "
              "owner code or change set in clear")
        if capture is not None:
            pcap = capture.bytes()
            assert b"CURVE" in pcap and len(pcap) > len(seen), \
                f"tcpdump caught {len(pcap)} bytes, not the link"
            for clear in clears:
                assert clear not in pcap, f"{clear!r} is in tcpdump's capture of loopback"
            print(f"ok - tcpdump on loopback ({len(pcap)} bytes of pcap, both hops of the "
                  "relay and the other node's link): no record field, owner code or change set")

        # A key the hub does not trust: no link, nothing accepted.
        before = int(c.hub.status()["refused_unknown_key"])
        out = inject(c, intruder_key, INTRUDER, "flood", "1000", INTRUDER)
        assert "ACK" not in out and "ERR" not in out, out
        st = c.hub.status()
        assert int(st["refused_unknown_key"]) > before, st
        assert INTRUDER not in c.hub.stats(), "the intruder's owner code reached the hub"
        assert not any(r["owner"] == INTRUDER for r in c.hub.ctl("logs", json_out=True))
        assert "link from" in c.hub.log_text() and "not an owner's current key" in \
            c.hub.log_text()
        print(f"ok - 1000 change sets under an unknown key: no link "
              f"(refused_unknown_key {before} -> {st['refused_unknown_key']}), none accepted")

        # Zenglin's valid key, speaking as Linkou: refused, nothing applied.
        lk_before = c.hub.stats()[lk.owner]
        wrong_before = int(c.hub.status()["refused_wrong_origin"])
        out = inject(c, z.key, lk.owner, "ok", "1")
        assert f"HELLO as {lk.owner} on a link authenticated as {z.owner}" in out, out
        assert f"claims origin {lk.owner} but came on the link of {z.owner}" in out, out
        assert "ACK" not in out.replace("ERR", ""), out
        assert int(c.hub.status()["refused_wrong_origin"]) >= wrong_before + 2
        after = c.hub.stats()[lk.owner]
        assert after["seq_public"] == lk_before["seq_public"], (lk_before, after)
        assert not any(r["id"] == "inj-1" for r in c.hub.ctl("service", "list", json_out=True))
        print("ok - a trusted key speaking for another community is refused (HELLO and change "
              "set), nothing applied")

        z.ctl("service", "add", "s1", "name=长者食堂", "category=elderly")
        c.wait_converged()
        proxy.stop()
        print("ok - the real nodes carry on")


if __name__ == "__main__":
    main()
