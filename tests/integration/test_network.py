#!/usr/bin/env python3
"""Networks as sites have them.

IPv6: a hub listening on tcp://[::1]:PORT, and one on tcp://[::]:PORT with
nodes connecting to [::1], to a name that resolves to ::1 only, and to
127.0.0.1 (a dual-stack listener): records replicate both ways.

A refused handshake is not "hub down": a node whose key the hub does not
trust, and one whose trust file holds a wrong key for the hub, say why in
`linlictl status` and once in their log, retry with a back-off (not libzmq's
100 ms), and the problem clears by itself once the cause is gone (the hub
trusts the key; the trust file is fixed and reloaded).

Each part runs even when an earlier one failed, so a failure names them all.
"""

import os
import socket
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

TWO = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
THREE = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin", "Linge")]
V6NAME = "linli-hub-v6"  # resolves to ::1 only, in the mount namespace of one node
REFUSED = "the hub refused this node's key"
WRONG_HUB_KEY = "the hub's key is not the one in the trust file"
NOTICE_S = 10 * cluster.SLOW  # a refusal shows in status within this
RELINK_S = 45 * cluster.SLOW  # a refused node retries at least this often (30 s + slack)


def status_lines(d):
    """`linlictl status` as the operator reads it: (name, value) pairs, in
    order (a name such as problem may come more than once)."""
    out = []
    for line in d.ctl("status").stdout.splitlines():
        name, _, value = line.partition(":")
        out.append((name.strip(), value.strip()))
    return out


def problems(d):
    return [v for n, v in status_lines(d) if n == "problem"]


def value(d, name):
    return next((v for n, v in status_lines(d) if n == name), None)


def log_count(d, text):
    return sum(text in line for line in d.log_text().splitlines())


def replicate_both_ways(c, nodes, tag):
    """Every node writes one public record; every other node gets it."""
    for n in nodes:
        n.ctl("service", "add", f"{tag}-{n.name}", f"name=v6 {n.name}", "category=elderly")
    c.wait_converged()
    for n in nodes:
        for other in nodes:
            if other is n:
                continue
            ids = {r["id"] for r in n.ctl("service", "list", "--owner", other.owner,
                                         json_out=True) or []}
            assert f"{tag}-{other.name}" in ids, f"{n.name} lacks {other.name}'s record: {ids}"


def name_wrap(c):
    """A command that runs linlid with /etc/hosts replaced by one where
    V6NAME is ::1 (a private mount namespace), or None with the reason."""
    hosts = os.path.join(c.dir, "hosts")
    with open(hosts, "w") as f:
        f.write(f"::1 {V6NAME}\n")
    wrap = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hosts]
    try:
        p = subprocess.run(wrap + ["getent", "ahosts", V6NAME], capture_output=True,
                           text=True, timeout=20)
    except OSError as e:
        return None, f"unshare: {e}"
    addrs = {line.split()[0] for line in p.stdout.splitlines() if line.strip()}
    if p.returncode != 0 or addrs != {"::1"}:
        return None, f"cannot give a name to ::1 here ({p.stderr.strip() or addrs})"
    return wrap, None


def part_ipv6_loopback():
    with cluster.Cluster(TWO, host="::1") as c:
        assert c.endpoint.startswith("tcp://[::1]:"), c.endpoint
        c.start()
        assert value(c.hub, "listen") == c.endpoint
        for n in c.nodes:
            assert value(n, "hub_link") == "up", status_lines(n)
        replicate_both_ways(c, c.nodes, "six")
    print(f"ok - a hub on tcp://[::1]:PORT and nodes connecting there replicate both ways")


def part_ipv6_any():
    with cluster.Cluster(THREE, host="::") as c:
        assert c.endpoint.startswith("tcp://[::]:"), c.endpoint
        lk, z, lg = c.node("Linkou"), c.node("Zenglin"), c.node("Linge")
        wrap, why = name_wrap(c)
        lk.hub_endpoint = f"tcp://[::1]:{c.port}"
        z.hub_endpoint = f"tcp://{V6NAME}:{c.port}" if wrap else f"tcp://[::1]:{c.port}"
        lg.hub_endpoint = f"tcp://127.0.0.1:{c.port}"  # IPv4 on the dual-stack listener
        for n in c.nodes:
            n.write_config()
        c.hub.start()
        for n in c.nodes:
            n.start(wait=False, wrap=wrap if n is z and wrap else ())
        for n in c.nodes:
            cluster.wait_until(f"{n.name} control socket", n.alive_and_ready,
                               10 * cluster.SLOW)
        for n in c.nodes:
            n.wait_writable(20 * cluster.SLOW)
            assert value(n, "hub_link") == "up", status_lines(n)
        replicate_both_ways(c, c.nodes, "any")
    print(f"ok - a hub on tcp://[::]:PORT takes nodes on [::1], on 127.0.0.1"
          f"{' and on a name that resolves to ::1 only' if wrap else ''}; records replicate "
          f"both ways")
    if why:
        print(f"ok # SKIP a name resolving to ::1: {why}")


def part_refused():
    with cluster.Cluster(TWO) as c:
        lk, z = c.node("Linkou"), c.node("Zenglin")
        # The hub has a trust file of its own without Zenglin; the nodes
        # have the whole list.
        c.hub.trust_file = os.path.join(c.dir, "hub-trust")
        with open(c.trust) as f, open(c.hub.trust_file, "w") as out:
            out.writelines(line for line in f if not line.startswith(z.owner))
        c.hub.write_config()
        c.hub.start()
        lk.start()
        z.start()
        lk.wait_writable(20 * cluster.SLOW)

        # Refused: said in status within seconds, once in the log.
        t0 = time.monotonic()
        cluster.wait_until("Zenglin's status names the refusal",
                           lambda: any(REFUSED in p for p in problems(z)), NOTICE_S, step=0.1)
        notice = time.monotonic() - t0
        st = status_lines(z)
        shown = [v for n, v in st if n == "problem" and REFUSED in v]
        assert z.pub in shown[0] and "linlictl trust add" in shown[0], shown
        assert value(z, "hub_link") == "refused", st
        time.sleep(6)  # libzmq alone would try 30 to 60 times in this while
        tries = int(value(z, "hub_handshakes_refused"))
        assert 2 <= tries <= 8, f"{tries} refused handshakes in 6 s: not a bounded back-off"
        assert log_count(z, REFUSED) == 1, z.log_text()
        assert "link from 127.0.0.1 refused" in c.hub.log_text(), c.hub.log_tail()
        print(f"ok - an untrusted node says '{REFUSED}' in status within {notice:.1f} s, "
              f"once in its log, and retries with a back-off ({tries} handshakes in 6 s)")

        # The hub trusts it: the node links by itself and the problem clears.
        c.hub.ctl("trust", "add", z.owner, z.pub, "Zenglin")
        t0 = time.monotonic()
        cluster.wait_until("Zenglin links once trusted",
                           lambda: value(z, "hub_link") == "up" and not any(
                               REFUSED in p for p in problems(z)), RELINK_S, step=0.2)
        relink = time.monotonic() - t0
        z.wait_writable(20 * cluster.SLOW)
        replicate_both_ways(c, c.nodes, "trusted")
        assert log_count(z, REFUSED) == 1, z.log_text()
        print(f"ok - once the hub trusts the key the node links by itself within "
              f"{relink:.1f} s and the problem clears")


def part_wrong_hub_key():
    with cluster.Cluster(TWO) as c:
        lk, z = c.node("Linkou"), c.node("Zenglin")
        # Linkou's trust file holds another key for the hub.
        lk.trust_file = os.path.join(c.dir, "linkou-trust")
        other = c.keygen(os.path.join(c.dir, "other.key"))
        with open(c.trust) as f:
            good = f.read()
        with open(lk.trust_file, "w") as f:
            f.write(good.replace(c.hub.pub, other))
        lk.write_config()
        c.hub.start()
        z.start()
        lk.start()
        z.wait_writable(20 * cluster.SLOW)

        t0 = time.monotonic()
        cluster.wait_until("Linkou's status names the hub's key",
                           lambda: any(WRONG_HUB_KEY in p for p in problems(lk)), NOTICE_S,
                           step=0.1)
        notice = time.monotonic() - t0
        shown = [p for p in problems(lk) if WRONG_HUB_KEY in p]
        assert lk.trust_file in shown[0] and "linlictl reload" in shown[0], shown
        assert value(lk, "hub_link") == "refused", status_lines(lk)
        time.sleep(6)
        tries = int(value(lk, "hub_handshakes_refused"))
        assert tries <= 12, f"{tries} failed handshakes in some 6 s: not a bounded back-off"
        assert log_count(lk, WRONG_HUB_KEY) == 1, lk.log_text()
        print(f"ok - a node with a wrong hub key says '{WRONG_HUB_KEY}' in status within "
              f"{notice:.1f} s, once in its log, and retries with a back-off ({tries} "
              f"handshakes)")

        with open(lk.trust_file, "w") as f:
            f.write(good)
        lk.ctl("reload")
        cluster.wait_until("Linkou links with the right hub key",
                           lambda: value(lk, "hub_link") == "up" and not any(
                               WRONG_HUB_KEY in p for p in problems(lk)), 15, step=0.2)
        lk.wait_writable(20 * cluster.SLOW)
        replicate_both_ways(c, c.nodes, "fixed")
        assert log_count(lk, WRONG_HUB_KEY) == 1, lk.log_text()
        print("ok - the trust file fixed and reloaded: the node links and the problem clears")


def main():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError as e:
        print(f"SKIP: this machine has no IPv6 loopback (::1): {e}")
        sys.exit(77)
    failed = []
    for part in (part_ipv6_loopback, part_ipv6_any, part_refused, part_wrong_hub_key):
        try:
            part()
        except Exception:  # noqa: BLE001 - report every part, then fail
            failed.append(part.__name__)
            print(f"not ok - {part.__name__}")
            traceback.print_exc(limit=3)
    if failed:
        print(f"FAIL: {' '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
