#!/usr/bin/env python3
"""Forged, damaged and misdirected change sets are refused at the hub with a
logged reason and a counter, and nothing of them is applied."""

import os
import re
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

INJECT = os.path.join(cluster.BUILD, "tests", "linli-inject")
TESTER = ("350582006011", "Tester")  # trusted, but no daemon: the inject tool plays it
INTRUDER = "350582006099"            # in no trust list


def inject(c, key, owner, scenario, *args):
    p = subprocess.run([INJECT, c.endpoint, c.hub.pub, key, owner, scenario, *args],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def expect(out, word, text=""):
    lines = [ln for ln in out.splitlines() if f" {word}" in ln and text in ln]
    assert lines, f"expected {word} {text!r} in:\n{out}"


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        tester_key = os.path.join(c.dir, "tester.key")
        intruder_key = os.path.join(c.dir, "intruder.key")
        pub = c.keygen(tester_key)
        c.keygen(intruder_key)
        with open(c.trust, "a") as f:
            f.write(f"{TESTER[0]} {pub} {TESTER[1]}\n")
        c.start()
        z, lk = c.node("Zenglin"), c.node("Linkou")
        z.ctl("service", "add", "s1", "name=老年食堂", "category=elderly")
        lk.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        lk.ctl("household", "add", "h1", "grid=g1", "size=3", "phone=13800000001")
        c.wait_converged()
        before = c.hub.stats()

        out = inject(c, z.key, z.owner, "badsig")
        expect(out, "ERR", "signature does not verify")
        out = inject(c, intruder_key, INTRUDER, "unknown", INTRUDER)
        assert "ERR" not in out and "ACK" not in out, f"an unknown key was answered:\n{out}"
        out = inject(c, z.key, z.owner, "origin", lk.owner)
        expect(out, "ERR", f"claims origin {lk.owner}")
        out = inject(c, z.key, z.owner, "link", lk.owner)
        expect(out, "ERR", f"came on the link of {z.owner}")
        out = inject(c, z.key, z.owner, "malformed")
        expect(out, "ERR", "malformed")
        out = inject(c, z.key, z.owner, "framing")
        expect(out, "ERR", "malformed CS message")
        out = inject(c, z.key, z.owner, "personal")
        expect(out, "ERR", "does not belong in the public log")
        print("ok - bad signature, unknown key (no link at all), wrong origin (body and "
              "link), malformed body, bad framing, personal record in the public log: "
              "refused with reasons")

        out = inject(c, tester_key, TESTER[0], "gap")
        expect(out, "WANT", f"{TESTER[0]}/1=0")
        print("ok - a gap is answered with WANT from the hub's cursor")

        out = inject(c, tester_key, TESTER[0], "replay")
        acks = [ln for ln in out.splitlines() if " ACK " in ln and f"{TESTER[0]}/1=1" in ln]
        assert len(acks) >= 2, out
        st = c.hub.status()
        assert int(st["duplicates"]) == 1, st
        tester_stats = c.hub.stats()[TESTER[0]]
        assert tester_stats["services"]["elderly"] == 1, tester_stats
        print("ok - a replayed change set is acknowledged, counted and not applied twice")

        st = c.hub.status()
        for name, want in [("refused_bad_signature", 1), ("refused_unknown_owner", 0),
                           ("refused_wrong_origin", 2), ("refused_malformed", 3)]:
            assert int(st[name]) == want, f"{name} = {st[name]}, want {want}"
        assert int(st["refused_unknown_key"]) >= 1, st
        log = c.hub.log_text()
        for reason in ["signature does not verify", "not an owner's current key", "claims origin",
                       "malformed"]:
            assert f"refused: " in log and reason in log, f"hub log lacks {reason!r}"
        after = c.hub.stats()
        for owner in (z.owner, lk.owner):
            # What the hub holds, not what the nodes last reported of themselves.
            reported = ("last_heard", "head_public", "head_personal", "refused", "linked_now",
                        "problems")
            a = {k: v for k, v in after[owner].items() if k not in reported}
            b = {k: v for k, v in before[owner].items() if k not in reported}
            assert a == b, f"{owner} changed:\n{b}\n{a}"
        # Bad signature, other origin in the body, on Zenglin's link, malformed,
        # personal in public: counted against Zenglin in the statistics too.
        assert after[z.owner]["refused"] == 5, after[z.owner]
        # /metrics says which: one bad signature among them, the reasons
        # summing to the five.
        with urllib.request.urlopen(f"http://127.0.0.1:{c.hub.http_port}/metrics",
                                    timeout=10 * cluster.SLOW) as r:
            text = r.read().decode()
        by = {m.group(1): int(m.group(2)) for m in re.finditer(
            r'^linli_community_refused_total\{community="' + z.owner +
            r'",reason="(\w+)"\} (\d+)$', text, re.M)}
        assert sum(by.values()) == 5 and by.get("bad_signature", 0) >= 1, by
        ids = {r["id"] for r in c.hub.ctl("service", "list", json_out=True)}
        assert ids == {"s1", "inj-1"}, ids
        print("ok - counters and logged reasons at the hub, by reason per community in "
              f"/metrics ({by}); nothing refused was applied")

        # Zenglin still works after its link was impersonated.
        z.ctl("service", "add", "s2", "name=日间照料", "category=elderly")
        c.wait_converged()
        assert c.hub.stats()[z.owner]["services"]["elderly"] == 2
        print("ok - the real node carries on")


if __name__ == "__main__":
    main()
