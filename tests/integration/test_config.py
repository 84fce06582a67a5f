#!/usr/bin/env python3
"""Bad configuration, a key others can read, and a second daemon on the same
state are refused at start, each with a message that names what is wrong."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402


def linlid(*args):
    return cluster.run_tool([cluster.LINLID, *args], capture_output=True, text=True,
                            timeout=20 * cluster.SLOW)


def refused(conf_text, expect, where):
    """conf_text (str, or bytes for what is not UTF-8) is refused with
    expect and the file's name in the message."""
    path = os.path.join(where, "bad.conf")
    with open(path, "wb") as f:
        f.write(conf_text if isinstance(conf_text, bytes) else conf_text.encode())
    p = linlid("-n", "-c", path)
    assert p.returncode != 0, f"accepted:\n{conf_text}"
    assert expect in p.stderr, f"{expect!r} not in {p.stderr!r}"
    assert "bad.conf" in p.stderr, p.stderr


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        z = c.node("Zenglin")
        good = open(z.conf).read()
        p = linlid("-n", "-c", z.conf)
        assert p.returncode == 0 and "configuration ok" in p.stdout, p
        p = linlid("-n", "-v", "-c", z.conf)
        assert "window = 64" in p.stdout and "role = node" in p.stdout, p.stdout
        assert "handshake_ms = 5000" in p.stdout and "allow_from = \n" in p.stdout, p.stdout
        # A node's HTTP endpoint is off unless set; loopback only when on.
        assert "http_listen = off\n" in p.stdout, p.stdout
        assert "http_allow = 127.0.0.0/8 ::1\n" in p.stdout, p.stdout

        refused(good + "colour = blue\n", "unknown setting 'colour'", c.dir)
        refused(good + "window = 0\n", "window: '0' is not a number from 1 to 1024", c.dir)
        refused(good.replace("role = node", "role = boss"), "role: 'boss' is not node or hub",
                c.dir)
        refused(good.replace("owner = 350582006006", "owner = 12ab"), "owner: '12ab'", c.dir)
        refused("\n".join(ln for ln in good.splitlines() if not ln.startswith("hub =")),
                "'hub' is required for a node", c.dir)
        refused(good + "heartbeat_ms = 500\n", "'heartbeat_ms' is set twice", c.dir)
        refused("role node\n", "expected 'name = value'", c.dir)
        # Values of the right name but the wrong kind, each on the line after the good ones.
        at = f"bad.conf:{len(good.splitlines()) + 1}: "
        for extra, expect in [
                ("checkpoint_every = 300ms", "checkpoint_every: '300ms' is not a number from 2"),
                ("window_kib = -5", "window_kib: '-5' is not a number from 64 to 1048576"),
                ("batch_max = 99999999999999999999", "batch_max: '99999999999999999999' is not"),
                ("log_level = loud", "log_level: 'loud' is not error, warning, info or debug"),
                ("control_group = " + "g" * 64, "control_group: longer than 63 bytes"),
                ("listen = tcp://" + "x" * 600, "listen: longer than 511 bytes"),
                ("window = " + "9" * 1100, "line longer than 1022 bytes"),
                ("handshake_ms = 100", "handshake_ms: '100' is not a number from 500 to 60000"),
                ("fd_reserve = 8", "fd_reserve: '8' is not a number from 16 to 65536"),
                ("allow_from = 10.0.6.1/24",
                 "allow_from: '10.0.6.1/24' has host bits set (the network is 10.0.6.0/24)"),
                ("allow_from = 10.0.6.0/24 2001:db8::/129",
                 "allow_from: '2001:db8::/129': the prefix length is not a number from 0 to 128"),
                ("allow_from = 10.0.6.0/24, example.org",
                 "allow_from: 'example.org' is not an IPv4 or IPv6 address or network"),
                ("http_listen = localhost:7480",
                 "http_listen: 'localhost:7480': the address is not an IPv4 address or an "
                 "IPv6 one in brackets"),
                ("http_listen = ::1:7480", "http_listen: '::1:7480': the address is not"),
                ("http_listen = 127.0.0.1", "http_listen: '127.0.0.1' is not ADDRESS:PORT or "
                 "[IPV6]:PORT, or off"),
                ("http_listen = 127.0.0.1:70000", "http_listen: '127.0.0.1:70000' is not"),
                ("http_allow = 10.0.6.1/24",
                 "http_allow: '10.0.6.1/24' has host bits set (the network is 10.0.6.0/24)")]:
            refused(good + extra + "\n", at + expect, c.dir)
        refused(good.replace("name = Zenglin", "name = Zeng\xff").encode("latin-1"),
                "bad.conf:3: name: not valid UTF-8 text", c.dir)
        refused(good.replace("name = Zenglin", "name = Zeng\x1blin").encode(),
                "bad.conf:3: name: not valid UTF-8 text", c.dir)
        refused("".join("hub =\n" if ln.startswith("hub =") else ln
                        for ln in good.splitlines(keepends=True)),
                "'hub' is required for a node", c.dir)  # given empty
        print("ok - bad settings refused with file:line and the reason")

        os.chmod(z.key, 0o644)
        z.start(wait=False)
        z.proc.wait(10)
        assert z.proc.returncode != 0
        assert "lets others read it" in z.log_text(), z.log_tail()
        os.chmod(z.key, 0o600)
        print("ok - a key file others can read is refused")

        bad_trust = os.path.join(c.dir, "bad.trust")
        conf = os.path.join(c.dir, "badtrust.conf")
        with open(conf, "w") as f:
            f.write(good.replace(f"trust_file = {c.trust}", f"trust_file = {bad_trust}"))
        for text, expect in [
                (f"retired {z.owner} {z.pub}\n",
                 f"bad.trust:1: retired key of {z.owner} before its owner's line"),
                (f"{z.owner} {z.pub} Zenglin\n350582006001 {z.pub} Linkou\n",
                 f"bad.trust:2: the key given for 350582006001 is {z.owner}'s already"),
                (f"revokd {z.owner} {z.pub}\n", "bad.trust:1: expected '[retired|revoked]")]:
            with open(bad_trust, "w") as f:
                f.write(text)
            p = linlid("-c", conf)
            assert p.returncode != 0 and expect in p.stderr, (text, p.stderr)
        print("ok - a bad trust file is refused at start with file:line and the reason")

        c.start()
        p = linlid("-c", z.conf)
        assert p.returncode != 0 and "another linlid is running" in p.stderr, p.stderr
        assert z.status()["role"] == "node", "the running daemon lost its control socket"
        print("ok - a second linlid on the same state directory is refused")


if __name__ == "__main__":
    main()
