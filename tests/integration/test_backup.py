#!/usr/bin/env python3
"""linlictl backup FILE under writes: a checked, compacted copy of the
running database, written beside FILE and named only once checked, never
over an existing file.  Restored into an empty state directory it verifies
and replication goes on: a hub restored from its backup gets what the
nodes wrote since from them; a node restored from a backup older than what
the hub holds of its log refuses writes (fencing) and still takes the
other communities' records, as README "Backups" says."""

import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
from writer import Writer, stop_all  # noqa: E402


def own(digests, owner):
    return {k: v for k, v in digests.items() if k.startswith(owner + "/")}


def backup(daemon, path):
    """Runs linlictl backup; returns its JSON answer."""
    out = daemon.ctl("backup", path, json_out=True)
    assert out["backup"] == path and out["checked"].endswith(": ok"), out
    assert daemon.data_key in out["keep_apart"] and daemon.key in out["keep_too"], out
    assert os.path.getsize(path) == int(out["bytes"]) > 0, out
    assert os.stat(path).st_mode & 0o777 == 0o600, oct(os.stat(path).st_mode)
    assert not [f for f in os.listdir(os.path.dirname(path))
                if ".part" in f or f.endswith(".tmp")]
    return out


def restore_into(daemon, path):
    """Stops daemon, puts its state aside and starts it on path alone."""
    daemon.stop()
    shutil.move(daemon.state, daemon.state + ".before")
    os.mkdir(daemon.state, 0o700)
    shutil.copy(path, os.path.join(daemon.state, "data.mdb"))
    daemon.start()


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        c.start()
        z, lk, hub = c.node("Zenglin"), c.node("Linkou"), c.hub
        backups = os.path.join(c.dir, "backups")
        os.mkdir(backups, 0o700)
        for d in (z, lk, hub):
            d.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        csv = os.path.join(c.dir, "households.csv")
        with open(csv, "w") as f:
            f.write("id,grid,size,phone\n")
            for i in range(3000):
                f.write(f"h{i:05d},g1,3,1380000{i:04d}\n")
        z.ctl("import", csv)
        writers = [Writer(d, "w", kinds=("household", "service"), pace=0.02)
                   for d in (z, lk, hub)]
        for w in writers:
            w.start()
        try:
            cluster.wait_until("writes under way", lambda: all(w.n > 10 for w in writers), 30)
            hub_before = int(hub.status()["log_personal"])
            hb = backup(hub, os.path.join(backups, "hub.mdb"))
            zb = backup(z, os.path.join(backups, "zenglin.mdb"))
            print(f"ok - backups under writes at the hub and a node, checked: hub "
                  f"{hb['checked']}, {hb['bytes']} bytes in {hb['seconds']} s")
            cluster.wait_until("writes after the backups",
                               lambda: all(w.n > 30 for w in writers), 30)
        finally:
            stop_all(writers)

        p = z.ctl("backup", os.path.join(backups, "zenglin.mdb"), check=False)
        assert p.returncode == 1 and "exists; a backup never replaces a file" in p.stderr, \
            p.stderr
        p = z.ctl("backup", os.path.join(c.dir, "nodir", "x.mdb"), check=False)
        assert p.returncode == 1 and "nodir" in p.stderr, p.stderr
        p = cluster.run_tool([z.linlictl, "-s", z.sock, "backup", "rel.mdb"], cwd=backups,
                             capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and os.path.exists(os.path.join(backups, "rel.mdb")), p.stderr
        print("ok - a backup never replaces a file, needs its directory, takes a relative "
              "path")

        # The hub's disk is lost: its backup goes into an empty state
        # directory; the nodes send it what they wrote since.
        c.wait_converged(timeout=60)
        zenglin_logs = own(z.digests(), z.owner)
        restore_into(hub, os.path.join(backups, "hub.mdb"))
        hub.ctl("verify")
        assert int(hub.status()["log_personal"]) >= hub_before
        c.wait_converged(timeout=60)
        assert own(hub.digests(), z.owner) == zenglin_logs
        hub.ctl("verify")
        lk.ctl("service", "add", "after-hub", "name=食堂", "category=elderly")
        hub.ctl("household", "add", "after-hub", "grid=g1", "size=2")
        c.wait_converged(timeout=30)
        print("ok - the hub restored from its backup verifies, takes back what the nodes "
              "wrote since, and replication goes on")

        # A node's backup is older than what the hub holds of its log.
        restore_into(z, os.path.join(backups, "zenglin.mdb"))
        z.ctl("verify")
        st = cluster.wait_until("the restored node learns the hub holds more",
                                lambda: (s := z.status())["writes"] == "refused" and
                                "problem" in s and s, 15)
        assert "the hub holds more of this community's log" in st["problem"], st
        p = z.ctl("household", "add", "after-node", "grid=g1", "size=1", check=False)
        assert p.returncode == 1 and "linlictl restore" in p.stderr, p.stderr
        lk.ctl("service", "add", "after-node", "name=食堂", "category=elderly")
        cluster.wait_until("Linkou's new record reaches the restored node",
                           lambda: z.ctl("service", "show", "after-node", "--owner", lk.owner,
                                         check=False).returncode == 0, 30)
        print(f"ok - a node restored from an older backup verifies, refuses writes "
              f"(\"{st['problem']}\") and still takes the other communities' records")

        # What README says then: a node's logs come back from the hub.
        z.stop()
        shutil.rmtree(z.state)
        os.mkdir(z.state, 0o700)
        z.start()
        z.ctl("restore")
        assert own(z.digests(), z.owner) == own(hub.digests(), z.owner)
        z.ctl("household", "add", "after-restore", "grid=g1", "size=1")
        c.wait_converged(timeout=30)
        print("ok - then linlictl restore on an empty state directory takes its logs back "
              "from the hub, and writes go on")


if __name__ == "__main__":
    main()
