#!/usr/bin/env python3
"""One community's identity on two servers (a cloned VM, a VM snapshot
restored while the original runs): the hub keeps the first history; the
copy whose log diverged learns it at the next acknowledgement, stops taking
writes and says so in status and its log; the hub counts the divergence and
names both connections; the diverged copy lists what the hub never took, so
it can be entered again."""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

ANOTHER = "another server is writing as"


def clone(c, node, tag):
    """A second Daemon with a copy of node's state, keys and config."""
    copy = cluster.Daemon(c, node.owner, f"{node.name}-{tag}", "node")
    copy.dir = os.path.join(c.dir, f"{node.owner}-{tag}")
    shutil.copytree(node.dir, copy.dir, ignore=shutil.ignore_patterns("*.sock", "*.log"))
    copy.state = os.path.join(copy.dir, "state")
    copy.key = os.path.join(copy.dir, "key")
    copy.data_key = os.path.join(copy.dir, "data_key")
    copy.sock = os.path.join(copy.dir, "control.sock")
    copy.conf = os.path.join(copy.dir, "linlid.conf")
    copy.logfile = os.path.join(copy.dir, "linlid.log")
    copy.pub = node.pub
    copy.name = node.name  # the config says the same community
    copy.write_config()
    return copy


def diverged(d):
    st = d.status()
    return st.get("writes") == "refused" and ANOTHER in st.get("problem", "") and st


def household(d, hid):
    return d.ctl("household", "add", hid, "grid=g1", "size=2", "head_name=陈", check=False)


def ids_at_hub(c, owner, kind="household"):
    return {r["id"] for r in c.hub.ctl(kind, "list", "--owner", owner, json_out=True) or []}


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        c.start()
        z, lk = c.node("Zenglin"), c.node("Linkou")
        z.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        assert household(z, "h-before").returncode == 0
        c.wait_converged(timeout=30)

        # --- 1. A clone started beside the original, both write at once.
        z.stop()
        copy = clone(c, z, "clone")
        z.start()
        copy.start()
        assert household(z, "h-original").returncode == 0
        assert household(copy, "h-copy").returncode == 0
        loser = cluster.wait_until("one of the two copies learns it diverged",
                                   lambda: next((d for d in (z, copy) if diverged(d)), None),
                                   15)
        winner = copy if loser is z else z
        st = loser.status()
        assert z.owner in st["problem"] and "stop one of them" in st["problem"], st
        assert ANOTHER in loser.log_text() and "stop one of them" in loser.log_text()
        p = household(loser, "h-after")
        assert p.returncode == 1 and ANOTHER in p.stderr, p.stderr
        assert winner.status()["writes"] == "accepted", winner.status()
        print(f"ok - the copy whose log diverged refuses writes: problem=\"{st['problem']}\"")

        # The hub keeps the first history, counts the divergence, names both links.
        mine = "h-copy" if loser is copy else "h-original"
        theirs = "h-original" if loser is copy else "h-copy"
        cluster.wait_until("the hub has the first history",
                           lambda: theirs in ids_at_hub(c, z.owner), 10)
        assert mine not in ids_at_hub(c, z.owner)
        hst = c.hub.status()
        assert int(hst["divergences"]) >= 1, hst
        hlog = c.hub.log_text()
        assert f"two links authenticated as {z.owner} at once" in hlog, hlog[-2000:]
        assert "diverged" in hlog and z.owner in hlog
        print("ok - the hub keeps the first history, counts the divergence "
              f"({hst['divergences']}) and names both links")

        # What the diverged copy holds and the hub does not: listed, to enter again.
        rows = loser.ctl("diverged", json_out=True)
        assert any(r["id"] == mine and r["op"] == "put" for r in rows), rows
        assert not any(r["id"] in ("h-before", theirs) for r in rows), rows
        text = loser.ctl("diverged").stdout
        assert mine in text and "household add" in text, text
        print(f"ok - linlictl diverged lists the {len(rows)} records the hub never took")

        # It stays diverged across a restart; the other copy carries on.
        loser.stop()
        loser.start()
        assert diverged(loser), loser.status()
        assert household(winner, "h-later").returncode == 0
        cluster.wait_until("the winner's next write reaches the hub",
                           lambda: "h-later" in ids_at_hub(c, z.owner), 10)
        # The operator stops the diverged copy and enters its records again.
        loser.stop()
        assert household(winner, mine).returncode == 0
        cluster.wait_until("re-entered", lambda: mine in ids_at_hub(c, z.owner), 10)
        print("ok - the diverged copy stays stopped across a restart; its record entered "
              "again at the other reaches the hub")
        if winner is not z:
            z, winner = winner, z  # the one that runs on
        shutil.rmtree(loser.dir)

        # --- 2. An older copy (a VM snapshot) writes while the hub is away.
        z.stop()
        old = clone(c, z, "snapshot")
        z.start()
        assert household(z, "h-newer").returncode == 0
        assert household(z, "h-newer2").returncode == 0  # the hub goes past the copy's head
        c.wait_converged(timeout=30)
        z.stop()
        c.hub.stop()
        old.start()
        assert household(old, "h-offline").returncode == 0  # it cannot know yet
        c.hub.start()
        st = cluster.wait_until("the old copy learns it diverged", lambda: diverged(old), 15)
        assert "h-offline" not in ids_at_hub(c, z.owner)
        assert "h-newer" in ids_at_hub(c, z.owner)
        # The copy asks the hub where the two histories part (PROBE).
        rows = cluster.wait_until(
            "the old copy lists only what the hub never took",
            lambda: (r := old.ctl("diverged", json_out=True)) and
            [x["id"] for x in r] == ["h-offline"] and r, 10)
        print(f"ok - an older copy that wrote while the hub was away learns it at the "
              f"hub's answer: problem=\"{st['problem']}\"")
        old.stop()
        z.start()
        assert household(z, "h-last").returncode == 0
        cluster.wait_until("the original goes on", lambda: "h-last" in ids_at_hub(c, z.owner),
                           10)
        time.sleep(0.5)
        assert z.status()["writes"] == "accepted"
        print("ok - the original goes on")


if __name__ == "__main__":
    main()
