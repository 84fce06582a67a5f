#!/usr/bin/env python3
"""No personal data over HTTP: with the demo data loaded at the hub and at
two nodes with http_listen set, every endpoint (/, every /community/CODE,
/trends with and without ?month, the English variants by ?lang=en and by
Accept-Language, /metrics, /api/stats.json, a 404) is fetched, and no byte
of any answer holds any of the demo's phones, person names (heads of
households, grid workers), addresses, grid names, or request texts and
categories: every such value of the demo's CSV files of the personal kinds
(grids, households, requests).  As a control, the public records the
pages do show (service, partner and event names) are found in them."""

import csv
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
import demo_data  # noqa: E402

# The personal kinds' files and their columns that hold what a person
# wrote or who a person is (ids, numbers and yes/no are no one's).
PERSONAL = {
    "grids.csv": ("name", "worker"),
    "households.csv": ("address", "head_name", "phone"),
    "requests.csv": ("category", "text"),
}


def personal_values(c):
    values = set()
    for n in c.nodes:
        for f, cols in PERSONAL.items():
            with open(os.path.join(c.dir, "data", n.owner, f), encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    for col in cols:
                        v = row[col].strip()
                        if len(v) >= 2:
                            values.add(v)
    return values


def public_names(c, owner):
    names = set()
    for f in ("services.csv", "partners.csv", "events.csv"):
        with open(os.path.join(c.dir, "data", owner, f), encoding="utf-8") as fh:
            names |= {row["name"] for row in csv.DictReader(fh)}
    return names


def get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=30 * cluster.SLOW) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def every_answer(d, month):
    """(url, status, body) of every endpoint of d, in each language."""
    base = f"http://127.0.0.1:{d.http_port}"
    paths = ["/", "/trends", f"/trends?month={month}", "/metrics", "/api/stats.json",
             "/no/such/page", "/community/999999999999"]
    paths += [f"/community/{code}" for code, _, _ in [cluster.SUBDISTRICT] + cluster.COMMUNITIES]
    for p in paths:
        for query, headers in (("", None), ("lang=en", None), ("lang=zh", None),
                               ("", {"Accept-Language": "en-US,en;q=0.9"})):
            url = base + p + (("&" if "?" in p else "?") + query if query else "")
            st, body = get(url, headers)
            yield url, st, body


def main():
    with cluster.Cluster() as c:
        for d in (c.hub, c.node("Zenglin"), c.node("Linkou")):
            d.http_listen = f"127.0.0.1:{cluster.free_port()}"
            d.write_config()
        c.start()
        demo_data.load(c)
        c.wait_converged(timeout=120 * cluster.SLOW)
        secrets = personal_values(c)
        assert len(secrets) > 1000, f"only {len(secrets)} personal values in the demo's files"
        month = c.hub.ctl("stats", "--month", "2026-01", json_out=True)[0]["month"]

        for d in (c.hub, c.node("Zenglin"), c.node("Linkou")):
            n, total, statuses = 0, 0, {}
            shown = b""
            for url, st, body in every_answer(d, month):
                statuses[url] = st
                n += 1
                total += len(body)
                for s in secrets:
                    assert s.encode() not in body, (
                        f"{url} at {d.name} serves personal data (a value of the demo's "
                        f"personal records, {len(s)} bytes)")
                if "/community/" in url:
                    shown += body
            base = f"http://127.0.0.1:{d.http_port}"
            for p in ("/", "/trends", "/metrics", "/api/stats.json"):
                assert statuses[base + p] == 200, (d.name, p, statuses[base + p])
            assert statuses[base + "/no/such/page"] == 404, d.name
            # Control: its community's page does show its public records,
            # so the absence above is the pages' doing.
            own = [x.owner for x in c.nodes] if d is c.hub else [d.owner]
            for owner in own:
                assert statuses[f"{base}/community/{owner}"] == 200, (d.name, owner)
                for name in public_names(c, owner):
                    assert name.encode() in shown, (d.name, owner, name)
            print(f"{d.name}: {n} answers, {total} bytes, none holds any of "
                  f"{len(secrets)} personal values")
    print("ok: no personal data over HTTP at the hub or the nodes")


if __name__ == "__main__":
    main()
