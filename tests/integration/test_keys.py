#!/usr/bin/env python3
"""Trust list changes: a reload (SIGHUP or linlictl reload) is in force for
the next connection; a community's key rotation keeps its log going and its
history verifiable; a revoked community's change sets and links are refused
while its history still verifies; a key file others can read is refused."""

import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

INJECT = os.path.join(cluster.BUILD, "tests", "linli-inject")
TESTER = "350582006011"  # no daemon: linli-inject plays it


def inject(c, key, owner, *args):
    p = subprocess.run([INJECT, c.endpoint, c.hub.pub, key, owner, *args],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def hub_seq(c, owner):
    return c.hub.stats()[owner]["seq_public"]


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        z, lk = c.node("Zenglin"), c.node("Linkou")
        tester_key = os.path.join(c.dir, "tester.key")
        tester_pub = c.keygen(tester_key)

        os.chmod(z.key, 0o644)
        z.start(wait=False)
        z.proc.wait(10)
        assert z.proc.returncode != 0
        assert f"key file {z.key}: mode 644 lets others read it" in z.log_text(), z.log_tail()
        os.chmod(z.key, 0o600)
        print("ok - a key file others can read is refused at start, naming it and its mode")

        c.start()
        # Reload by SIGHUP: a key added by hand opens a link from then on.
        out = inject(c, tester_key, TESTER, "ok", "1")
        assert "ACK" not in out, out
        with open(c.trust, "a") as f:
            f.write(f"{TESTER} {tester_pub} Tester\n")
        c.hub.proc.send_signal(signal.SIGHUP)
        cluster.wait_until("SIGHUP reload", lambda: f"trust list: {TESTER} (Tester) added"
                           in c.hub.log_text(), 10)
        out = inject(c, tester_key, TESTER, "ok", "1")
        assert f"ACK {TESTER}/1=1" in out, out
        print("ok - SIGHUP: the hub re-reads the trust list, logs what changed, and a new "
              "owner's link is accepted from then on")

        # Reload by linlictl: revoked by hand, refused from then on.
        with open(c.trust) as f:
            text = f.read()
        with open(c.trust, "w") as f:
            f.write(text.replace(f"\n{TESTER} ", f"\nrevoked {TESTER} "))
        st = c.hub.ctl("reload", json_out=True)
        assert st["changes"] == "1", st
        assert f"{TESTER} (Tester) revoked" in c.hub.log_text()
        denied = int(c.hub.status()["refused_unknown_key"])
        out = inject(c, tester_key, TESTER, "ok", "2")
        assert "ACK" not in out, out
        assert int(c.hub.status()["refused_unknown_key"]) > denied
        print("ok - linlictl reload: the revoked owner's new link is refused")

        # Rotation.  Zenglin writes under its old key, the hub trusts a new
        # one (the old one retired), the nodes reload; Zenglin, still on the
        # old key, writes on; then it restarts with the new key and goes on.
        z.ctl("service", "add", "r1", "name=旧钥匙", "category=elderly")
        c.wait_converged()
        new_key = os.path.join(c.dir, "zenglin.new")
        new_pub = c.keygen(new_key)
        old_pub = z.pub
        c.hub.ctl("trust", "add", z.owner, new_pub, "Zenglin")
        rows = {(r["owner"], r["pubkey"]): r["status"]
                for r in c.hub.ctl("trust", "list", json_out=True)}
        assert rows[(z.owner, new_pub)] == "current" and rows[(z.owner, old_pub)] == "retired"
        assert f"{z.owner} (Zenglin) has a new key" in c.hub.log_text()
        lk.ctl("reload")
        z.proc.send_signal(signal.SIGHUP)
        z.ctl("service", "add", "r2", "name=过渡", "category=elderly")
        c.wait_converged()
        z.stop()
        p = subprocess.run([cluster.LINLID, "-c", z.conf], capture_output=True, text=True,
                           timeout=20)
        assert p.returncode != 0 and "it is a retired key" in p.stderr, p.stderr
        old_key = os.path.join(c.dir, "zenglin.old")
        shutil.copy(z.key, old_key)
        shutil.copy(new_key, z.key)
        os.chmod(z.key, 0o600)
        z.pub = new_pub
        z.start()
        z.ctl("service", "add", "r3", "name=新钥匙", "category=elderly")
        c.wait_converged()
        assert hub_seq(c, z.owner) == 3, c.hub.stats()[z.owner]
        for d in (c.hub, z, lk):
            d.ctl("verify")
        ids = {r["id"] for r in lk.ctl("service", "list", "--owner", z.owner, json_out=True)}
        assert ids == {"r1", "r2", "r3"}, ids
        print("ok - key rotation: the log goes on across the new key; past change sets still "
              "verify at the hub and the nodes")

        # The retired key opens no link any more.
        denied = int(c.hub.status()["refused_unknown_key"])
        out = inject(c, old_key, z.owner, "ok", "4")
        assert "ACK" not in out and int(c.hub.status()["refused_unknown_key"]) > denied, out
        print("ok - the retired key opens no link")
        out = inject(c, z.key, z.owner, "signwith", "4", old_key)
        assert "signed by a retired key after a newer key signed" in out, out
        assert int(c.hub.status()["refused_old_key"]) == 1
        assert hub_seq(c, z.owner) == 3
        print("ok - a change set signed by the retired key after the new one signed is refused")

        # A node that never saw Zenglin's log takes it whole from the hub,
        # signed by both keys.
        lk.stop()
        shutil.rmtree(lk.state)
        lk.start()
        lk.wait_writable(30)
        c.wait_converged()
        lk.ctl("verify")
        print("ok - a fresh replica takes a rotated log from the hub and verifies it")

        # Revocation of Linkou: its later change sets are refused, its
        # history still verifies.
        lk.ctl("service", "add", "k1", "name=林口", "category=elderly")
        c.wait_converged()
        seq = hub_seq(c, lk.owner)
        c.hub.ctl("trust", "revoke", lk.owner)
        assert f"{lk.owner} (Linkou) revoked" in c.hub.log_text()
        lk.ctl("service", "add", "k2", "name=撤销后", "category=elderly")
        cluster.wait_until("revoked owner refused",
                           lambda: int(c.hub.status()["refused_revoked"]) > 0, 10)
        assert hub_seq(c, lk.owner) == seq
        denied = int(c.hub.status()["refused_unknown_key"])
        out = inject(c, lk.key, lk.owner, "ok", "1")
        assert "ACK" not in out and int(c.hub.status()["refused_unknown_key"]) > denied, out
        st = c.hub.ctl("verify", json_out=True)  # Zenglin 3, Tester 1, Linkou 1
        assert int(st["change_sets"]) == 5, st
        print("ok - revocation: the community's new change sets and links are refused; its "
              "history still verifies at the hub")
        lk.stop()  # its trust file now says it is revoked: it would not start again
        p = subprocess.run([cluster.LINLID, "-c", lk.conf], capture_output=True, text=True,
                           timeout=20)
        assert p.returncode != 0 and "is revoked" in p.stderr, p.stderr
        print("ok - a revoked community's daemon refuses to start")


if __name__ == "__main__":
    main()
