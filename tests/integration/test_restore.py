#!/usr/bin/env python3
"""A node's disk is lost: `linlictl restore` on an empty database with only
its key takes the community's logs back from the hub, verified, before any
write, and its sequence continues.  An old copy of the lost disk that comes
back later is fenced: the hub refuses its change sets and says why, and the
copy refuses writes."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

INJECT = os.path.join(cluster.BUILD, "tests", "linli-inject")


def own(digests, owner):
    return {k: v for k, v in digests.items() if k.startswith(owner + "/")}


def write_some(node, prefix, n):
    node.ctl("grid", "add", f"{prefix}g", "name=一级网格", "level=1")
    for i in range(n):
        node.ctl("household", "add", f"{prefix}{i:03d}", f"grid={prefix}g", "size=3",
                 f"phone=1380000{i:04d}", "head_name=陈")
        node.ctl("service", "add", f"{prefix}s{i:03d}", "name=长者食堂", "category=elderly")


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        c.start()
        z, other = c.node("Zenglin"), c.node("Linkou")
        write_some(z, "a", 20)
        write_some(other, "b", 5)
        c.wait_converged(timeout=30)
        before = own(z.digests(), z.owner)
        assert before and all(v[1] > 0 for v in before.values()), before
        heads = {k: v[0] for k, v in before.items()}

        # The disk is lost: keep the old state aside for later, start empty.
        z.stop()
        old_state = z.state + ".old"
        shutil.move(z.state, old_state)
        z.start()
        st = cluster.wait_until("fresh node sees the hub holds its log",
                                lambda: (s := z.status())["writes"] == "refused" and
                                "problem" in s and s, 10)
        assert "restore" in st["problem"], st
        p = z.ctl("household", "add", "x001", "grid=ag", "size=1", check=False)
        assert p.returncode == 1 and "restore" in p.stderr, p.stderr
        print("ok - a new database for a community the hub knows refuses writes: "
              f"\"{st['problem']}\"")

        p = z.ctl("restore")
        assert "restored" in p.stdout, p.stdout
        after = own(z.digests(), z.owner)
        assert after == before, f"restored {after} != before {before}"
        st = z.status()
        assert st["writes"] == "accepted" and st["epoch"] == "1", st
        z.ctl("verify")
        c.wait_converged(timeout=30)
        pub = other.owner + "/public"
        assert z.digests()[pub] == other.digests()[pub], "other community's public log"
        print(f"ok - restore took back {sum(heads.values())} change sets, records equal by "
              f"digest, verified; generation {st['epoch']}")

        z.ctl("household", "add", "c001", "grid=ag", "size=2")
        c.wait_converged(timeout=30)
        now = own(z.digests(), z.owner)
        assert now[z.owner + "/personal"][0] == heads[z.owner + "/personal"] + 1
        assert own(c.hub.digests(), z.owner) == now
        print("ok - after the restore the sequence continues and the hub has the new write")

        # The old disk comes back while the hub is away, and takes a write
        # (it cannot know yet); when the hub returns, it is refused.
        z.stop()
        c.hub.stop()
        shutil.move(z.state, z.state + ".new")
        shutil.move(old_state, z.state)
        z.start()
        z.ctl("household", "add", "old001", "grid=ag", "size=2")
        c.hub.start()
        cluster.wait_until("old copy fenced", lambda: "generation" in
                           z.status().get("problem", ""), 15)
        # The copy stops by itself; one that would not (a change set of the
        # old generation sent anyway) is refused by the hub.
        out = subprocess.run([INJECT, c.endpoint, c.hub.pub, z.key, z.owner, "ok", "1"],
                             capture_output=True, text=True, timeout=20).stdout
        assert "ERR" in out and "old copy of its database" in out, out
        assert int(c.hub.status()["refused_fenced"]) == 1
        p = z.ctl("household", "add", "old002", "grid=ag", "size=1", check=False)
        assert p.returncode == 1 and "restore" in p.stderr, p.stderr
        assert own(c.hub.digests(), z.owner) == now, "the old copy changed the hub"
        hub_ids = {r["id"] for r in c.hub.ctl("household", "list", "--owner", z.owner,
                                              json_out=True)}
        assert "old001" not in hub_ids and "c001" in hub_ids
        print("ok - an old copy of the disk is fenced: the hub refuses its change set "
              "(refused_fenced), the copy refuses writes and says why")

        # The restored disk returns and everything agrees again.
        z.stop()
        shutil.rmtree(z.state)
        shutil.move(z.state + ".new", z.state)
        z.start()
        c.wait_converged(timeout=30)
        assert own(z.digests(), z.owner) == own(c.hub.digests(), z.owner) == now
        assert z.status()["writes"] == "accepted"
        print("ok - the restored database back in place: replicas agree")


if __name__ == "__main__":
    main()
