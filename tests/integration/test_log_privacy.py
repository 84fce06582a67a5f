#!/usr/bin/env python3
"""Residents' data in logs (issue 12, item 5): no log line, at any level, at
any daemon, holds the value of a personal field (households, requests,
grids: names, phones, addresses, request texts).  Messages name the field
and the problem; they quote values only of public fields.

The hub and two communities run at log_level = debug with the demo's
records.  Then, with personal values no log may hold:
  - `linlictl import` of bad household rows (bad phones, an over-long name,
    an address that is not UTF-8, a link that is no id): linlictl names
    FILE:LINE and the column, not the value, and sends nothing;
  - the same records past linlictl's checks (linli-ctlraw: add, import,
    set) at a node's control socket: refused, the reply names the field;
  - change sets of such records, validly signed by a trusted community
    (linli-inject): refused by the hub, which logs why and tells the sender;
  - faults: the hub killed and restarted, a node's disk lost and restored,
    `linlictl verify` everywhere;
and at the end no daemon's log holds any of the demo's personal values nor
any value sent.
"""

import csv
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
import demo_data  # noqa: E402

INJECT = os.path.join(cluster.BUILD, "tests", "linli-inject")
CTLRAW = os.path.join(cluster.BUILD, "tests", "linli-ctlraw")
TESTER = ("350582006011", "Tester")  # trusted, no daemon: linli-inject plays it

# The demo's personal columns: what no log may quote.
PERSONAL = {"grids.csv": ("name", "worker"), "households.csv": ("address", "head_name", "phone"),
            "requests.csv": ("category", "text")}

# Bad personal values, each refused for its own reason (bytes: some are not UTF-8).
BAD_PHONE = "1380abc王秀英".encode()
BAD_PHONE2 = "+86 138-0000 转 陈家豪".encode()
LONG_NAME = ("林淑芬" * 240).encode()                # 2160 bytes: over 2048
BAD_ADDRESS = "灵源路".encode() + b"\xff" + "坏门牌".encode()  # not UTF-8
BAD_LINK = "陈志明的家".encode()                       # linked_to that is no id
BAD_ID = "张三家".encode()                             # a household id that is no id
BAD_PARENT = "网格长郑美玲".encode()                   # a grid parent that is no id
LONG_TEXT = ("巷口路灯坏了" * 120).encode()            # a request text over 2048 bytes
SENT = [BAD_PHONE, BAD_PHONE2, LONG_NAME, BAD_ADDRESS, BAD_LINK, BAD_ID, BAD_PARENT, LONG_TEXT]


def run(cmd, timeout=60):
    p = subprocess.run([os.fsencode(x) if isinstance(x, str) else x for x in cmd],
                       capture_output=True, timeout=timeout * cluster.SLOW)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, f"{cmd[:3]} exited {p.returncode}:\n{out}{p.stderr.decode()}"
    return out


def demo_values(data):
    """Every personal value in the demo's CSV files under data/."""
    values = set()
    for d in os.listdir(data):
        for name, cols in PERSONAL.items():
            with open(os.path.join(data, d, name), encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    values.update(row[c].encode() for c in cols if len(row[c]) >= 2)
    return values


def probes(v):
    """What to look for of value v in a log: itself, its start if it is
    long (a message may cut it), and each UTF-8 run of it (a message may
    replace its bad bytes)."""
    out = {v} | ({v[:24]} if len(v) > 48 else set())
    out |= {part for part in v.split(b"\xff") if len(part) >= 6 and part != v}
    return out


def leaks(c, values):
    """(daemon, value, line) for every log line that holds a value; a long
    value is looked for by its start too (a message may cut it)."""
    found = []
    for d in [c.hub] + c.nodes:
        with open(d.logfile, "rb") as f:
            lines = f.read().splitlines()
        for v in values:
            look = probes(v)
            for ln in lines:
                if any(p in ln for p in look):
                    found.append((d.name, v.decode(errors="replace")[:40],
                                  ln.decode(errors="replace")[:300]))
                    break
    return found


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        key = os.path.join(c.dir, "tester.key")
        pub = c.keygen(key)
        with open(c.trust, "a") as f:
            f.write(f"{TESTER[0]} {pub} {TESTER[1]}\n")
        for d in [c.hub] + c.nodes:
            d.write_config("log_level = debug\n")
        c.start()
        z, lk = c.node("Zenglin"), c.node("Linkou")

        # The demo's records, as `make demo` loads them.
        data = os.path.join(c.dir, "data")
        for n in c.nodes:
            out = os.path.join(data, n.owner)
            demo_data.community(out, n.owner, n.name, pilot=(n.name == "Zenglin"))
            for f in demo_data.FILES:
                n.ctl("import", os.path.join(out, f))
        c.wait_converged()
        demo = demo_values(data)
        assert len(demo) > 500, len(demo)
        print(f"ok - the demo's records imported at two communities: {len(demo)} personal "
              "values")

        # 1. linlictl import of bad rows: FILE:LINE and the column, no value.
        path = os.path.join(c.dir, "households.csv")
        rows = [b"id,grid,address,head_name,phone,size,linked_to",
                b"hb1,g1-1,ok,ok," + BAD_PHONE + b",3,",
                b"hb2,g1-1,ok," + LONG_NAME + b",13800000002,3,",
                b"hb3,g1-1," + BAD_ADDRESS + b",ok,13800000003,3,",
                b"hb4,g1-1,ok,ok,13800000004,3," + BAD_LINK,
                b"hb5,g1-1,ok,ok," + BAD_PHONE2 + b",3,"]
        with open(path, "wb") as f:
            f.write(b"\n".join(rows) + b"\n")
        p = z.ctl("import", path, check=False)
        # Bytes that are not UTF-8: the file is refused as a whole, saying where.
        assert p.returncode == 1 and "this file is not UTF-8 (line 4)" in p.stderr, p.stderr
        stderr = p.stderr
        rows[3] = b"hb3,g1-1,ok,ok,13800000003,3,"
        with open(path, "wb") as f:
            f.write(b"\n".join(rows) + b"\n")
        p = z.ctl("import", path, check=False)
        assert p.returncode == 1 and "nothing imported" in p.stderr, p.stderr
        stderr += p.stderr
        # A problem of several rows is said once, naming each row's line.
        for line, col in ((2, "phone"), (3, "head_name"), (5, "linked_to"), (6, "phone")):
            hit = [ln for ln in p.stderr.splitlines() if ln.startswith(f"{path}:{line}: ") or
                   (ln.startswith(f"{path}:") and f"lines 2, {line})" in ln)]
            assert hit and col in hit[0], f"line {line} ({col}) not named:\n{p.stderr}"
        told = [v for v in SENT if any(x.decode(errors="replace") in stderr
                                       for x in probes(v))]
        # Said at the end, with what the logs hold.
        terminal = [f"  linlictl repeats {v.decode(errors='replace')[:40]!r}" for v in told]
        print("ok - linlictl import of bad household rows: each named FILE:LINE and column, "
              f"nothing sent ({len(told)} values repeated at the terminal)")

        # 2. The same past linlictl, at Zenglin's control socket.
        raw = [("add", "household", b"hr1", b"grid=g1-1", b"size=2", b"phone=" + BAD_PHONE),
               ("import", "household", b"hr2", b"grid=g1-1", b"size=2",
                b"head_name=" + LONG_NAME),
               ("add", "household", b"hr3", b"grid=g1-1", b"size=2",
                b"address=" + BAD_ADDRESS),
               ("add", "household", b"hr4", b"grid=g1-1", b"size=2", b"linked_to=" + BAD_LINK),
               ("add", "household", BAD_ID, b"grid=g1-1", b"size=2"),
               ("import", "household", BAD_ID, b"grid=g1-1", b"size=2"),
               ("add", "grid", b"gr1", b"level=2", b"parent=" + BAD_PARENT),
               ("set", "household", b"h00001", b"phone=" + BAD_PHONE2),
               ("add", "request", b"rr1", b"channel=hotline", b"status=open",
                b"opened_at=2025-11-03", b"text=" + LONG_TEXT)]
        before = int(z.status()["refused_control"])
        for verb, kind, *args in raw:
            out = run([CTLRAW, z.sock, "record", verb, kind, *args])
            assert "REPLY ok=0" in out, f"{verb} {kind} {args[0]!r} accepted:\n{out}"
        refused = int(z.status()["refused_control"]) - before
        assert refused >= len(raw) - 1, f"only {refused} of {len(raw)} refusals counted"
        print(f"ok - {len(raw)} bad personal records past linlictl (add, import, set): "
              f"refused at the node ({refused} counted in refused_control)")

        # 3. Change sets of such records, signed by a trusted community, at the hub.
        cs = [("record", "household", "hi1", "grid=g1", "size=1", b"phone=" + BAD_PHONE),
              ("record", "household", "hi2", "grid=g1", "size=1", b"linked_to=" + BAD_LINK),
              ("record", "household", BAD_ID, "grid=g1", "size=1"),
              ("remove", "household", BAD_ID),
              ("record", "grid", "gi1", "level=2", b"parent=" + BAD_PARENT),
              ("record", "household", "hi3", "grid=g1", "size=1", b"head_name=" + LONG_NAME),
              ("record", "household", "hi4", "grid=g1", "size=1", b"address=" + BAD_ADDRESS),
              ("record", "request", "ri1", "channel=hotline", "status=open",
               "opened_at=2025-11-03", b"text=" + LONG_TEXT)]
        before = int(c.hub.status()["refused_malformed"])
        for args in cs:
            out = run([INJECT, c.endpoint, c.hub.pub, key, TESTER[0], *args])
            assert " ERR change set from " in out, f"{args[:3]} not refused:\n{out}"
        assert int(c.hub.status()["refused_malformed"]) - before == len(cs)
        print(f"ok - {len(cs)} signed change sets of bad personal records: refused by the hub "
              "(refused_malformed), the sender told why")

        # 4. Faults: the hub killed and restarted (its check after a crash),
        #    Linkou's disk lost and restored, verify everywhere.
        c.hub.kill()
        c.hub.start()
        lk.stop()
        shutil.move(lk.state, lk.state + ".lost")
        lk.start()
        cluster.wait_until("Linkou sees the hub", lambda: lk.status()["hub_link"] == "up", 15)
        lk.ctl("restore")
        c.wait_converged()
        for d in [c.hub] + c.nodes:
            d.ctl("verify")
        print("ok - hub killed and restarted, Linkou restored from the hub, verify passes")

        found = leaks(c, demo | set(SENT))
        assert not found and not terminal, "personal values in daemon logs:\n" + "\n".join(
            f"  {d}: {v!r} in: {ln}" for d, v, ln in found) + "\n" + "\n".join(terminal)
        sizes = {d.name: os.path.getsize(d.logfile) for d in [c.hub] + c.nodes}
        print(f"ok - no daemon log holds any of {len(demo)} demo personal values or the "
              f"{len(SENT)} bad values sent (log bytes: {sizes})")


if __name__ == "__main__":
    main()
