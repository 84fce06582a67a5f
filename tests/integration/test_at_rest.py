#!/usr/bin/env python3
"""Personal fields at rest: a hub and three communities with the demo data
(the pilot's full set), compacted so that bases hold records too.  No
phone number, resident's or grid worker's name, address or request text of
the demo is in any file of any state directory, nor in any daemon's log:
not in the raw bytes, not in `mdb_dump -p` of every database.  A removed
household leaves no readable copy.  verify passes.  A database started
with another data key, a data key file others can read, a missing one and
the signing key given as the data key are each refused at start with the
reason."""

import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
import demo_data  # noqa: E402


def dump_form(text):
    """needle as `mdb_dump -p` prints it: printable ASCII as is, a
    backslash doubled, every other byte as \\xx."""
    out = []
    for b in text.encode():
        if b == 0x5c:
            out.append("\\\\")
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        else:
            out.append(f"\\{b:02x}")
    return "".join(out).encode()


def files_under(path):
    for root, _, files in os.walk(path):
        for f in files:
            yield os.path.join(root, f)


def found(daemons, needles):
    """[(where, needle)] for every needle in a file of a state directory,
    in a daemon's log or in `mdb_dump -a -p` of its database."""
    hits = []
    for d in daemons:
        places = [(p, open(p, "rb").read()) for p in files_under(d.state)]
        places.append((d.logfile, open(d.logfile, "rb").read()))
        dump = subprocess.run(["mdb_dump", "-a", "-p", d.state], capture_output=True,
                              check=True).stdout
        assert b"HEADER=END" in dump, dump[:200]
        places.append((f"mdb_dump -a -p {d.state}", dump))
        for where, data in places:
            for n in needles:
                if n.encode() in data or dump_form(n) in data:
                    hits.append((where, n))
    return hits


def personal(datadir):
    """The personal fields of one community's demo files."""
    out = set()
    with open(os.path.join(datadir, "households.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.update([row["phone"], row["head_name"], row["address"]])
    with open(os.path.join(datadir, "grids.csv"), encoding="utf-8") as f:
        out.update(row["worker"] for row in csv.DictReader(f))
    with open(os.path.join(datadir, "requests.csv"), encoding="utf-8") as f:
        out.update(row["text"] for row in csv.DictReader(f))
    return out


def refused(d, expect):
    d.start(wait=False)
    assert d.proc.wait(20) == 1, f"{d.name} started: {d.log_tail()}"
    assert expect in d.log_text(), d.log_tail()


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin", "Lingshui")]
    with cluster.Cluster(communities) as c:
        for d in [c.hub] + c.nodes:
            d.write_config("checkpoint_every = 2\n")
        c.start()
        needles = set()
        for n in c.nodes:
            data = os.path.join(c.dir, "data", n.owner)
            demo_data.community(data, n.owner, n.name, pilot=n.name == "Zenglin")
            for f in demo_data.FILES:
                n.ctl("import", os.path.join(data, f))
            needles |= personal(data)
        # The search finds what is there: the demo's own CSV files hold them.
        assert not [n for n in needles
                    if not any(n.encode() in open(p, "rb").read()
                               for p in files_under(os.path.join(c.dir, "data")))]
        z = c.node("Zenglin")
        z.ctl("household", "add", "h90001", "grid=g1-1", "address=曾林村99号", "head_name=施雅婷",
              "phone=13912345678", "size=3")
        needles |= {"13912345678", "施雅婷", "曾林村99号"}
        c.wait_converged()
        cluster.wait_until("the hub folds the communities' logs into their bases",
                           lambda: all(int(r["checkpoint"]) > 0
                                       for r in c.hub.ctl("logs", json_out=True)
                                       if r["owner"] != c.hub.owner), 30)
        assert len(needles) > 300, len(needles)
        shown = c.hub.ctl("household", "show", "h90001", "--owner", z.owner).stdout
        assert "13912345678" in shown and "施雅婷" in shown, shown
        daemons = [c.hub] + c.nodes
        hits = found(daemons, needles)
        assert not hits, f"in clear at rest: {hits[:10]}"
        print(f"ok - none of {len(needles)} personal fields of the demo is in the raw files, "
              f"`mdb_dump -p` or the log of the hub and {len(c.nodes)} nodes")

        # A household removed: nothing of it can be read anywhere.
        with open(os.path.join(c.dir, "data", z.owner, "households.csv"),
                  encoding="utf-8") as f:
            h = next(row for row in csv.DictReader(f) if row["id"] == "h00005")
        z.ctl("household", "remove", "h00005")
        c.wait_converged()
        for d in daemons:
            p = d.ctl("household", "show", "h00005", "--owner", z.owner, check=False)
            assert p.returncode == 1 and "no household h00005" in p.stderr, (d.name, p)
        for d in daemons:
            d.stop()
        hits = found(daemons, [h["phone"], h["address"]])
        assert not hits, f"a removed household readable: {hits}"
        print(f"ok - household h00005 removed: its phone {h['phone']} is nowhere readable")

        for d in daemons:
            d.start()
        for d in daemons:
            p = d.ctl("verify", check=False)
            assert p.returncode == 0, f"{d.name}: {p.stderr}"
        print("ok - verify passes at the hub and every node")

        # The data key: another one, a readable one, a missing one, the signing key.
        conf = open(z.conf).read()
        other = os.path.join(z.dir, "other_data_key")
        c.keygen(other, data=True)
        z.stop()
        with open(z.conf, "w") as f:
            f.write(conf.replace(f"data_key_file = {z.data_key}", f"data_key_file = {other}"))
        refused(z, f"store {z.state}: the data key in {other} is not the one this database "
                   "was made with")
        print("ok - a database started with another data key is refused, saying so")
        with open(z.conf, "w") as f:
            f.write(conf.replace(f"data_key_file = {z.data_key}", f"data_key_file = {z.key}"))
        refused(z, f"data key file {z.key} holds the signing key")
        print("ok - the signing key given as the data key is refused")
        with open(z.conf, "w") as f:
            f.write(conf)
        os.chmod(z.data_key, 0o644)
        refused(z, f"data key file {z.data_key}: mode 644 lets others read it")
        os.chmod(z.data_key, 0o600)
        print("ok - a data key file others can read is refused")
        os.rename(z.data_key, z.data_key + ".away")
        refused(z, "(make one with `linlictl keygen --data FILE`)")
        os.rename(z.data_key + ".away", z.data_key)
        p = subprocess.run([cluster.LINLICTL, "keygen", "--data", z.data_key],
                           capture_output=True, text=True)
        assert p.returncode == 1 and "exists; not overwriting" in p.stderr, p
        print("ok - a missing data key file is refused with how to make one; keygen never "
              "overwrites one")
        z.start()
        z.ctl("verify")
        print("ok - with its own data key it starts and verifies")


if __name__ == "__main__":
    main()
