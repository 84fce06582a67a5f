#!/usr/bin/env python3
"""Who changed what: every change set carries who made it (the operator's
user name, from the control socket's credentials, and for an import the
file's name), inside the signed bytes, and `linlictl KIND history ID`
shows every change of a record as far back as the logs go: when, who, and
which fields changed from what to what.

At the node and at the hub the history of a household is the same (the
author survives replication; verify passes everywhere); another community
cannot see it (personal logs never leave the node and the hub), while a
public record's history reaches every community with its authors.  A
member of control_group is named as such.  After compaction the history
says where it starts and shows the record as it was there.  In zh_CN the
text is Chinese."""

import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

P1, P2 = "13905950601", "13905950602"
NAME = "施雅婷"


def history(d, kind, rid, *extra):
    return d.ctl("history", kind, rid, *extra, json_out=True)


def fields(change):
    return {f["field"]: (f["from"], f["to"]) for f in change["fields"]}


def other_user():
    """(uid, gid, group name) of nobody, to join control_group; None if
    linlictl cannot run as another user here."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam("nobody")
        return pw.pw_uid, pw.pw_gid, grp.getgrgid(pw.pw_gid).gr_name
    except KeyError:
        return None


def zh_ready():
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout
    return any(x.lower().replace("-", "") == "zh_cn.utf8" for x in out.split())


def main():
    user = other_user()
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Zenglin", "Linkou")]
    with cluster.Cluster(communities) as c:
        z, lk = c.node("Zenglin"), c.node("Linkou")
        for d in [c.hub] + c.nodes:
            d.write_config("checkpoint_every = 20\n" +
                           (f"control_group = {user[2]}\n" if user and d is z else ""))
        if user:
            for path in (c.dir, z.dir):
                os.chmod(path, 0o711)
            ctl = os.path.join(c.dir, "linlictl")  # /root may be closed to nobody
            shutil.copy(cluster.LINLICTL, ctl)
            os.chmod(ctl, 0o755)
        c.start()
        start = int(time.time())

        z.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        z.ctl("household", "add", "h1", "grid=g1", "size=2", f"phone={P1}", f"head_name={NAME}")
        z.ctl("household", "set", "h1", "size=3", f"phone={P2}")
        path = os.path.join(c.dir, "households-2025.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"id,grid,size,phone,head_name\nh1,g1,4,{P2},{NAME}\n")
        z.ctl("import", path, "--kind", "household")
        z.ctl("household", "remove", "h1")
        end = int(time.time())

        h = history(z, "household", "h1")
        assert h["owner"] == z.owner and h["id"] == "h1" and h["log_from"] == 1, h
        ch = h["changes"]
        assert [x["change"] for x in ch] == ["add", "set", "set", "remove"], ch
        assert all(x["author"] == "root" for x in ch), ch
        assert [x["source"] for x in ch] == ["", "", "households-2025.csv", ""], ch
        assert all(start <= x["time"] <= end for x in ch), (start, end, ch)
        assert [x["seq"] for x in ch] == [2, 3, 4, 5], ch
        assert fields(ch[0]) == {"grid": ("", "g1"), "size": ("", "2"), "phone": ("", P1),
                                 "head_name": ("", NAME)}, ch[0]
        assert fields(ch[1]) == {"size": ("2", "3"), "phone": (P1, P2)}, ch[1]
        assert fields(ch[2]) == {"size": ("3", "4")}, ch[2]
        assert fields(ch[3]) == {"grid": ("g1", ""), "size": ("4", ""), "phone": (P2, ""),
                                 "head_name": (NAME, "")}, ch[3]
        text = z.ctl("history", "household", "h1").stdout
        assert "history from change set 1 of the personal log (all of it)" in text, text
        assert re.search(r"^.*root\s+changed\s+size\s+2\s+3\s*$", text, re.M), text
        assert re.search(r"root \(households-2025\.csv\)\s+changed\s+size\s+3\s+4", text), text
        print("ok - at the node: add, set, import and remove of a household, each with when, "
              "who (the import with its file) and the fields from what to what")

        c.wait_converged(timeout=30)
        at_hub = history(c.hub, "household", "h1", "--owner", z.owner)
        assert at_hub == h, (at_hub, h)
        p = lk.ctl("history", "household", "h1", "--owner", z.owner, check=False)
        assert p.returncode == 1 and ("the personal records of 350582006006 are kept only at "
                                      "its own server and the hub") in p.stderr, p.stderr
        assert NAME not in p.stderr + p.stdout and P1 not in p.stderr
        print(f"ok - the hub shows the same history; another community cannot: "
              f"\"{p.stderr.strip()}\"")

        if user:
            p = subprocess.run([ctl, "-s", z.sock, "service", "add", "s1", "name=长者食堂",
                                "category=elderly"], capture_output=True, text=True,
                               timeout=30, user=user[0], group=user[1], extra_groups=[])
            assert p.returncode == 0, p.stderr
            who = "nobody"
        else:
            z.ctl("service", "add", "s1", "name=长者食堂", "category=elderly")
            who = "root"
        z.ctl("service", "set", "s1", "walk_minutes=5")
        c.wait_converged(timeout=30)
        for d in (z, c.hub, lk):
            s = history(d, "service", "s1", "--owner", z.owner)
            assert [(x["change"], x["author"]) for x in s["changes"]] == \
                [("add", who), ("set", "root")], (d.name, s)
            assert fields(s["changes"][1]) == {"walk_minutes": ("0", "5")}, s
        for d in (z, lk, c.hub):
            d.ctl("verify")
        print(f"ok - a public record's history at every community, with its authors ({who}, "
              f"root{', a member of control_group' if user else ''}); verify passes at the "
              f"nodes and the hub")

        # Compaction trims the logs: history says where it starts.
        z.ctl("household", "add", "k1", "grid=g1", "size=5", f"head_name={NAME}")
        for i in range(20):
            z.ctl("household", "add", f"f{i:02d}", "grid=g1", "size=1")

        def trimmed():
            return all(r["checkpoint"] > 0 for d in (z, c.hub)
                       for r in d.ctl("logs", json_out=True)
                       if r["owner"] == z.owner and r["stream"] == "personal")
        cluster.wait_until("Zenglin's personal log trimmed at the node and the hub", trimmed,
                           timeout=60, step=0.3)
        z.ctl("household", "set", "k1", "size=6")
        c.wait_converged(timeout=30)
        for d in (z, c.hub):
            k = history(d, "household", "k1", "--owner", z.owner)
            base = k["changes"][0]
            assert k["log_from"] > 7 and base["change"] == "base", (d.name, k)
            assert base["seq"] == k["log_from"] - 1, k
            assert fields(base)["size"] == ("", "5"), base
            assert [(x["change"], fields(x)) for x in k["changes"][1:]] == \
                [("set", {"size": ("5", "6")})], k
        text = z.ctl("history", "household", "k1").stdout
        assert re.search(r"history from change set \d+ of the personal log \(earlier change "
                         r"sets were compacted: the first rows are the record as they left "
                         r"it\)", text), text
        p = z.ctl("history", "household", "h1", check=False)
        assert p.returncode == 1 and "no history of household h1" in p.stderr, p.stderr
        print("ok - after compaction the history starts at the checkpoint, with the record as "
              "it was there")

        if zh_ready():
            env = {k: v for k, v in os.environ.items()
                   if k not in ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
            env["LANG"] = "zh_CN.UTF-8"
            p = subprocess.run([cluster.LINLICTL, "-s", z.sock, "history", "household", "k1"],
                               capture_output=True, text=True, timeout=30, env=env)
            assert p.returncode == 0, p.stderr
            assert "时间" in p.stdout and "修改" in p.stdout and "人数" in p.stdout, p.stdout
            print("ok - in zh_CN:\n" + p.stdout)
        else:
            print("# no zh_CN.UTF-8 locale here: the Chinese output is not checked")


if __name__ == "__main__":
    main()
