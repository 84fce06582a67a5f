#!/usr/bin/env python3
"""Kills and outages lose no acknowledged record and apply none twice:
the hub SIGKILLed during a stream of writes, a node SIGKILLed and restarted,
and a node working alone while the hub is down."""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
from writer import Writer, written  # noqa: E402


def check(c, writers, what):
    c.wait_converged(timeout=30)
    for w in writers:
        o = w.node.owner
        at_node, at_hub = written(w.node, o, w.prefix), written(c.hub, o, w.prefix)
        lost = w.acked - at_node
        assert not lost, f"{what}: {len(lost)} acknowledged records missing at {w.node.name}"
        extra = at_node - w.acked - w.maybe
        assert not extra, f"{what}: {w.node.name} has records nobody wrote: {sorted(extra)[:5]}"
        assert at_hub == at_node, f"{what}: hub and {w.node.name} differ by " \
                                  f"{len(at_hub ^ at_node)} records"
        st = c.hub.stats()[o]
        everything = len(written(c.hub, o, ""))
        assert st["households"] == everything, f"{what}: hub counts {st['households']} " \
                                               f"households of {w.node.name}, has {everything}"
        node_st = w.node.status()
        assert st["seq_personal"] == int(node_st["log_personal"]), "log lengths differ"
    return sum(len(w.acked) for w in writers)


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin", "Lingshui")]
    with cluster.Cluster(communities) as c:
        c.start()
        for n in c.nodes:
            n.ctl("grid", "add", "g1", "name=一级网格", "level=1")

        # 1. The hub is SIGKILLed twice under writes from every node.
        writers = [Writer(n, "a") for n in c.nodes]
        for w in writers:
            w.start()
        for _ in range(2):
            time.sleep(1.5)
            c.hub.kill()
            time.sleep(0.3)
            c.hub.start()
        time.sleep(1.0)
        for w in writers:
            w.stop()
        n = check(c, writers, "hub killed")
        print(f"ok - hub SIGKILLed twice under writes: all {n} acknowledged records at the hub, "
              "none lost, none twice")

        # 2. A node is SIGKILLed under writes and restarted.
        z = c.node("Zenglin")
        writers = [Writer(n, "b") for n in c.nodes]
        for w in writers:
            w.start()
        time.sleep(1.5)
        z.kill()
        time.sleep(0.5)
        z.start()
        time.sleep(1.5)
        for w in writers:
            w.stop()
        n = check(c, writers, "node killed")
        print(f"ok - node SIGKILLed and restarted: resumes where the hub is ({n} records)")

        # 3. The hub is down: the node keeps taking writes, then catches up.
        c.hub.stop()
        w = Writer(z, "c")
        w.start()
        time.sleep(2.0)
        st = z.status()
        assert st["hub_link"] == "down", st
        w.stop()
        assert len(w.acked) > 0 and not w.maybe, "writes failed while the hub was away"
        assert int(z.status()["unacked"]) > 0
        c.hub.start()
        check(c, [w], "hub back")
        print(f"ok - with the hub stopped a node took {len(w.acked)} writes; after the hub "
              "returned it caught up")

        # 4. The hub's disk is lost: a fresh hub gets everything again from the
        #    running nodes, verified, without anyone doing anything.
        for i in range(30):
            c.hub.ctl("service", "add", f"sd{i:03d}", "name=党群服务中心", "category=party_mass")
        c.wait_converged(timeout=30)
        before = {n.owner: n.stats()[n.owner] for n in c.nodes}
        own_before = c.hub.digests()[c.hub.owner + "/public"]
        c.hub.stop()
        shutil.rmtree(c.hub.state)
        c.hub.start()
        c.wait_converged(timeout=30)
        after = c.hub.stats()
        for n in c.nodes:
            assert written(c.hub, n.owner, "") == written(n, n.owner, ""), f"{n.name} differs"
            for k in ("households", "grids_l1", "seq_personal"):
                assert after[n.owner][k] == before[n.owner][k], \
                    f"{n.name} {k}: {after[n.owner][k]} != {before[n.owner][k]}"
        assert "sending it again" in z.log_text()
        cluster.wait_until("hub takes its own log back",
                           lambda: c.hub.status()["writes"] == "accepted", 15)
        assert c.hub.digests()[c.hub.owner + "/public"] == own_before
        c.hub.ctl("verify")
        c.hub.ctl("service", "add", "sd999", "name=新服务", "category=elderly")
        c.wait_converged(timeout=30)
        print("ok - the hub's database wiped: rebuilt from the nodes with the same statistics, "
              f"its own public log ({own_before[0]} change sets) taken back from them, verified")


if __name__ == "__main__":
    main()
