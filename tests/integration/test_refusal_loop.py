#!/usr/bin/env python3
"""Nothing refused is retried in a hot loop.  Seen: a community's key is
rotated at the hub, but one other node keeps its old trust file: it refuses
the relayed change sets signed by the new key.  It must back off (bounded
exponential), log the cause once with a count, show it in status as a
problem, keep taking the other communities' change sets, and clear by
itself once its trust file is reloaded."""

import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

WINDOW = 10.0  # seconds of refusals measured


def cpu_seconds(d):
    """User + system CPU time of a daemon's process (it is ours: we started it)."""
    with open(f"/proc/{d.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lines(d):
    with open(d.logfile, errors="replace") as f:
        return sum(1 for _ in f)


def ids(d, owner):
    return {r["id"] for r in d.ctl("service", "list", "--owner", owner, json_out=True) or []}


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin", "Yingtang")]
    with cluster.Cluster(communities) as c:
        z, lk, yt = c.node("Zenglin"), c.node("Linkou"), c.node("Yingtang")
        # Linkou keeps a trust file of its own, which nobody updates.
        own_trust = os.path.join(lk.dir, "trust")
        shutil.copy(c.trust, own_trust)
        with open(lk.conf) as f:
            conf = f.read().replace(f"trust_file = {c.trust}", f"trust_file = {own_trust}")
        with open(lk.conf, "w") as f:
            f.write(conf)
        c.start()
        z.ctl("service", "add", "r1", "name=旧钥匙", "category=elderly")
        c.wait_converged()

        # Zenglin's key is rotated at the hub as the README says; Linkou is
        # not told.
        new_key = os.path.join(c.dir, "zenglin.new")
        new_pub = c.keygen(new_key)
        c.hub.ctl("trust", "add", z.owner, new_pub, "Zenglin")
        yt.ctl("reload")
        z.stop()
        shutil.copy(new_key, z.key)
        os.chmod(z.key, 0o600)
        z.pub = new_pub
        z.start()
        z.ctl("service", "add", "r2", "name=新钥匙", "category=elderly")
        cluster.wait_until("Yingtang takes the new key's change set",
                           lambda: "r2" in ids(yt, z.owner), 15)
        cluster.wait_until("Linkou refuses the relayed change set",
                           lambda: f"of {z.owner} refused" in lk.log_text(), 10)
        cpu_lk, cpu_hub, n_lk = cpu_seconds(lk), cpu_seconds(c.hub), lines(lk)
        # Other communities keep flowing to Linkou meanwhile.
        yt.ctl("service", "add", "y1", "name=英塘", "category=leisure")
        time.sleep(WINDOW)
        used_lk, used_hub = cpu_seconds(lk) - cpu_lk, cpu_seconds(c.hub) - cpu_hub
        logged = lines(lk) - n_lk
        assert "y1" in ids(lk, yt.owner), "another community's change set did not reach Linkou"
        assert "r2" not in ids(lk, z.owner)
        assert used_lk < 1.0, f"Linkou used {used_lk:.2f} s of CPU in {WINDOW} s of refusals"
        assert used_hub < 1.0, f"the hub used {used_hub:.2f} s of CPU in {WINDOW} s"
        assert logged <= 5, f"Linkou logged {logged} lines in {WINDOW} s:\n{lk.log_tail(10)}"
        refusals = [ln for ln in lk.log_text().splitlines() if "refused" in ln and z.owner in ln]
        assert refusals and "times" in refusals[-1], refusals
        st = lk.status()
        assert z.owner in st.get("problem", "") and "signature" in st["problem"], st
        print(f"ok - the refusing node says so in status: problem=\"{st['problem']}\"")
        print(f"ok - over {WINDOW:.0f} s of refusals Linkou used {used_lk:.2f} s of CPU, the "
              f"hub {used_hub:.2f} s, and Linkou logged {logged} lines; the other "
              "communities' change sets still reach it")

        # The cause goes away: the trust file is brought up to date and reloaded.
        shutil.copy(c.trust, own_trust)
        lk.ctl("reload")
        cluster.wait_until("Linkou takes the new key's change set after the reload",
                           lambda: "r2" in ids(lk, z.owner), 15)
        cluster.wait_until("the problem clears", lambda: "problem" not in lk.status(), 10)
        c.wait_converged()
        print("ok - after the reload the held change sets flow and the problem clears by "
              "itself")
        z.proc.send_signal(signal.SIGHUP)


if __name__ == "__main__":
    main()
