#!/usr/bin/env python3
"""`make check-faults`: the long form of the fault suite, for soak runs.

    make check-faults [KILLS=200] [SEED=n] [REPEAT=3]

A hub and ten communities under continuous writes; KILLS SIGKILLs of the
hub or a node at random moments, each followed by the checks in
tests/kills.py.  Then every other fault test of `make check` (partitions,
full disks, failed fsyncs, restores, clock skew) REPEAT times over.
Prints the figures and ends with "N passed, N failed".
"""

import os
import subprocess
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
            kills.stop_all(writers)
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


HERE = os.path.dirname(os.path.abspath(__file__))
FAULT_TESTS = ["test_partition", "test_full_disk", "test_eio", "test_restore", "test_clock",
               "test_crash"]


def fault_test(name):
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, os.path.join(HERE, "integration", name + ".py")],
                       capture_output=True, text=True, timeout=600)
    if p.returncode == 77:
        print(p.stdout.strip().splitlines()[-1])
        return
    if p.returncode != 0:
        raise RuntimeError(f"{name} exited {p.returncode}:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    for line in p.stdout.splitlines():
        if line.startswith("ok - "):
            print(line)
    print(f"({time.monotonic() - t0:.0f} s)")


def main():
    n = int(os.environ.get("KILLS", "200"))
    seed = int(os.environ.get("SEED", str(int(time.time()))))
    repeat = int(os.environ.get("REPEAT", "3"))
    passed = failed = 0
    runs = [("kills", lambda: soak_kills(n, seed))]
    for i in range(repeat):
        runs += [(f"{t} #{i + 1}", lambda t=t: fault_test(t)) for t in FAULT_TESTS]
    for name, fn in runs:
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
