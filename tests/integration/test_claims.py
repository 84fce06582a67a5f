#!/usr/bin/env python3
"""Claims that are not proven (issue 12, item 3): what one community says
about another owner's log changes nothing until that owner's signatures
prove it.

A trusted community (linli-inject with Tester's key, no daemon) says in its
HELLO that it holds the subdistrict's own public log far beyond the hub's
head.  The hub asks it for those change sets (GIVE), keeps taking its own
writes, logs the claim with who made it (not once per HELLO), shows it in
status, and drops it once it was not proven within claim_expiry_s.  A
snapshot it offers of its own log (its HELLO says the log starts after a
checkpoint the hub lacks) takes the hub's one snapshot slot only once a
chunk with that checkpoint, signed by it, has come.  The real
case still works with the same claimant at it: a hub whose database was
lost takes its own log back from the nodes (they prove it with change sets
the hub signed) and writes again, while Tester's claim stays unproven.
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

INJECT = os.path.join(cluster.BUILD, "tests", "linli-inject")
TESTER = ("350582006011", "Tester")  # trusted, no daemon: linli-inject plays it
FAR = 1000000                        # the head Tester claims for the hub's own log


def inject(c, key, *args, timeout=60):
    p = subprocess.run([INJECT, c.endpoint, c.hub.pub, key, TESTER[0], *args],
                       capture_output=True, text=True, timeout=timeout * cluster.SLOW)
    assert p.returncode == 0, f"linli-inject {args}: {p.returncode}\n{p.stdout}{p.stderr}"
    return p.stdout


def claim_lines(hub, since=0):
    """Lines of the hub's log that name Tester and the head it claims."""
    text = hub.log_text()[since:]
    return [ln for ln in text.splitlines() if TESTER[0] in ln and str(FAR) in ln]


def shown(hub):
    """The hub's status line about Tester's claim, or None."""
    line = hub.status().get("claims", "")
    return line if TESTER[0] in line else None


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        key = os.path.join(c.dir, "tester.key")
        pub = c.keygen(key)
        with open(c.trust, "a") as f:
            f.write(f"{TESTER[0]} {pub} {TESTER[1]}\n")
        c.start()
        hub, z = c.hub, c.node("Zenglin")
        for i in range(3):
            hub.ctl("service", "add", f"sd{i}", "name=党群服务中心", "category=party-mass")
        c.wait_converged()
        own = hub.digests()[hub.owner + "/public"]

        # 1. One HELLO: the hub asks for proof and keeps taking its own writes.
        out = inject(c, key, "claim", hub.owner, str(FAR))
        assert re.search(rf"GIVE {hub.owner}/1={own[0]}\b", out), \
            f"the hub did not ask the claimant for its change sets:\n{out}"
        p = hub.ctl("service", "add", "sd10", "name=新服务", "category=elderly", check=False)
        assert p.returncode == 0, f"the hub refused its own write after a claim: {p.stderr}"
        st = hub.status()
        assert st["writes"] == "accepted" and "own log" not in st.get("problem", ""), st
        said = claim_lines(hub)
        assert said, "the claim is not logged with its claimant:\n" + hub.log_tail(20)
        assert shown(hub), f"status does not show Tester's claim: {st}"
        z.ctl("service", "add", "zc1", "name=长者食堂", "category=elderly")
        c.wait_converged()
        print(f"ok - a HELLO claiming the subdistrict's own log at {FAR}: the hub asked for "
              f"proof (GIVE), took its own write, logged \"{said[0].split(': ', 1)[-1][:90]}\"")

        # 2. Repeated claims are logged at a bounded rate.
        at = len(hub.log_text())
        inject(c, key, "claim", hub.owner, str(FAR), "30", "20")
        assert len(claim_lines(hub, at)) <= 1, "\n".join(claim_lines(hub, at))
        assert hub.ctl("service", "add", "sd11", "name=新服务", "category=elderly",
                       check=False).returncode == 0
        print("ok - 30 more such HELLOs: at most one more line in the hub's log, writes go on")

        # 3. A claim not proven within claim_expiry_s is dropped.
        hub.stop()
        hub.write_config("claim_expiry_s = 3\n")
        hub.start()
        c.wait_converged()
        at = len(hub.log_text())
        made = time.monotonic()
        inject(c, key, "claim", hub.owner, str(FAR))
        assert shown(hub), f"status does not show the claim: {hub.status()}"
        cluster.wait_until("the claim dropped", lambda: shown(hub) is None, 10 * cluster.SLOW)
        took = time.monotonic() - made
        assert took >= 2.5, f"dropped after {took:.1f} s, before its expiry"
        dropped = [ln for ln in claim_lines(hub, at) if "claim dropped" in ln]
        assert dropped, "the drop is not logged:\n" + hub.log_tail(20)
        assert int(hub.status()["claims_dropped"]) == 1, hub.status()
        print(f"ok - claim_expiry_s = 3: the claim was gone from status after {took:.1f} s, "
              f"logged \"{dropped[0].split(': ', 1)[-1][:90]}\"")

        # 4. The real case, with Tester claiming all along: the hub's database
        #    is lost, the nodes prove its own log with its change sets, it
        #    takes the log back and writes again; Tester's claim proves nothing.
        own = hub.digests()[hub.owner + "/public"]
        hub.stop()
        shutil.rmtree(hub.state)
        hub.write_config("claim_expiry_s = 120\n")
        hub.start()
        claimant = subprocess.Popen([INJECT, c.endpoint, hub.pub, key, TESTER[0], "claim",
                                     hub.owner, str(FAR), "40", "300"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            cluster.wait_until("the hub takes its own log back, Tester's claim open",
                               lambda: hub.digests().get(hub.owner + "/public") == own and
                               hub.status()["writes"] == "accepted" and shown(hub),
                               30 * cluster.SLOW)
            hub.ctl("service", "add", "sd20", "name=新服务", "category=elderly")
            nodes = {n.owner for n in c.nodes}
            proven = [ln for ln in hub.log_text().splitlines()
                      if "which this database lacked" in ln]
            assert any(o in ln for ln in proven for o in nodes), \
                "no node's proof logged:\n" + hub.log_tail(30)
            assert not any(TESTER[0] in ln for ln in proven), proven
        finally:
            claimant.kill()
            claimant.wait()
        c.wait_converged()
        hub.ctl("verify")
        print(f"ok - a wiped hub took its own public log back from the nodes ({own[0]} change "
              "sets, same digest) and writes again while Tester's claim stays unproven")

        # 5. A snapshot offered on Tester's word (its HELLO says its own log
        #    starts after checkpoint 40, which the hub lacks) takes nothing
        #    of the hub's until a chunk signed by Tester comes: the hub's one
        #    snapshot slot stays free for the others while Tester sends none.
        before = hub.status()
        claimant = subprocess.Popen([INJECT, c.endpoint, hub.pub, key, TESTER[0], "trimmed",
                                     "50", "40", "15", "200"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            seen = []
            deadline = time.monotonic() + 3 * cluster.SLOW
            while time.monotonic() < deadline:
                snap = hub.status().get("snapshot")
                if snap:
                    seen.append(snap)
                time.sleep(0.1)
        finally:
            claimant.kill()
            claimant.wait()
        assert not seen, f"the hub's snapshot slot was taken on Tester's word: {seen[0]}"
        after = hub.status()
        assert after["snapshots_refused"] == before["snapshots_refused"], after
        print("ok - 15 HELLOs offering a snapshot of Tester's log (checkpoint 40) without a "
              "signed chunk: the hub's snapshot slot was never taken")


if __name__ == "__main__":
    main()
