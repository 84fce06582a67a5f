#!/usr/bin/env python3
"""A hub and ten nodes on loopback.  Every node writes records of every
kind, with updates and removals, through linlictl.  Then the hub's
statistics must equal what was written, exactly; every node must hold every
community's public records and no other community's personal ones."""

import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
import demo_data  # noqa: E402

CATS = ["none"] + demo_data.CATEGORIES
PUBLIC = ("service", "partner", "event")
PERSONAL = ("grid", "household", "request")


def load_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def expected_stats(model):
    """The statistics a hub must show for one owner's records."""
    e = {"services": {c: 0 for c in CATS[1:]}, "partners": 0, "items": 0, "grids_l1": 0,
         "grids_l2": 0, "households": 0, "rented": 0, "central": 0, "linked": 0,
         "requests_open": 0, "requests_resolved": 0, "events": 0, "participants": 0}
    durations = []
    for (kind, _), r in model.items():
        if kind == "service":
            e["services"][r["category"]] += 1
        elif kind == "partner":
            e["partners"] += 1
            e["items"] += len([i for i in r["items"].split(";") if i.strip()])
        elif kind == "grid":
            e["grids_l1" if int(r["level"]) == 1 else "grids_l2"] += 1
        elif kind == "household":
            e["households"] += 1
            e["rented"] += r["rented"] == "yes"
            e["central"] += r["central"] == "yes"
            e["linked"] += r["linked_to"] != ""
        elif kind == "request":
            if r["status"] == "resolved":
                e["requests_resolved"] += 1
                durations.append(int(r["resolved_at"]) - int(r["opened_at"]))
            else:
                e["requests_open"] += 1
        elif kind == "event":
            e["events"] += 1
            e["participants"] += int(r["participants"])
    durations.sort()
    n = len(durations)
    e["median_resolve_s"] = 0 if n == 0 else (
        durations[n // 2] if n % 2 else (durations[n // 2 - 1] + durations[n // 2]) // 2)
    return e, durations


def compare(where, got, want):
    bad = []
    for k, v in want.items():
        g = got.get(k)
        if k == "services":
            g = {c: (g or {}).get(c, 0) for c in CATS[1:]}
        if g != v:
            bad.append(f"{k}: got {g}, want {v}")
    if bad:
        raise AssertionError(f"{where}: " + "; ".join(bad))


def write_everything(c, node, models):
    """Imports demo data and makes single adds, sets and removals."""
    model = models[node.owner]
    data = os.path.join(c.dir, "data", node.owner)
    demo_data.community(data, node.owner, node.name, pilot=False, seed=7)
    for f in demo_data.FILES:
        kind = f[:-5]
        rows = load_csv(os.path.join(data, f))
        node.ctl("import", os.path.join(data, f))
        for r in rows:
            model[(kind, r["id"])] = dict(r)
    # One of each kind of change, through the single-record commands.
    node.ctl("service", "add", "s500", "name=new service", "category=medical",
             "walk_minutes=4", "status=open")
    model[("service", "s500")] = {"category": "medical"}
    node.ctl("service", "set", "s001", "category=special")
    model[("service", "s001")]["category"] = "special"
    node.ctl("partner", "set", "p01", "items=a;b;c;d;e")
    model[("partner", "p01")]["items"] = "a;b;c;d;e"
    node.ctl("household", "set", "h00001", "rented=yes")
    model[("household", "h00001")]["rented"] = "yes"
    victim = [k for k in model if k[0] == "household" and model[k]["linked_to"]][0]
    node.ctl("household", "remove", victim[1])
    del model[victim]
    opened = [k for k in model if k[0] == "request" and model[k]["status"] == "open"]
    if opened:
        r = model[opened[0]]
        node.ctl("request", "set", opened[0][1], "status=resolved",
                 f"resolved_at={int(r['opened_at']) + 5400}")
        r["status"], r["resolved_at"] = "resolved", str(int(r["opened_at"]) + 5400)
    node.ctl("event", "remove", "e001")
    del model[("event", "e001")]
    node.ctl("grid", "add", "g9", "name=extra", "level=2", "parent=g1")
    model[("grid", "g9")] = {"level": "2"}


def main():
    with cluster.Cluster() as c:
        c.start()
        models = {n.owner: {} for n in c.nodes}
        for n in c.nodes:
            write_everything(c, n, models)
        # The subdistrict owns records too; its public ones reach every node.
        c.hub.ctl("service", "add", "sd1", "name=街道党群服务中心", "category=party-mass")
        c.hub.ctl("grid", "add", "g0", "name=街道网格", "level=1")
        c.hub.ctl("household", "add", "sdh1", "grid=g0", "size=1", "phone=13900000000")
        models[c.hub.owner] = {("service", "sd1"): {"category": "party-mass"},
                               ("grid", "g0"): {"level": "1"},
                               ("household", "sdh1"): {"rented": "no", "central": "no",
                                                       "linked_to": ""}}
        c.wait_converged(timeout=60)
        print("ok - converged")

        hub_stats = c.hub.stats()
        all_durations = []
        for n in c.nodes:
            want, durations = expected_stats(models[n.owner])
            all_durations += durations
            compare(f"hub stats of {n.name}", hub_stats[n.owner], want)
            compare(f"{n.name}'s own stats", n.stats()[n.owner], want)
        print("ok - hub and node statistics equal what was written, for all ten")

        total, _ = expected_stats({(k[0], f"{o}/{k[1]}"): v for o, m in models.items()
                                   for k, v in m.items()})
        compare("hub total", hub_stats["total"], total)
        print("ok - subdistrict total and median over all communities")

        for n in c.nodes:
            for other in c.nodes:
                for kind in PUBLIC:
                    got = {r["id"] for r in n.ctl(kind, "list", "--owner", other.owner,
                                                  json_out=True)}
                    want = {k[1] for k in models[other.owner] if k[0] == kind}
                    assert got == want, f"{n.name} has {kind}s of {other.name}: {len(got)} " \
                                        f"of {len(want)}"
                for kind in PERSONAL:
                    rows = n.ctl(kind, "list", json_out=True)
                    owners = {r["owner"] for r in rows}
                    assert owners <= {n.owner}, f"{n.name} holds {kind}s of {owners}"
        print("ok - every node holds all public records and no other community's "
              "personal records")

        for n in c.nodes:
            got = n.ctl("service", "list", "--owner", c.hub.owner, json_out=True)
            assert [r["id"] for r in got] == ["sd1"], f"{n.name}: {got}"
            assert not n.ctl("household", "list", "--owner", c.hub.owner, json_out=True)
        print("ok - the subdistrict's public records reach every node, its personal ones none")

        # The hub relays verbatim: a node can verify the signer itself.
        z = c.node("Zenglin")
        shown = c.node("Linkou").ctl("service", "show", "s500", "--owner", z.owner,
                                     json_out=True)
        assert shown["category"] == "medical" and shown["owner"] == z.owner, shown
        print("ok - a relayed service shows at another node")


if __name__ == "__main__":
    main()
