#!/usr/bin/env python3
"""The short form of the kill test (the long one is `make check-faults`): a
hub and ten communities under continuous writes; the hub and nodes are
SIGKILLed at random moments; after each kill no acknowledged record is
lost or applied twice and every replica agrees with its owner within 10 s."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
import kills  # noqa: E402

KILLS = 6


def main():
    seed = int(os.environ.get("LINLI_SEED", os.getpid()))
    with cluster.Cluster() as c:
        writers = kills.setup(c)
        try:
            f = kills.run(c, writers, KILLS, seed)
        finally:
            kills.stop_all(writers)
        c.hub.ctl("verify")
        print(f"ok - {f['kills']} kills (hub {f['hub_kills']}, nodes {f['node_kills']}, seed "
              f"{seed}): {f['acked']} acknowledged writes, lost {f['lost']}, applied twice "
              f"{f['duplicated']}, replicas agreed within {f['converge_max_s']:.2f} s")


if __name__ == "__main__":
    main()
