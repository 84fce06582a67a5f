#!/usr/bin/env python3
"""References that hold: a household's grid and its central household
(linked_to) are records of the same community, the one it is linked to is
a central household, and an event's partner exists.

Refused at add, set and import with the reason (the field and the id it
names), nothing written; an import may define what its own rows name (a
household linked to a central household further down the same file).
Removing a record that is still named is refused with what names it (a
count and the first ids), or done with --force, which says what it leaves
dangling; so is making a central household that others are linked to an
ordinary one.  Statistics count only links that hold, at the node and at
the hub, also after a restart; verify passes everywhere."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

HEAD_NAME = "施雅婷"  # a resident's name: never in a refusal or a log
PHONE = "13905950606"


def refused(d, *args):
    """linlictl args must fail (exit 1); its message."""
    p = d.ctl(*args, check=False)
    assert p.returncode == 1, (args, p.returncode, p.stdout, p.stderr)
    return p.stderr.strip()


def heads(d):
    st = d.status()
    return int(st["log_public"]), int(st["log_personal"])


def csv(path, header, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    return path


def linked(d, owner):
    return d.stats()[owner]["linked"]


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Zenglin", "Linkou")]
    with cluster.Cluster(communities) as c:
        c.start()
        z, lk = c.node("Zenglin"), c.node("Linkou")
        hh = ("household", "add")

        # A grid of another community is no grid of this one.
        lk.ctl("grid", "add", "g9", "name=林口网格", "level=1")
        before = heads(z)
        msg = refused(z, *hh, "h1", "grid=g9", "size=2", f"head_name={HEAD_NAME}",
                      f"phone={PHONE}")
        assert "household h1: grid g9 does not exist in 350582006006" in msg, msg
        assert "nothing was written" in msg and HEAD_NAME not in msg and PHONE not in msg, msg
        assert heads(z) == before
        print(f"ok - add: a grid of another community is refused: \"{msg}\"")

        z.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        z.ctl(*hh, "c1", "grid=g1", "size=3", "central=yes")
        z.ctl(*hh, "h2", "grid=g1", "size=2")
        before = heads(z)
        msg = refused(z, *hh, "h3", "grid=g1", "size=2", "linked_to=h404")
        assert "household h3: linked_to h404 does not exist in 350582006006" in msg, msg
        msg = refused(z, *hh, "h3", "grid=g1", "size=2", "linked_to=h2")
        assert "household h3: linked_to h2 is not a central household" in msg, msg
        assert heads(z) == before
        print(f"ok - add: linked_to a missing or an ordinary household is refused: \"{msg}\"")

        z.ctl(*hh, "h3", "grid=g1", "size=2", "linked_to=c1")
        msg = refused(z, "household", "set", "h3", "grid=g404")
        assert "household h3: grid g404 does not exist in 350582006006" in msg, msg
        msg = refused(z, "household", "set", "h2", "linked_to=h3")
        assert "household h2: linked_to h3 is not a central household" in msg, msg
        assert heads(z) == before[:1] + (before[1] + 1,)
        z.ctl("household", "set", "h2", "linked_to=c1")
        print(f"ok - set: the same, the record stays as it was: \"{msg}\"")

        msg = refused(z, "event", "add", "e1", "name=邻里节", "date=2025-11-08", "partner=p404")
        assert "event e1: partner p404 does not exist in 350582006006" in msg, msg
        z.ctl("partner", "add", "p1", "name=晋江市科协")
        z.ctl("event", "add", "e1", "name=邻里节", "date=2025-11-08", "partner=p1")
        lk.ctl("partner", "add", "p7", "name=林口共建单位")
        msg = refused(z, "event", "set", "e1", "partner=p7")
        assert "event e1: partner p7 does not exist in 350582006006" in msg, msg
        print(f"ok - events: the partner must exist: \"{msg}\"")

        # Import: the file may name what it defines further down; one row
        # that names nothing refuses the whole file.
        hdr = ["id", "grid", "size", "central", "linked_to", "head_name"]
        good = csv(os.path.join(c.dir, "households.csv"), hdr, [
            ["h10", "g1", "2", "no", "c2", HEAD_NAME],
            ["h11", "g1", "4", "no", "c2", ""],
            ["c2", "g1", "3", "yes", "", ""],
        ])
        z.ctl("import", good)
        assert z.ctl("household", "show", "h10", json_out=True)["linked_to"] == "c2"
        before = heads(z)
        bad = csv(os.path.join(c.dir, "bad-households.csv"), hdr, [
            ["h20", "g1", "2", "no", "", ""],
            ["h21", "g404", "2", "no", "", HEAD_NAME],
            ["h22", "g1", "2", "no", "c404", ""],
        ])
        msg = refused(z, "import", bad, "--kind", "household")
        assert "household h21: grid g404 does not exist in 350582006006" in msg, msg
        assert "and 1 more" in msg and HEAD_NAME not in msg, msg
        assert heads(z) == before
        assert z.ctl("household", "show", "h20", check=False).returncode == 1
        events = csv(os.path.join(c.dir, "events.csv"), ["id", "name", "date", "partner"],
                     [["e2", "重阳节", "2025-10-29", "p404"]])
        msg = refused(z, "import", events)
        assert "event e2: partner p404 does not exist in 350582006006" in msg, msg
        print(f"ok - import: defined in the same file is accepted; a reference that does not "
              f"hold refuses the file: \"{msg}\"")

        # Removing what is named: refused with what names it, or --force.
        before = heads(z)
        msg = refused(z, "grid", "remove", "g1")
        assert ("grid g1 is named by 6 households (c1, c2, h10, h11, h2 …): change them "
                "first, or remove it with --force") in msg, msg
        msg = refused(z, "partner", "remove", "p1")
        assert "partner p1 is named by 1 event (e1)" in msg, msg
        msg = refused(z, "household", "remove", "c1")
        assert "household c1 is named by 2 households (h2, h3)" in msg, msg
        msg = refused(z, "household", "set", "c2", "central=no")
        assert ("household c2 is the central household of 2 households (h10, h11): link "
                "them elsewhere first, or set it with --force") in msg, msg
        assert heads(z) == before
        print(f"ok - remove: refused while named: \"{msg}\"")

        # Statistics count only links that hold: 4 now (h2, h3 to c1; h10,
        # h11 to c2), at the node and, once replicated, at the hub.
        c.wait_converged(timeout=30)
        assert linked(z, z.owner) == 4 and linked(c.hub, z.owner) == 4
        p = z.ctl("household", "set", "c2", "central=no", "--force")
        assert "left dangling: 2 households are linked to c2, which is not a central " \
               "household (h10, h11)" in p.stdout, p.stdout
        p = z.ctl("household", "remove", "c1", "--force")
        assert "removed" in p.stdout
        assert "left dangling: 2 households name household c1, which no longer exists " \
               "(h2, h3)" in p.stdout, p.stdout
        p = z.ctl("--json", "grid", "remove", "g1", "--force")
        assert '"dangling"' in p.stdout and "5 households name grid g1" in p.stdout, p.stdout
        c.wait_converged(timeout=30)
        assert linked(z, z.owner) == 0, z.stats()[z.owner]
        assert linked(c.hub, z.owner) == 0, c.hub.stats()[z.owner]
        # A record written must itself name what exists: the grid first.
        msg = refused(z, "household", "set", "c2", "central=yes")
        assert "household c2: grid g1 does not exist in 350582006006" in msg, msg
        z.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        z.ctl("household", "set", "c2", "central=yes")
        c.wait_converged(timeout=30)
        assert linked(z, z.owner) == 2 and linked(c.hub, z.owner) == 2
        assert linked(c.hub, "total") == 2
        print("ok - --force says what it leaves dangling; statistics count only links that "
              "hold (node and hub: 4, 0, then 2 when c2 is central again)")

        for d in (z, c.hub):
            d.stop()
            d.start()
        z.wait_writable()
        assert linked(z, z.owner) == 2
        msg = refused(z, "household", "remove", "c2")
        assert "household c2 is named by 2 households (h10, h11)" in msg, msg
        for d in (z, lk, c.hub):
            d.ctl("verify")
        for d in (z, c.hub):
            log = d.log_text()
            assert HEAD_NAME not in log and PHONE not in log, d.name
        print("ok - after a restart the same; verify passes at both nodes and the hub; no "
              "resident's data in any log")


if __name__ == "__main__":
    main()
