#!/usr/bin/env python3
"""/metrics of a hub with demo data loaded, and of a node with http_listen
set, through the real binaries on loopback:

  1. `promtool check metrics` (Debian `prometheus`) passes on it: names,
     types, the format 0.0.4, the naming rules (a counter ends in _total);
  2. its figures equal `linlictl stats --json` of the same daemon, parsed
     from the exposition here: per community the services by category,
     households (rented, central, linked), requests by status, the
     time-to-resolve histogram (cumulative buckets, +Inf, sum, count),
     events and participants, change sets applied and behind, refusals,
     last heard; linli_build_info carries linlid's version;
  3. no label holds a record id or anything of a household.
Every wait is bounded."""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
import demo_data  # noqa: E402

BOUNDS = ["3600", "14400", "86400", "259200", "604800", "2592000", "+Inf"]
CATEGORIES = ["party-mass", "childcare", "elderly", "medical", "food-safety", "leisure",
              "affairs", "special"]
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def fetch(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        return r.read().decode()


def parse(text):
    """{(name, ((label, value), ...)): value} of every sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = tuple(sorted(LABEL.findall(m.group(3) or "")))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def promtool(text, what):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, f"promtool check metrics on {what}:\n{p.stdout}{p.stderr}"
    print(f"ok: promtool check metrics passes on {what}")


def check_equal(d, text):
    samples = parse(text)

    def get(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        assert key in samples, f"{d.name}: no sample {name}{labels}"
        return samples[key]

    rows = [r for r in d.ctl("stats", json_out=True) if r["owner"] != "total"]
    assert rows
    now = time.time()
    for r in rows:
        c = r["owner"]
        for k, cat in enumerate(CATEGORIES):
            assert get("linli_services", community=c, category=cat) == r["services"][cat], (c, cat)
        pairs = [("linli_households", "households"), ("linli_households_rented", "rented"),
                 ("linli_households_central", "central"), ("linli_households_linked", "linked"),
                 ("linli_partners", "partners"), ("linli_partner_items", "items"),
                 ("linli_events", "events"), ("linli_event_participants", "participants"),
                 ("linli_request_resolve_median_seconds", "median_resolve_s"),
                 ("linli_change_sets_refused_total", "refused")]
        for name, field in pairs:
            assert get(name, community=c) == r[field], (c, name, r[field])
        assert get("linli_requests", community=c, status="open") == r["requests_open"]
        assert get("linli_requests", community=c, status="resolved") == r["requests_resolved"]
        assert get("linli_change_sets_applied_total", community=c, stream="public") == \
            r["seq_public"]
        assert get("linli_change_sets_applied_total", community=c, stream="personal") == \
            r["seq_personal"]
        behind = max(0, r["head_public"] + r["head_personal"] - r["seq_public"] -
                     r["seq_personal"])
        assert get("linli_change_sets_behind", community=c) == behind
        heard = get("linli_last_heard_timestamp_seconds", community=c)
        assert (heard == 0) == (r["last_heard"] == 0) and abs(heard - r["last_heard"]) < 5, \
            (c, heard, r["last_heard"])
        assert len(r["resolve_buckets"]) == len(BOUNDS), r["resolve_buckets"]
        for le, n in zip(BOUNDS, r["resolve_buckets"]):
            assert get("linli_request_resolve_seconds_bucket", community=c, le=le) == n, (c, le)
        assert get("linli_request_resolve_seconds_sum", community=c) == r["resolve_sum_s"]
        assert get("linli_request_resolve_seconds_count", community=c) == \
            r["resolve_buckets"][-1] == r["requests_resolved"]
    assert now - 5 < max(get("linli_last_heard_timestamp_seconds", community=r["owner"])
                         for r in rows)
    version = subprocess.run([cluster.LINLID, "--version"], capture_output=True,
                             text=True).stdout.split()[1]
    role = "hub" if d.role == "hub" else "node"
    assert get("linli_build_info", version=version, role=role) == 1
    for (name, labels), _ in samples.items():
        assert name.startswith("linli_"), name
        for k, v in labels:
            assert k in ("community", "category", "status", "stream", "le", "reason",
                         "problem", "version", "role"), (name, k)
    assert get("linli_store_map_bytes") >= get("linli_store_used_bytes") > 0
    assert get("linli_store_file_bytes") > 0
    print(f"ok: {d.name}'s /metrics equals its linlictl stats --json "
          f"({len(rows)} communities, {len(samples)} samples)")


def stable(d, port):
    """/metrics and linlictl stats taken while nothing moves: fetched until
    two in a row agree apart from the clock's figures."""
    last = None
    for _ in range(40):
        text = fetch(port)
        key = re.sub(r"(linli_last_heard_timestamp_seconds|linli_http_\w+|linli_refused_total)"
                     r"(\{[^}]*\})? \S+", "", text)
        if key == last:
            return text
        last = key
        time.sleep(0.5)
    raise AssertionError("/metrics never settled")


def main():
    if shutil.which("promtool") is None:
        print("SKIP: no promtool (Debian package prometheus; make test-deps)")
        sys.exit(77)
    with cluster.Cluster(communities=cluster.COMMUNITIES[:3]) as c:
        node = c.nodes[0]
        node.http_listen = f"127.0.0.1:{cluster.free_port()}"
        node.write_config()
        c.start()
        for n in c.nodes:
            data = os.path.join(c.dir, "data", n.owner)
            demo_data.community(data, n.owner, n.name, pilot=(n is node))
            for f in demo_data.FILES:
                n.ctl("import", os.path.join(data, f), json_out=True)
        c.wait_converged(120)
        for d in (c.hub, node):
            text = stable(d, d.http_port)
            promtool(text, f"{d.name}'s /metrics")
            for attempt in range(5):
                try:
                    check_equal(d, fetch(d.http_port))
                    break
                except AssertionError:
                    if attempt == 4:
                        raise
                    time.sleep(1)
        # A node serves its own community alone; one without http_listen, none.
        rows = parse(fetch(node.http_port))
        communities = {dict(l).get("community") for (_, l) in rows} - {None}
        assert communities == {node.owner}, communities
        assert c.nodes[1].status()["http_listen"] == "off"
    print("ok")


if __name__ == "__main__":
    main()
