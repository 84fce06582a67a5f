#!/usr/bin/env python3
"""A failed fsync: fdatasync answers EIO (strace fault injection).  The
commit is not acknowledged, the daemon exits non-zero for the service
manager to restart it, and the restarted daemon checks its database before
it serves.  Both at a node and at the hub; no acknowledged record is lost."""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

STRACE = shutil.which("strace")


def eio_after(n):
    """Runs linlid with every fdatasync from the n-th on failing with EIO."""
    return [STRACE, "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync",
            "-e", f"inject=fdatasync:error=EIO:when={n}+"]


def ids(daemon, owner):
    rows = daemon.ctl("household", "list", "--owner", owner, json_out=True) or []
    return {r["id"] for r in rows}


def add(node, rid):
    p = node.ctl("household", "add", rid, "grid=g1", "size=2", check=False, timeout=20)
    return p.returncode == 0, p.stderr.strip()


def main():
    if STRACE is None:
        print("SKIP: strace is not installed")
        sys.exit(77)
    probe = subprocess.run(eio_after(1)[:-2] + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"SKIP: strace cannot trace here: {probe.stderr.strip()[:200]}")
        sys.exit(77)
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        c.start()
        z = c.node("Zenglin")
        z.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        c.wait_converged(timeout=20)

        # At a node: the start's own commit and three writes succeed, the next fails.
        z.stop()
        z.start(wrap=eio_after(5))
        acked, failed = [], None
        for i in range(20):
            ok, err = add(z, f"n{i:03d}")
            if not ok:
                failed = (f"n{i:03d}", err)
                break
            acked.append(f"n{i:03d}")
        assert failed is not None, "no write failed under EIO"
        z.proc.wait(10)
        code = z.proc.returncode
        assert code not in (0, None), "the node did not exit after EIO"
        assert "exiting so the service manager restarts" in z.log_text()
        z.start()
        log = z.log_text()
        assert "did not stop cleanly: checking the database" in log, z.log_tail()
        assert "database check:" in log and "agree" in log, z.log_tail()
        have = ids(z, z.owner)
        assert set(acked) <= have, f"acknowledged and lost: {set(acked) - have}"
        assert failed[0] not in have, "a write whose commit failed is in the database"
        print(f"ok - node: EIO on fdatasync after {len(acked)} writes: write refused "
              f"(\"{failed[1][:60]}\"), exit {code}, "
              "checked on restart, nothing acknowledged lost")

        # At the hub: it fails a batch commit while a node sends.
        c.hub.stop()
        c.hub.start(wrap=eio_after(3))
        for i in range(40):
            assert add(z, f"h{i:03d}")[0]
        cluster.wait_until("hub exits after EIO", lambda: c.hub.proc.poll() is not None, 20)
        code = c.hub.proc.returncode
        assert code != 0
        c.hub.start()
        assert "did not stop cleanly" in c.hub.log_text()
        c.wait_converged(timeout=30)
        at_hub, at_node = ids(c.hub, z.owner), ids(z, z.owner)
        assert at_hub == at_node, f"hub and node differ by {len(at_hub ^ at_node)}"
        c.hub.ctl("verify")
        print(f"ok - hub: EIO on fdatasync during a batch: exit {code}, "
              f"checked on restart, all {len(at_node)} records arrived again")


if __name__ == "__main__":
    main()
