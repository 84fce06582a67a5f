#!/usr/bin/env python3
"""A node's clock an hour off (libfaketime): change sets are ordered by
sequence, not time, so nothing is misordered, and status shows the skew."""

import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

# libfaketime preloaded through env, which execs: the PID is linlid's.
LIB = (glob.glob("/usr/lib/*/faketime/libfaketime.so.1") or [None])[0]


def main():
    if LIB is None:
        print("SKIP: libfaketime is not installed")
        sys.exit(77)
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        c.hub.start()
        z, k = c.node("Zenglin"), c.node("Linkou")
        # Only the wall clock is an hour behind; timers run on the real one.
        # (A sanitizer build wants its runtime first; libfaketime does no harm before it.)
        asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                      "verify_asan_link_order=0"]))
        z.start(wrap=["env", f"LD_PRELOAD={LIB}", "FAKETIME=-1h",
                      "FAKETIME_DONT_FAKE_MONOTONIC=1", f"ASAN_OPTIONS={asan}"])
        k.start()
        for n in (z, k):
            n.wait_writable()

        st = cluster.wait_until("skew shown", lambda: (s := z.status())["clock_offset_s"]
                                != "unknown" and s, 10)
        offset = float(st["clock_offset_s"])
        assert -3610 < offset < -3590, st
        assert "clock" in st.get("problem", ""), st
        assert abs(float(k.status()["clock_offset_s"])) < 5
        print(f"ok - status shows the skew: clock_offset_s={st['clock_offset_s']}, "
              f"problem: {st['problem']}")

        # Interleaved writes and many updates of one record from both sides.
        for n in (z, k):
            n.ctl("grid", "add", "g1", "name=一级网格", "level=1")
            n.ctl("household", "add", "hh1", "grid=g1", "size=1")
        for size in range(2, 31):
            for n in (z, k):
                n.ctl("household", "set", "hh1", f"size={size}")
            z.ctl("service", "add", f"s{size:02d}", "name=长者食堂", "category=elderly")
            z.ctl("service", "set", f"s{size:02d}", f"walk_minutes={size}")
        c.wait_converged(timeout=30)
        for n in (z, k):
            row = c.hub.ctl("household", "show", "hh1", "--owner", n.owner, json_out=True)
            assert str(row["size"]) == "30", row
        assert c.hub.digests()[z.owner + "/personal"] == z.digests()[z.owner + "/personal"]
        assert k.digests()[z.owner + "/public"] == z.digests()[z.owner + "/public"]
        svc = k.ctl("service", "show", "s17", "--owner", z.owner, json_out=True)
        assert str(svc["walk_minutes"]) == "17", svc
        print("ok - 29 updates of one record and 58 service writes from the skewed node: the "
              "last write wins everywhere, replicas agree by digest")


if __name__ == "__main__":
    main()
