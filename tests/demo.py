#!/usr/bin/env python3
"""make demo: the subdistrict hub and the ten Lingyuan communities on this
machine, each a real linlid with its own key and database, loaded with demo
records through linlictl; prints the subdistrict's statistics and stops.

LINLI_KEEP=1 keeps the temporary directory (keys, configs, logs, databases).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
import demo_data  # noqa: E402


def main():
    t0 = time.monotonic()
    with cluster.Cluster() as c:
        print(f"linli demo in {c.dir}")
        print(f"  hub {c.hub.owner} {c.hub.name} listening on {c.endpoint}")
        c.start()
        for n in c.nodes:
            print(f"  node {n.owner} {n.name} started (pid {n.proc.pid})")

        total = 0
        for n in c.nodes:
            data = os.path.join(c.dir, "data", n.owner)
            demo_data.community(data, n.owner, n.name, pilot=(n.name == "Zenglin"))
            for f in demo_data.FILES:
                p = n.ctl("import", os.path.join(data, f), json_out=True)
                total += p["imported"]
        print(f"loaded {total} records through linlictl import")

        # The story of the issue: an operator at Zenglin adds one service.
        z = c.node("Zenglin")
        z.ctl("service", "add", "s900", "name=长者助餐点", "category=elderly",
              "provider=曾林社区", "place=邻里中心B幢", "hours=11:00-13:00", "walk_minutes=5",
              "status=open")
        print("Zenglin added service s900 (elderly care) with linlictl")

        c.wait_converged(timeout=120)
        print(f"hub has every community's records ({time.monotonic() - t0:.1f} s)\n")
        sys.stdout.flush()
        os.system(f"'{cluster.LINLICTL}' -s '{c.hub.sock}' stats")
        print("\nLinkou's node lists Zenglin's new service, verified by Zenglin's signature:")
        sys.stdout.flush()
        os.system(f"'{cluster.LINLICTL}' -s '{c.node('Linkou').sock}' service show s900 "
                  f"--owner {z.owner}")
    print("\nstopped the hub and the ten nodes")


if __name__ == "__main__":
    main()
