#!/usr/bin/env python3
"""Compaction: every 5 change sets (checkpoint_every = 5 here) an owner
signs a checkpoint; the hub folds the owner's log into a base checked
against it and trims it, and then the owner trims its own.  A node that
was away longer than the hub keeps takes a snapshot, checked against the
owner's signature; so does a hub that lost its database, from the nodes,
and a node restoring its own.  Every replica still verifies and agrees by
digest; a base altered on disk is found and refused, never passed on."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402


def logs(d):
    return {(r["owner"], r["stream"]): (int(r["seq"]), int(r["checkpoint"]))
            for r in d.ctl("logs", json_out=True)}


def own(digests, owner):
    return {k: v for k, v in digests.items() if k.startswith(owner + "/")}


def entries(d):
    """Change sets the database holds, as LMDB counts them."""
    out = subprocess.run(["mdb_stat", "-s", "log", d.state], capture_output=True, text=True,
                         check=True).stdout
    return int(re.search(r"Entries: (\d+)", out).group(1))


def write(node, prefix, n, personal=True):
    for i in range(n):
        if personal:
            node.ctl("household", "add", f"{prefix}{i:03d}", "grid=g1", "size=3",
                     f"phone=1380000{i:04d}", "head_name=陈")
        node.ctl("service", "add", f"{prefix}s{i:03d}", "name=长者食堂", "category=elderly")


def trimmed(d, owner, at_least=1):
    row = logs(d)
    return all(row.get((owner, s), (0, 0))[1] >= at_least for s in ("public", "personal"))


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin", "Dongcheng")]
    with cluster.Cluster(communities) as c:
        for d in [c.hub] + c.nodes:
            d.write_config("checkpoint_every = 5\n")
        c.start()
        z, b = c.node("Zenglin"), c.node("Linkou")
        for n in (z, b):
            n.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        write(z, "a", 14)
        write(b, "b", 3)
        c.wait_converged(timeout=30)
        cluster.wait_until("hub and Zenglin trim its logs",
                           lambda: trimmed(c.hub, z.owner) and trimmed(z, z.owner), 15)
        # Folding goes on while we look (each checkpoint the hub folds lets
        # Zenglin trim): compare what the logs say with what LMDB holds
        # until both are read between two folds.
        def held_and_total():
            row = logs(z).values()
            return sum(seq - cp for seq, cp in row), sum(seq for seq, cp in row)
        cluster.wait_until("Zenglin's log holds what its checkpoints leave",
                           lambda: entries(z) == held_and_total()[0], 15)
        held, total = held_and_total()
        assert held < total, (held, total)
        for d in (z, c.hub):
            d.ctl("verify")
        assert own(z.digests(), z.owner) == own(c.hub.digests(), z.owner)
        assert int(c.hub.status()["compactions"]) >= 2
        print(f"ok - logs trimmed once the hub has them: Zenglin keeps {held} of its "
              f"{total} change sets ({logs(z)[(z.owner, 'personal')]} personal seq/from), "
              "verify passes at both, digests agree")

        # Linkou is away while Zenglin's public log moves past what the hub keeps.
        seen = logs(b)[(z.owner, "public")][0]
        b.stop()
        write(z, "c", 12, personal=False)
        cluster.wait_until("hub trims past what Linkou has",
                           lambda: logs(c.hub)[(z.owner, "public")][1] > seen, 15)
        b.start()
        c.wait_converged(timeout=30)
        st = b.status()
        assert int(st["snapshots_taken"]) >= 1 and st["snapshots_refused"] == "0", st
        assert logs(b)[(z.owner, "public")][1] > seen
        pub = z.owner + "/public"
        assert b.digests()[pub] == z.digests()[pub] == c.hub.digests()[pub]
        b.ctl("verify")
        print(f"ok - a node away while the hub trimmed past its change set {seen} catches up "
              f"from a snapshot checked against the owner's signature "
              f"(from {logs(b)[(z.owner, 'public')][1]}), verified, digests agree")

        # The hub loses its database: it takes the nodes' trimmed logs back as snapshots.
        before = {n.owner: own(n.digests(), n.owner) for n in c.nodes}
        stats_before = c.hub.stats()
        c.hub.stop()
        shutil.rmtree(c.hub.state)
        c.hub.start()
        c.wait_converged(timeout=60)
        for n in c.nodes:
            assert own(c.hub.digests(), n.owner) == before[n.owner], n.name
        assert int(c.hub.status()["snapshots_taken"]) >= 2
        c.hub.ctl("verify")
        after = c.hub.stats()
        keys = ("households", "services", "seq_public", "seq_personal")
        for n in c.nodes:
            assert [after[n.owner][k] for k in keys] == [stats_before[n.owner][k] for k in keys]
        print(f"ok - a wiped hub rebuilds trimmed logs from snapshots of the nodes "
              f"({c.hub.status()['snapshots_taken']} taken), same digests and statistics, "
              "verified")

        # Zenglin's disk is lost: restore takes a snapshot and the change sets after it.
        mine = own(z.digests(), z.owner)
        z.stop()
        shutil.rmtree(z.state)
        z.start()
        z.ctl("restore")
        assert own(z.digests(), z.owner) == mine
        z.ctl("verify")
        assert int(z.status()["snapshots_taken"]) >= 1
        z.ctl("household", "add", "d001", "grid=g1", "size=2")
        c.wait_converged(timeout=30)
        assert own(c.hub.digests(), z.owner) == own(z.digests(), z.owner)
        print("ok - a restore after trimming takes snapshots of its own logs plus the rest; "
              "verified, and its sequence continues")

        # A base altered on the hub's disk: verify names the record.  The
        # values are sealed, so the change is a flipped bit of a service's
        # ciphertext (snap_serve cannot read it either: nothing is served).
        c.hub.stop()
        lines = subprocess.run(["mdb_dump", "-s", "base", c.hub.state], capture_output=True,
                               text=True, check=True).stdout.splitlines()
        body = lines[lines.index("HEADER=END") + 1:lines.index("DATA=END")]
        pairs = [(bytes.fromhex(body[i].strip()), bytes.fromhex(body[i + 1].strip()))
                 for i in range(0, len(body), 2)]
        service = z.owner.encode() + b"\0\x01"  # kind 1: services, in the public log
        key, value = next((k, v) for k, v in pairs if k.startswith(service))
        assert "长者".encode() not in value, "a base record stored in clear"
        i = len(value) // 2
        forged = value[:i] + bytes([value[i] ^ 1]) + value[i + 1:]
        rid = key[len(service):].decode()
        subprocess.run(["mdb_load", "-s", "base", c.hub.state], text=True, check=True,
                       input="VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n"
                             f" {key.hex()}\n {forged.hex()}\nDATA=END\n")
        c.hub.start()
        p = c.hub.ctl("verify", check=False)
        assert p.returncode != 0 and f"service {rid} of {z.owner} in the base: the stored " \
            "record fails its authentication check" in p.stderr, p.stderr
        print(f"ok - a base altered on disk fails verify: {p.stderr.strip()}")


if __name__ == "__main__":
    main()
