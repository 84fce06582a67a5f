#!/usr/bin/env python3
"""Disk a community can fill (issue 12, item 6).

One community cannot fill the others' disks:
- relayed public logs are compacted at every node, as the owner's own
  logs are: a community that imports the same big file again and again
  leaves at another node no more than a checkpoint's worth of its log;
- the hub keeps a quota per community (live records, their bytes, and the
  log not yet compacted), with overrides per community; a node learns it
  from the hub and refuses a write that would go over before it commits
  anything (`linlictl add` and `import` exit 1, saying which quota and what
  to do), deletes always go through;
- a community that sends raw change sets at the size limit itself (no
  checkpoints, so nothing can be compacted) is refused by the hub once its
  log reaches quota_log_bytes: counted, logged once per cause and minute,
  shown per community in the hub's status; the other nodes hold no more of
  it than that.
Small quotas keep it short."""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

INJECT = os.path.join(cluster.BUILD, "tests", "linli-inject")
MiB = 1 << 20
CKPT_EVERY = 4


def services_csv(path, prefix, n, text=2000, fields=1, fill="x"):
    """n services prefix00000.., each with `fields` text fields of `text` bytes."""
    cols = ["name", "provider", "place"][:fields]
    with open(path, "w") as f:
        f.write("id," + ",".join(cols) + ",category\n")
        for i in range(n):
            f.write(f"{prefix}{i:05d}," + ",".join([fill * text] * fields) + ",elderly\n")
    return path


def logs(d):
    return {(r["owner"], r["stream"]): (int(r["seq"]), int(r["checkpoint"]))
            for r in d.ctl("logs", json_out=True)}


def entries(d):
    """Change sets the database holds, every owner's, as LMDB counts them."""
    out = subprocess.run(["mdb_stat", "-s", "log", d.state], capture_output=True, text=True,
                         check=True).stdout
    return int(re.search(r"Entries: (\d+)", out).group(1))


def data_mb(d):
    return os.path.getsize(os.path.join(d.state, "data.mdb")) / MiB


def inject(c, key, owner, *args):
    p = subprocess.run([INJECT, c.endpoint, c.hub.pub, key, owner, *args],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Linge", "Zenglin")]
    with cluster.Cluster(communities) as c, tempfile.TemporaryDirectory() as tmp:
        b, g, z = c.node("Linkou"), c.node("Linge"), c.node("Zenglin")
        for d in (c.hub, b, z):
            d.write_config(f"checkpoint_every = {CKPT_EVERY}\n")
        c.hub.start()
        for n in (b, z):
            n.start()
            n.wait_writable()

        # 1. Zenglin imports the same 2 MB of services again and again, each
        # time changed (an import of what is stored already writes nothing):
        # the records stay 2 MB, its log grows 2 MB each time until compacted.
        same = os.path.join(tmp, "services.csv")
        imports = iter(range(1000))

        def import_same():
            services_csv(same, "s", 1000, fill="xyz"[next(imports) % 3])
            z.ctl("import", same)

        for _ in range(2):
            import_same()
        cluster.wait_until("Linkou has Zenglin's log",
                           lambda: c.public_seq_at(b, z.owner) == 2, 20)
        before, mb_before = entries(b), data_mb(b)
        rounds = 10
        for _ in range(rounds):
            import_same()
        head = 2 + rounds
        cluster.wait_until("Linkou has all of Zenglin's log",
                           lambda: logs(b)[(z.owner, "public")][0] == head, 30)

        def compacted():
            seq, ckpt = logs(b)[(z.owner, "public")]
            return ckpt > 0 and seq - ckpt <= CKPT_EVERY and entries(b) - before <= CKPT_EVERY

        cluster.wait_until("Linkou compacts Zenglin's relayed public log", compacted, 20)
        seq, ckpt = logs(b)[(z.owner, "public")]
        grown = entries(b) - before
        assert int(b.status()["compactions"]) >= 1
        pub = z.owner + "/public"
        assert b.digests()[pub] == c.hub.digests()[pub] == z.digests()[pub]
        b.ctl("verify")
        print(f"ok - Linkou compacts Zenglin's relayed public log: after {rounds} more "
              f"imports of the same 2 MB it holds {seq - ckpt} of its {seq} change sets "
              f"(from {ckpt}), LMDB log entries {before} -> {before + grown}, data.mdb "
              f"{mb_before:.1f} -> {data_mb(b):.1f} MiB; digests agree, verify passes")

        # 2. Quotas at the hub: small ones, and an override for Zenglin.
        c.hub.stop()
        c.hub.write_config(f"checkpoint_every = {CKPT_EVERY}\n"
                           "quota_records = 100000\nquota_bytes = 64M\n"
                           "quota_log_bytes = 24M\n"
                           f"quota_records.{z.owner} = 1600\nquota_bytes.{z.owner} = 4M\n")
        c.hub.start()

        def learnt():
            st = z.status()
            if st.get("quota_records") == "1600" and st.get("quota_bytes") == str(4 * MiB):
                return st
            return None

        st = cluster.wait_until("Zenglin learns its quota from the hub", learnt, 15)
        assert st["quota_used_records"] == "1000", st
        used = int(st["quota_used"])
        assert 1000 * 2000 < used < 1000 * 2100, st
        assert st["quota_log_bytes"] == str(24 * MiB), st
        print(f"ok - Zenglin learns its quota at the hub: quota_used_records="
              f"{st['quota_used_records']} quota_records={st['quota_records']} "
              f"quota_used={st['quota_used']} quota_bytes={st['quota_bytes']} "
              f"quota_used_log={st['quota_used_log']} quota_log_bytes={st['quota_log_bytes']}")

        def unchanged(p, what):
            assert p.returncode == 1, (what, p.returncode, p.stdout, p.stderr)
            st = z.status()
            assert (st["log_public"], st["quota_used_records"]) == (str(head), "1000"), st
            assert z.stats()[z.owner]["services"]["elderly"] == 1000
            return p.stderr.strip()

        # Over the records quota: refused before anything is sent.
        more = services_csv(os.path.join(tmp, "more.csv"), "m", 700)
        err = unchanged(z.ctl("import", "--kind", "service", more, check=False), "import over quota_records")
        assert f"community {z.owner} would be over its quota at the hub: 1700 of 1600 " \
            "records" in err and "quota_records" in err and "nothing was imported" in err, err
        print(f"ok - an import over the records quota exits 1, nothing written: {err}")
        # Over the bytes quota.
        big = services_csv(os.path.join(tmp, "big.csv"), "b", 400, fields=3)
        err = unchanged(z.ctl("import", "--kind", "service", big, check=False), "import over quota_bytes")
        assert f"community {z.owner} would be over its quota at the hub: " in err and \
            "MiB of 4 MiB of records" in err and "raise quota_bytes" in err, err
        print(f"ok - an import over the bytes quota exits 1, nothing written: {err}")

        # Up to the quota, then one more add is refused; a remove goes through.
        z.ctl("import", "--kind", "service", services_csv(os.path.join(tmp, "small.csv"), "t", 600, text=20))
        p = z.ctl("service", "add", "extra1", "name=x", "category=elderly", check=False)
        assert p.returncode == 1 and "would be over its quota at the hub: 1601 of 1600 " \
            "records" in p.stderr and "nothing was written" in p.stderr, p.stderr
        print(f"ok - at the quota an add exits 1: {p.stderr.strip()}")
        z.ctl("service", "remove", "t00000")
        z.ctl("service", "add", "extra1", "name=x", "category=elderly")
        cluster.wait_until("the hub has Zenglin's writes",
                           lambda: c.hub.stats()[z.owner]["services"]["elderly"] == 1600, 15)
        print("ok - a remove at the quota goes through, and then an add fits again")

        # The hub lowers Zenglin's quota below what it holds: the node says
        # so, deletes still go through (the hub takes them), adds do not.
        c.hub.stop()
        c.hub.write_config(f"checkpoint_every = {CKPT_EVERY}\n"
                           "quota_records = 100000\nquota_bytes = 64M\n"
                           "quota_log_bytes = 24M\n"
                           f"quota_records.{z.owner} = 1500\nquota_bytes.{z.owner} = 4M\n")
        c.hub.start()
        cluster.wait_until("Zenglin learns the lower quota",
                           lambda: z.status().get("quota_records") == "1500", 15)
        st = z.status()
        assert "is over its quota at the hub: 1600 of 1500 records" in st.get("problem", ""), st
        p = z.ctl("service", "add", "extra2", "name=x", "category=elderly", check=False)
        assert p.returncode == 1 and "1601 of 1500 records" in p.stderr, p.stderr
        z.ctl("service", "remove", "t00001")
        cluster.wait_until("the hub takes the delete",
                           lambda: c.hub.stats()[z.owner]["services"]["elderly"] == 1599, 15)
        line = c.hub.status()[f"quota.{z.owner}"]
        assert line.startswith("records 1599/1500 bytes "), line
        print(f"ok - over a lowered quota a node refuses adds and says so (problem: "
              f"{st['problem']}); the hub takes its deletes: quota.{z.owner}={line}")

        # 3. Linge plays a hostile community (linli-inject with its key, no
        # node): raw change sets of 8 MB each, never a checkpoint.
        out = inject(c, g.key, g.owner, "fill", "6", str(8_000_000))
        refusals = [x for x in out.splitlines() if x.startswith("fill ERR")]
        assert len(refusals) == 1 and "over its quota" in refusals[0] and \
            "quota_log_bytes" in refusals[0], out
        out2 = inject(c, g.key, g.owner, "fill", "6", str(8_000_000))
        assert sum(x.startswith("fill ERR") for x in out2.splitlines()) == 1, out2
        st = c.hub.status()
        assert int(st["refused_quota"]) >= 2, st
        assert g.owner in st.get("problem", "") and "quota" in st["problem"], st
        quota_line = st[f"quota.{g.owner}"]
        logged = [x for x in c.hub.log_text().splitlines()
                  if "refused" in x and g.owner in x and "quota" in x]
        assert len(logged) == 1, logged
        cluster.wait_until("Linkou has what the hub took of Linge",
                           lambda: c.public_seq_at(b, g.owner) == 3, 20)
        print(f"ok - raw 8 MB change sets: the hub takes 3 (24 MB), refuses the next "
              f"({refusals[0]}); refused_quota={st['refused_quota']}, one log line: "
              f"{logged[0].strip()}; quota.{g.owner}={quota_line}; Linkou holds 3 of them")


if __name__ == "__main__":
    main()
