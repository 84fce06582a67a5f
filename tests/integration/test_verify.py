#!/usr/bin/env python3
"""linlictl verify: every log's signatures and chain, and the stored records
and statistics against a replay of the logs.  It passes on a healthy node
and hub, and names the first bad place when a record or a log entry was
changed on disk behind the daemon's back.  Values are sealed on disk: a
changed byte fails its authentication check and is named as damage (never
read as "not found"); an older sealed copy of a record put back (valid,
but stale) is found by the replay."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
import demo_data  # noqa: E402


def dump(state, db):
    """The (key, value) pairs of one LMDB database, as bytes."""
    out = subprocess.run(["mdb_dump", "-s", db, state], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    body = out[out.index("HEADER=END") + 1:out.index("DATA=END")]
    return [(bytes.fromhex(body[i].strip()), bytes.fromhex(body[i + 1].strip()))
            for i in range(0, len(body), 2)]


def load(state, db, key, value):
    """Overwrites one entry, as a disk that changed under the daemon would."""
    text = ("VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n"
            f" {key.hex()}\n {value.hex()}\nDATA=END\n")
    subprocess.run(["mdb_load", "-s", db, state], input=text, text=True, check=True)


def verify(daemon):
    return daemon.ctl("verify", check=False)


def flip(value):
    """One bit changed in the middle of a sealed value (its ciphertext)."""
    i = len(value) // 2
    return value[:i] + bytes([value[i] ^ 1]) + value[i + 1:]


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        c.start()
        for n in c.nodes:
            data = os.path.join(c.dir, "data", n.owner)
            demo_data.community(data, n.owner, n.name, pilot=False)
            for f in demo_data.FILES:
                n.ctl("import", os.path.join(data, f))
        z = c.node("Zenglin")
        # An authentic sealed value of h00001 as it was before the change.
        stale = next((k, v) for k, v in dump(z.state, "rec") if k.endswith(b"h00001"))
        for n in c.nodes:
            n.ctl("household", "set", "h00001", "rented=yes")
            n.ctl("event", "remove", "e001")
        c.wait_converged()
        for d in [c.hub] + c.nodes:
            p = verify(d)
            assert p.returncode == 0, f"{d.name}: {p.stderr}"
            assert "records:" in p.stdout and "change_sets:" in p.stdout, p.stdout
        records = int(c.hub.ctl("verify", json_out=True)["records"])
        assert records > 100, records
        print(f"ok - verify passes at the hub ({records} records) and at each node")

        # A household changed on Zenglin's disk behind the daemon's back.
        z.stop()
        key, value = next((k, v) for k, v in dump(z.state, "rec") if k.endswith(b"h00002"))
        assert b"1380" not in value, "a phone number stored in clear"
        load(z.state, "rec", key, flip(value))
        z.start()
        p = verify(z)
        assert p.returncode == 1, p
        assert "household h00002 of 350582006006: the stored record fails its authentication " \
            "check" in p.stderr, p.stderr
        p = z.ctl("household", "show", "h00002", check=False)
        assert p.returncode == 1 and "fails its authentication check" in p.stderr, p
        print("ok - a record changed on disk fails its authentication check: verify names "
              "it, show says so (not 'no household')")
        z.stop()
        load(z.state, "rec", key, value)

        # An older, authentic sealed copy of a record put back in its place.
        current = next(v for k, v in dump(z.state, "rec") if k == stale[0])
        assert current != stale[1]
        load(z.state, "rec", *stale)
        z.start()
        p = verify(z)
        assert p.returncode == 1, p
        assert "household h00001 of 350582006006: the stored record is not what the log says" \
            in p.stderr, p.stderr
        print("ok - an older copy of a record put back is found and named")
        z.stop()
        load(z.state, "rec", stale[0], current)
        z.start()
        assert verify(z).returncode == 0, verify(z).stderr

        # A change set changed on the hub's disk.
        c.hub.stop()
        key, value = next((k, v) for k, v in dump(c.hub.state, "log")
                          if k.startswith(z.owner.encode()))
        load(c.hub.state, "log", key, flip(value))
        c.hub.start()
        p = verify(c.hub)
        assert p.returncode == 1, p
        assert "350582006006 public log: change set 1 fails its authentication check" \
            in p.stderr, p.stderr
        print("ok - a change set changed on disk is found: it fails its authentication check")
        # Put both back so the cluster stops cleanly with consistent stores.
        c.hub.stop()
        load(c.hub.state, "log", key, value)
        c.hub.start()
        assert verify(c.hub).returncode == 0

        # After a crash the end of every log is checked before serving: a
        # damaged last change set keeps the daemon from starting.
        z.kill()
        key, value = [(k, v) for k, v in dump(z.state, "log")
                      if k.startswith(z.owner.encode())][-1]
        load(z.state, "log", key, flip(value))
        z.start(wait=False)
        assert z.proc.wait(20) == 1, "started on a damaged log after a crash"
        assert "database check failed" in z.log_text() and "fails its authentication check" \
            in z.log_text(), z.log_tail()
        load(z.state, "log", key, value)
        z.start()
        assert "database check: the last" in z.log_text()
        print("ok - after a crash a damaged last change set stops the start; whole, it starts")


if __name__ == "__main__":
    main()
