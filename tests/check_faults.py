#!/usr/bin/env python3
"""`make check-faults`: the long form of the fault suite, for soak runs.

    make check-faults [KILLS=200] [SEED=n]

A hub and ten communities under continuous writes; KILLS SIGKILLs of the
hub or a node at random moments, each followed by the checks in
tests/kills.py.  Prints the figures and ends with "N passed, N failed".
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
import kills  # noqa: E402


def soak_kills(n, seed):
    t0 = time.monotonic()
    with cluster.Cluster() as c:
        writers = kills.setup(c)
        try:
            f = kills.run(c, writers, n, seed, check_every=5)
        finally:
            kills.stop(writers)
        for d in [c.hub] + c.nodes:
            d.ctl("verify")
    f["seconds"] = time.monotonic() - t0
    print(f"kills                      {f['kills']} (hub {f['hub_kills']}, nodes "
          f"{f['node_kills']}), seed {seed}")
    print(f"acknowledged writes        {f['acked']} (+{f['maybe']} unanswered when killed)")
    print(f"lost                       {f['lost']}")
    print(f"applied twice              {f['duplicated']}")
    print(f"records nobody wrote       {f['unexpected']}")
    print(f"replicas agree after       max {f['converge_max_s']:.2f} s, mean "
          f"{f['converge_sum_s'] / max(f['kills'], 1):.2f} s (limit {kills.CONVERGE_S:.0f} s)")
    print(f"verify at every replica    ok")
    print(f"run time                   {f['seconds']:.0f} s")


def main():
    n = int(os.environ.get("KILLS", "200"))
    seed = int(os.environ.get("SEED", str(int(time.time()))))
    passed = failed = 0
    for name, fn in [("kills", lambda: soak_kills(n, seed))]:
        print(f"=== {name}")
        try:
            fn()
            passed += 1
            print(f"--- ok   {name}")
        except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print(f"--- FAIL {name}: {e}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
