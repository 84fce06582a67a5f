#!/usr/bin/env python3
"""Monthly statistics (issue 14, item 3) and the time-to-resolve histogram.

A hub and two nodes.  The nodes write requests and events through linlictl
(import, add, set, remove): adds, a request resolved, resolved_at and
opened_at moved to other months, an event's date moved, participants
changed, removals; requests on both sides of a month's edge in China time
(UTC+8: 2025-01-31 16:00:00 UTC is 2025-02-01 in China).  A model in this
file says what each month must hold; `linlictl stats --month M --months N
--json` must equal it at the hub (each community, the hub itself, the
total) and at each node (its own community), and `linlictl stats --json`
must carry the histogram.  Then the hub's database is wiped, the nodes send
everything again, and the hub's figures are the same.
"""

import calendar
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

CHINA = 8 * 3600  # UTC+8, no daylight saving since 1991
BOUNDS = [3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400]
MONTHS = ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04"]
LAST, COUNT = MONTHS[-1], len(MONTHS)


def utc(text):
    """Unix seconds of "YYYY-MM-DD HH:MM:SS" in UTC."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


def month_of(ts):
    return time.strftime("%Y-%m", time.gmtime(ts + CHINA))


def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return 0
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) // 2


def want_months(owner, model):
    """The Month objects owner's records make, for MONTHS."""
    rows = []
    for m in MONTHS:
        opened = resolved = events = people = 0
        took = []
        for (kind, _), r in model.items():
            if kind == "request":
                opened += month_of(r["opened_at"]) == m
                if r["status"] == "resolved" and month_of(r["resolved_at"]) == m:
                    resolved += 1
                    took.append(r["resolved_at"] - r["opened_at"])
            else:
                if r["date"][:7] == m:
                    events += 1
                    people += r["participants"]
        rows.append({"owner": owner, "month": m, "requests_opened": opened,
                     "requests_resolved": resolved, "median_resolve_s": median(took),
                     "events": events, "participants": people, "_took": took})
    return rows


def total_months(per_owner):
    """The "total" rows: sums, and the median of every owner's durations."""
    rows = []
    for i, m in enumerate(MONTHS):
        took = [t for rs in per_owner for t in rs[i]["_took"]]
        row = {"owner": "total", "month": m, "median_resolve_s": median(took), "_took": took}
        for k in ("requests_opened", "requests_resolved", "events", "participants"):
            row[k] = sum(rs[i][k] for rs in per_owner)
        rows.append(row)
    return rows


def histogram(model):
    took = [r["resolved_at"] - r["opened_at"] for (k, _), r in model.items()
            if k == "request" and r["status"] == "resolved"]
    buckets = [sum(t <= b for t in took) for b in BOUNDS] + [len(took)]
    return buckets, sum(took)


def strip(rows):
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


def months_at(d):
    return d.ctl("stats", "--month", LAST, "--months", str(COUNT), json_out=True)


def check_node(node, model):
    got = months_at(node)
    want = strip(want_months(node.owner, model))
    assert got == want, f"{node.name}'s months:\n got {got}\nwant {want}"
    row = node.stats()[node.owner]
    buckets, total = histogram(model)
    assert (row["resolve_buckets"], row["resolve_sum_s"]) == (buckets, total), \
        f"{node.name}: histogram {row['resolve_buckets']} sum {row['resolve_sum_s']}, " \
        f"want {buckets} sum {total}"


def check_hub(c, models):
    per = [want_months(o, models[o]) for o in [n.owner for n in c.nodes] + [c.hub.owner]]
    want = [r for rs in per for r in strip(rs)] + strip(total_months(per))
    got = months_at(c.hub)
    assert got == want, f"hub's months:\n got {got}\nwant {want}"
    stats = c.hub.stats()
    every = {}
    for o, m in models.items():
        buckets, total = histogram(m)
        assert (stats[o]["resolve_buckets"], stats[o]["resolve_sum_s"]) == (buckets, total), \
            f"hub, {o}: histogram {stats[o]['resolve_buckets']}, want {buckets} sum {total}"
        every.update({(k, f"{o}/{i}"): r for (k, i), r in m.items()})
    buckets, total = histogram(every)
    t = stats["total"]
    assert (t["resolve_buckets"], t["resolve_sum_s"]) == (buckets, total), \
        f"hub total: histogram {t['resolve_buckets']} sum {t['resolve_sum_s']}, want {buckets}"
    assert t["resolve_buckets"][-1] == t["requests_resolved"], t


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


def request(node, model, rid, opened, resolved=None, how="add"):
    args = [f"opened_at={opened}", "status=" + ("resolved" if resolved else "open")]
    args.append(f"resolved_at={resolved or ''}")  # empty: not set
    if how == "add":
        args += ["channel=hotline", "category=诉求", "text=居民反映的问题"]
    node.ctl("request", how, rid, *args)
    model[("request", rid)] = {"opened_at": opened, "status": "resolved" if resolved else "open",
                               "resolved_at": resolved or 0}


def write_node(c, node, model, k):
    """Imports, then every kind of change; k varies the figures per node."""
    day = 86400
    reqs = []
    for i, (opened, took) in enumerate([
            (utc("2025-01-05 02:00:00"), 1800 + k),          # resolved in January
            (utc("2025-01-31 15:59:59"), 2 * 3600),          # January in China ...
            (utc("2025-01-31 16:00:00"), 2 * day + k * 60),  # ... February in China
            (utc("2025-02-10 08:00:00"), None),
            (utc("2025-02-27 12:00:00"), 5 * day),           # resolved in March
            (utc("2025-03-03 03:00:00"), 40 * day),          # resolved in April
            (utc("2024-12-31 15:00:00"), 3600),              # December, opened and resolved
    ], start=1):
        status = "resolved" if took is not None else "open"
        reqs.append([f"r{i}", "hotline", "诉求", "居民反映的问题", status, opened,
                     opened + took if took is not None else ""])
        model[("request", f"r{i}")] = {"opened_at": opened, "status": status,
                                       "resolved_at": opened + took if took is not None else 0}
    path = os.path.join(c.dir, f"requests-{node.owner}.csv")
    write_csv(path, ["id", "channel", "category", "text", "status", "opened_at", "resolved_at"],
              reqs)
    node.ctl("import", path, "--kind", "request")
    evs = []
    for i, (date, people) in enumerate([("2025-01-31", 20 + k), ("2025-02-01", 30),
                                        ("2025-03-15", 12), ("2025-04-30", 7),
                                        ("2024-12-01", 9)], start=1):
        evs.append([f"e{i}", f"邻里活动{i}", "elderly", date, people])
        model[("event", f"e{i}")] = {"date": date, "participants": people}
    path = os.path.join(c.dir, f"events-{node.owner}.csv")
    write_csv(path, ["id", "name", "category", "date", "participants"], evs)
    node.ctl("import", path, "--kind", "event")

    # Adds, one at a time.
    request(node, model, "r20", utc("2025-03-20 01:00:00"))
    request(node, model, "r21", utc("2025-04-01 00:00:00"), utc("2025-04-02 10:00:00"))
    node.ctl("event", "add", "e20", "name=重阳节", "date=2025-04-01", "participants=44")
    model[("event", "e20")] = {"date": "2025-04-01", "participants": 44}
    # Open -> resolved (in another month than it was opened).
    r = model[("request", "r4")]
    request(node, model, "r4", r["opened_at"], utc("2025-03-01 09:00:00") + k, how="set")
    # resolved_at moved to another month (February -> April).
    r = model[("request", "r3")]
    request(node, model, "r3", r["opened_at"], utc("2025-04-10 00:00:00"), how="set")
    # opened_at moved (January -> December), resolved month unchanged.
    r = model[("request", "r1")]
    request(node, model, "r1", utc("2024-12-20 00:00:00"), r["resolved_at"], how="set")
    # Resolved -> open again.
    request(node, model, "r5", model[("request", "r5")]["opened_at"], how="set")
    # An event's date moved, and participants changed.
    node.ctl("event", "set", "e1", "date=2025-03-01")
    model[("event", "e1")]["date"] = "2025-03-01"
    node.ctl("event", "set", "e3", "participants=99")
    model[("event", "e3")]["participants"] = 99
    # Removals.
    node.ctl("request", "remove", "r2")
    del model[("request", "r2")]
    node.ctl("event", "remove", "e4")
    del model[("event", "e4")]


def without_monthly(state):
    """The database in state as the release before monthly statistics
    left it: every value of it but theirs, copied with mdb_dump and
    mdb_load (hex: the print format does not load back in LMDB 0.9.24)."""
    dump = subprocess.run(["mdb_dump", "-a", state], capture_output=True, text=True,
                          check=True, timeout=60).stdout.splitlines(keepends=True)
    theirs = {"meta": tuple(x.encode().hex() for x in ("monthly_mark", "mon/", "hist/")),
              "med": tuple(x.encode().hex() for x in ("mm/", "sm/"))}  # member, state
    out, db, data, key, skip, dropped = [], None, False, True, False, 0
    for line in dump:
        if line.startswith("database="):
            db = line.strip().split("=", 1)[1]
        if line.startswith("HEADER=END"):
            data, key = True, True
        elif line.startswith("DATA=END"):
            data = False
        elif data and line.startswith(" "):
            # Lines alternate: a key, then its value.
            if key:
                skip = line[1:].startswith(theirs.get(db, ()))
                dropped += skip
            key = not key
            if skip:
                continue
        out.append(line)
    fresh = state + ".old"
    os.makedirs(fresh)
    p = subprocess.run(["mdb_load", fresh], input="".join(out), text=True, timeout=60,
                       capture_output=True)
    assert p.returncode == 0, p.stderr
    os.replace(os.path.join(fresh, "data.mdb"), os.path.join(state, "data.mdb"))
    os.unlink(os.path.join(state, "lock.mdb"))
    shutil.rmtree(fresh)
    return dropped


def main():
    with cluster.Cluster(communities=cluster.COMMUNITIES[:2]) as c:
        c.start()
        models = {d.owner: {} for d in [c.hub] + c.nodes}
        for k, n in enumerate(c.nodes):
            write_node(c, n, models[n.owner], k)
        # The subdistrict's own event counts for it (and in the total).
        c.hub.ctl("event", "add", "e1", "name=街道活动", "date=2025-02-14", "participants=5")
        models[c.hub.owner][("event", "e1")] = {"date": "2025-02-14", "participants": 5}
        c.wait_converged(timeout=60)
        print("ok - converged")

        for n in c.nodes:
            check_node(n, models[n.owner])
        print("ok - each node's months and histogram equal the model")
        check_hub(c, models)
        print("ok - the hub's months (each community, itself, the total) and histograms "
              "equal the model")

        one = c.hub.ctl("stats", "--month", "2025-02", "--owner", c.nodes[0].owner,
                        json_out=True)
        assert [r["month"] for r in one] == ["2025-02"] and \
            one[0]["owner"] == c.nodes[0].owner, one
        text = c.hub.ctl("stats", "--month", LAST, "--months", "2").stdout
        assert c.nodes[0].name in text and "2025-03" in text and "2025-04" in text, text
        for bad in ("2025-13", "2025-1", "May", "2025-04-01"):
            p = c.hub.ctl("stats", "--month", bad, check=False)
            assert p.returncode != 0 and bad in p.stderr and "YYYY-MM" in p.stderr, \
                (bad, p.returncode, p.stderr)
        p = c.hub.ctl("stats", "--month", LAST, "--months", "37", check=False)
        assert p.returncode != 0 and "37" in p.stderr, p.stderr
        print(f"ok - one month of one owner, the table, bad months refused: "
              f"\"{p.stderr.strip()}\"")

        hub = c.hub
        hub.stop()
        shutil.rmtree(hub.state)
        hub.start()
        c.wait_converged(timeout=60)
        check_hub(c, models)
        for n in c.nodes:
            check_node(n, models[n.owner])
        print("ok - after the hub's database is wiped and sent again, the same months and "
              "histograms")

        # A node upgraded from the release before: records, no monthly
        # statistics.  Its first start builds them, once, and says so.
        n = c.nodes[0]
        n.stop()
        dropped = without_monthly(n.state)
        assert dropped > 10, dropped
        n.start()
        built = [ln for ln in n.log_text().splitlines() if "monthly statistics" in ln]
        held = sum(k == "request" for k, _ in models[n.owner]) + \
            sum(k == "event" for m in models.values() for k, _ in m)  # events are public
        assert len(built) == 1 and f"built from {held} requests and events" in built[0] and \
            "a database of an older release" in built[0], built
        check_node(n, models[n.owner])
        n.stop()
        n.start()
        again = [ln for ln in n.log_text().splitlines() if "monthly statistics" in ln]
        assert again == built, again
        print(f"ok - a database of the release before: built once at start: \"{built[0]}\"")


if __name__ == "__main__":
    main()
