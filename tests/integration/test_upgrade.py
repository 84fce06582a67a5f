#!/usr/bin/env python3
"""Rolling upgrades: two releases side by side, in either order.

The next release is a test fixture (make next): linlid and linlictl built
into BUILD/next from this schema with a field `note` added to Event and to
Household.  A deployment that runs both keeps replicating: a node does not
write what its hub cannot take yet (refused at add, set and import, with
the reason), the hub holds for an older node the change sets it cannot
read (a status line at both ends, logged once, no busy loop), every other
log keeps flowing, and once every server runs the next release everything
arrives and all replicas converge.

(A) the hub old, a node new: the node refuses notes until the hub is
    upgraded, then they flow.
(B) the hub new, a node old: the hub holds for the old node the log that
    holds a note, other logs reach it, also after the hub restarts (when
    the old node, far behind a compacted log, asks for a snapshot it
    cannot read); once upgraded it takes everything.
"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

NEXT = os.path.join(cluster.BUILD, "next")
REFUSED = "the hub runs an older linli: field note is not accepted yet"
NODE_HELD = ("the hub holds change sets this linli cannot read (field 6 of event): "
             "upgrade linli on this server")


def status_pairs(d):
    """Every name=value line of status, in order (problem may come more than once)."""
    out = d.ctl("--json", "status").stdout
    return json.loads(out, object_pairs_hook=list)


def problems(d):
    return [v for k, v in status_pairs(d) if k == "problem"]


def status_value(d, name):
    return dict(status_pairs(d)).get(name)


def hub_held_line(node):
    return re.compile(rf"{node.owner} runs an older linli: (\d+) public change sets? held for "
                      r"it \(field note of event\): upgrade it")


def held_count(c, node):
    for p in problems(c.hub):
        m = hub_held_line(node).fullmatch(p)
        if m:
            return int(m.group(1))
    return None


def event(d, eid):
    """The event as d's linlictl shows it (a dict), or None."""
    p = d.ctl("--json", "event", "show", eid, check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def restart_on(d, bin_dir):
    d.stop()
    d.bin_dir = bin_dir
    d.start()


def cpu_ticks(d):
    with open(f"/proc/{d.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def refused(d, *args):
    p = d.ctl(*args, check=False)
    assert p.returncode != 0, f"{d.name}: {' '.join(args)} was accepted: {p.stdout}"
    assert REFUSED in p.stderr, f"{d.name}: {' '.join(args)}: {p.stderr.strip()}"
    return p.stderr.strip()


def digests_agree(c):
    """Every log a node holds has the hub's seq, records and digest."""
    hub = c.hub.digests()
    for n in c.nodes:
        for log, value in n.digests().items():
            if hub.get(log) != value:
                return False
    return c.converged()


def scenario_hub_old():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        z, lk = c.node("Zenglin"), c.node("Linkou")
        z.bin_dir = NEXT  # the hub and Linkou stay on this release
        c.start()
        before = int(z.status()["log_public"])
        why = refused(z, "event", "add", "e1", "name=义诊", "date=2026-05-01", "note=带身份证")
        print(f"ok - a note at a node whose hub is older is refused: {why}")
        assert status_value(z, "hub_schema") == "older", status_pairs(z)
        lacks = status_value(z, "hub_lacks")
        assert "event.note" in lacks and "household.note" in lacks, lacks
        assert problems(z) == [], problems(z)
        refused(z, "household", "add", "h1", "grid=g1", "size=2", "note=独居")
        csv = os.path.join(c.dir, "events.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("id,name,date,note\ne2,读书会,2026-05-02,二楼\n")
        refused(z, "import", csv)
        assert int(z.status()["log_public"]) == before, "a refused write reached the log"

        z.ctl("event", "add", "e3", "name=读书会", "date=2026-05-03", "participants=12")
        refused(z, "event", "set", "e3", "note=改期")
        c.wait_converged(30)
        assert event(lk, "e3") is not None, "an event without a note did not reach Linkou"
        assert problems(c.hub) == [] and problems(z) == [], (problems(c.hub), problems(z))
        print("ok - add, set and import of a note refused with the reason, nothing written; "
              "an event without one replicates")

        # With the hub away, a restarted node still knows what it takes.
        c.hub.stop()
        restart_on(z, NEXT)
        assert status_value(z, "hub_schema") == "older", status_pairs(z)
        refused(z, "event", "add", "e1", "name=义诊", "date=2026-05-01", "note=带身份证")
        print("ok - the hub away, a restarted node still refuses what it cannot take")

        c.hub.bin_dir = NEXT  # the same state directory, the next release
        c.hub.start()
        cluster.wait_until("Zenglin knows its hub is upgraded",
                           lambda: status_value(z, "hub_schema") == "same", 10)
        z.ctl("event", "add", "e4", "name=义诊", "date=2026-05-04", "note=带身份证")
        z.ctl("event", "set", "e3", "note=改期")
        cluster.wait_until("the hub has the notes", lambda: (event(c.hub, "e4") or {}).get(
            "note") == "带身份证" and (event(c.hub, "e3") or {}).get("note") == "改期", 10)
        print("ok - once the hub runs the next release, notes are accepted and reach it")

        # Linkou is the older one now: held for it, with a line at both ends.
        cluster.wait_until("Linkou says the hub holds change sets for it",
                           lambda: NODE_HELD in problems(lk), 10)
        cluster.wait_until("the hub says it holds them for Linkou",
                           lambda: held_count(c, lk) == 2, 10)
        restart_on(lk, NEXT)
        cluster.wait_until("all converge", lambda: digests_agree(c), 30)
        assert (event(lk, "e4") or {}).get("note") == "带身份证", event(lk, "e4")
        assert problems(lk) == [] and problems(c.hub) == [], (problems(lk), problems(c.hub))
        print("ok - Linkou upgraded: everything reaches it, every replica converges")

        # The hub goes back to the older release while Zenglin's log holds a
        # note it has not sent: refused with the reason, shown in status.
        c.hub.stop()
        z.ctl("event", "add", "e5", "name=义诊", "date=2026-05-05", "note=三楼")
        restart_on(c.hub, None)
        waits = re.compile(r"change set (\d+) of this community's public log sets field note "
                           r"of event, which the hub's linli does not know: it and those after "
                           r"it wait until linli at the hub is upgraded")
        cluster.wait_until("Zenglin says its change set waits", lambda: any(
            waits.fullmatch(p) for p in problems(z)), 10)
        cluster.wait_until("the hub says why it refuses it", lambda: "record has field 6 of "
                           "event, which this version of linli does not know" in
                           c.hub.log_text(), 10)
        refused(z, "event", "add", "e6", "name=义诊", "date=2026-05-06", "note=三楼")
        print(f"ok - the hub downgraded: Zenglin's status: problem={problems(z)[0]}")
        restart_on(c.hub, NEXT)
        cluster.wait_until("all converge", lambda: digests_agree(c), 30)
        assert problems(z) == [], problems(z)
        print("ok - the hub upgraded again: the note that waited reaches it")


def scenario_hub_new():
    communities = [x for x in cluster.COMMUNITIES
                   if x[1] in ("Linkou", "Zenglin", "Zhangqian")]
    with cluster.Cluster(communities) as c:
        z, lk, zq = c.node("Zenglin"), c.node("Linkou"), c.node("Zhangqian")
        c.hub.bin_dir = z.bin_dir = zq.bin_dir = NEXT  # Linkou stays on this release
        z.write_config("checkpoint_every = 4\n")
        c.start()
        cluster.wait_until("Linkou knows its hub is newer",
                           lambda: status_value(lk, "hub_schema") == "newer", 10)
        assert status_value(c.hub, "nodes_older") == "1", status_value(c.hub, "nodes_older")

        z.ctl("event", "add", "z1", "name=义诊", "date=2026-05-01", "note=带身份证")
        z.ctl("event", "add", "z2", "name=读书会", "date=2026-05-02")
        cluster.wait_until("Zhangqian has the note", lambda: (event(zq, "z1") or {}).get(
            "note") == "带身份证", 10)
        cluster.wait_until("Linkou says the hub holds change sets for it",
                           lambda: NODE_HELD in problems(lk), 10)
        cluster.wait_until("the hub holds both of Zenglin's change sets for Linkou",
                           lambda: held_count(c, lk) == 2, 10)
        assert event(lk, "z1") is None and event(lk, "z2") is None
        print(f"ok - held for the older node; its status: problem={NODE_HELD}")
        print(f"ok - the hub's status: problem={problems(c.hub)[0]}")

        # Other logs keep flowing to Linkou.
        zq.ctl("event", "add", "q1", "name=广场舞", "date=2026-05-03")
        c.hub.ctl("event", "add", "h1", "name=街道运动会", "date=2026-05-04")
        cluster.wait_until("Zhangqian's and the hub's events reach Linkou",
                           lambda: event(lk, "q1") and event(lk, "h1"), 10)
        print("ok - the other logs keep reaching the older node")

        # No busy loop: the older node idles, and each end said it once.
        time.sleep(1)
        t0 = cpu_ticks(lk)
        time.sleep(4)
        used = (cpu_ticks(lk) - t0) / os.sysconf("SC_CLK_TCK")
        assert used < 0.4, f"Linkou used {used:.2f} s of CPU in 4 s while held"
        said = [ln for ln in lk.log_text().splitlines() if "cannot read" in ln]
        assert len(said) == 1, said
        hub_said = [ln for ln in c.hub.log_text().splitlines()
                    if f"{lk.owner} runs an older linli" in ln]
        assert len(hub_said) == 1, hub_said
        assert status_value(lk, "relay_behind") == "0"
        print(f"ok - no busy loop ({used:.2f} s CPU in 4 s); logged once at the node: "
              f"{said[0].split(' ', 2)[-1]}")
        print(f"ok - and at the hub: {hub_said[0].split(' ', 2)[-1]}")

        # Zenglin's log is compacted past where Linkou stands; the hub
        # restarts and forgets what it held: Linkou asks for a snapshot it
        # cannot read, is refused once, and is held again, quietly.
        for i in range(3, 10):
            z.ctl("event", "add", f"z{i}", "name=读书会", "date=2026-05-05")
        cluster.wait_until("the hub compacted Zenglin's log", lambda: any(
            r["owner"] == z.owner and r["stream"] == "public" and int(r["checkpoint"]) > 0
            for r in c.hub.ctl("logs", json_out=True)), 20)
        restart_on(c.hub, NEXT)
        cluster.wait_until("Linkou is held again after the hub restarts",
                           lambda: held_count(c, lk) == 9 and NODE_HELD in problems(lk), 20)
        t0 = cpu_ticks(lk)
        time.sleep(3)
        used = (cpu_ticks(lk) - t0) / os.sysconf("SC_CLK_TCK")
        assert used < 0.3, f"Linkou used {used:.2f} s of CPU in 3 s while held"
        assert event(lk, "z1") is None
        print("ok - a snapshot the older node cannot read is held too")

        restart_on(lk, NEXT)
        cluster.wait_until("all converge", lambda: digests_agree(c), 30)
        assert (event(lk, "z1") or {}).get("note") == "带身份证", event(lk, "z1")
        assert problems(lk) == [] and problems(c.hub) == [], (problems(lk), problems(c.hub))
        assert status_value(c.hub, "nodes_older") == "0"
        print("ok - Linkou upgraded: everything reaches it, every replica converges")


def main():
    if not os.path.exists(os.path.join(NEXT, "linlid")):
        print(f"SKIP: {NEXT}/linlid is missing (make next builds it)")
        return 77
    scenario_hub_old()
    scenario_hub_new()
    return 0


if __name__ == "__main__":
    sys.exit(main())
