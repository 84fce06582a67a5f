"""SIGKILL of the hub and of nodes at random moments under continuous writes
from every community, with the checks that follow each kill.

Used by tests/integration/test_kills.py (a few kills, in `make check`) and
tests/check_faults.py (`make check-faults`, hundreds).  After every kill
the killed process is started again, the writers pause, and every replica
must agree with its owner (digests of each owner's records at the owner,
at the hub and, for public records, at every other node) within
CONVERGE_S; no acknowledged record may be missing anywhere, no record may
exist that nobody wrote, and the hub's log of each owner must hold exactly
as many change sets as the owner's (none applied twice).
"""

import random
import time

import cluster
from writer import Writer, stop_all, written  # noqa: F401 (stop_all: for the callers)

CONVERGE_S = 10.0


def agreement(c):
    """None if every replica agrees with its owner, else what differs."""
    seen = {d.owner: d.digests() for d in [c.hub] + c.nodes}
    for n in c.nodes:
        mine = seen[n.owner]
        for stream in ("public", "personal"):
            key = f"{n.owner}/{stream}"
            if key not in mine:
                continue
            if seen[c.hub.owner].get(key) != mine[key]:
                return f"hub {key}: {seen[c.hub.owner].get(key)} != {mine[key]}"
            if stream == "public":
                for other in c.nodes:
                    if other is not n and seen[other.owner].get(key) != mine[key]:
                        return f"{other.name} {key}: {seen[other.owner].get(key)} != {mine[key]}"
    return None


def wait_agreement(c, timeout=CONVERGE_S):
    """Seconds until the replicas agree; raises after timeout."""
    t0 = time.monotonic()
    cluster.wait_until("replicas agree with their owners", lambda: agreement(c) is None,
                       timeout, step=0.1)
    return time.monotonic() - t0


def check_records(c, writers):
    """(lost, unexpected, duplicated) over every writer: acknowledged ids
    missing at the owner or the hub, ids nobody wrote, and change sets the
    hub holds beyond the owner's log."""
    lost = unexpected = duplicated = 0
    hub_stats = c.hub.stats()
    for w in writers:
        o = w.node.owner
        at_node, at_hub = written(w.node, o, "k"), written(c.hub, o, "k")
        lost += len(w.acked - at_node) + len(w.acked - at_hub)
        unexpected += len(at_node - w.acked - w.maybe)
        st = w.node.status()
        row = hub_stats[o]
        duplicated += abs(row["seq_personal"] - int(st["log_personal"]))
        duplicated += abs(row["seq_public"] - int(st["log_public"]))
    return lost, unexpected, duplicated


def setup(c):
    c.start()
    for n in c.nodes:
        n.ctl("grid", "add", "g1", "name=一级网格", "level=1")
    writers = [Writer(n, "k", paused=True) for n in c.nodes]
    for w in writers:
        w.start()
    return writers


def run(c, writers, kills, seed, log=print, check_every=1):
    """kills rounds: write for a random while, SIGKILL the hub (one time in
    four) or a random node, start it again, pause the writers and check.
    Returns the figures of the run."""
    rng = random.Random(seed)
    figures = {"kills": 0, "hub_kills": 0, "node_kills": 0, "converge_max_s": 0.0,
               "converge_sum_s": 0.0, "lost": 0, "unexpected": 0, "duplicated": 0}
    for i in range(kills):
        for w in writers:
            w.resume()
        time.sleep(rng.uniform(0.2, 1.2))
        victim = c.hub if rng.random() < 0.25 else rng.choice(c.nodes)
        victim.kill()
        time.sleep(rng.uniform(0.0, 0.3))
        victim.start()
        restarted = time.monotonic()
        for w in writers:
            w.pause()
        wait_agreement(c)
        took = time.monotonic() - restarted
        figures["kills"] += 1
        figures["hub_kills" if victim is c.hub else "node_kills"] += 1
        figures["converge_max_s"] = max(figures["converge_max_s"], took)
        figures["converge_sum_s"] += took
        if (i + 1) % check_every == 0 or i + 1 == kills:
            lost, unexpected, duplicated = check_records(c, writers)
            figures["lost"] += lost
            figures["unexpected"] += unexpected
            figures["duplicated"] += duplicated
            assert (lost, unexpected, duplicated) == (0, 0, 0), \
                f"kill {i + 1} ({victim.name}): lost {lost}, unexpected {unexpected}, " \
                f"duplicated {duplicated}"
        log(f"# kill {i + 1}/{kills}: {victim.name}, replicas agree {took:.2f} s after the "
            f"restart; {sum(len(w.acked) for w in writers)} acknowledged so far")
    figures["acked"] = sum(len(w.acked) for w in writers)
    figures["maybe"] = sum(len(w.maybe) for w in writers)
    return figures
