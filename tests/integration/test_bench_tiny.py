#!/usr/bin/env python3
"""make bench at R = 1000, so the benchmark cannot rot: it must run through
and print every figure of its table.  Times are not judged here."""

import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
p = subprocess.run([sys.executable, os.path.join(here, "..", "bench.py"), "1000"],
                   capture_output=True, text=True, timeout=240)
print(p.stdout)
assert p.returncode == 0, p.stderr
for row in ["end-to-end throughput", "write->hub latency p50", "write->hub latency p99",
            "stats read at the hub", "hub peak RSS", "hub bytes on disk/record",
            "catch-up after an outage", "floor: LMDB", "floor + 1 verify",
            "end-to-end / floor+verify", "nine writing, quiet: write->ack p50",
            "flooded: imports, 8 MiB messages: write->ack p50",
            "flooded: + bad signatures: write->ack p50", "flooded: the nine's write->ack p99",
            "flooded: hub peak RSS", "dashboard overview p50",
            "replication while 50 clients fetch pages"]:
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith(row)), None)
    assert line is not None, f"bench printed no '{row}' row"
    assert re.search(r"\d", line), f"'{row}' has no figure: {line}"
assert "10,000 records in" in p.stdout, "the hub did not count all 10 x 1000 records"
print("ok - bench at R=1000 printed its whole table")
