#!/usr/bin/env python3
"""Imports that say what they did (issue 13, item 4).

At Zenglin:
  - an import says how many records it added, replaced and left unchanged;
    the same file again writes no change set;
  - --dry-run says what an import would do and writes nothing;
  - linlictl killed half-way through a large import: nothing applied;
  - linlid killed (SIGKILL) half-way through a large import, while
    linlictl is still sending it: after a restart nothing of the file is
    there, the logs verify, and the import run again takes it whole;
  - on a terminal, a progress line: rows checked, committed, acknowledged
    by the hub, and the rate.
"""

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402


def households(path, n, prefix="h", size=3, start=0):
    with open(path, "w") as f:
        f.write("id,grid,head_name,phone,size\n")
        for i in range(start, start + n):
            f.write(f"{prefix}{i:06d},g1,陈志明,139{i:08d},{size}\n")
    return path


def heads(node):
    st = node.status()
    return int(st["log_public"]), int(st["log_personal"])


def run_import(node, *args):
    return json.loads(node.ctl("--json", "import", *args).stdout)


def counts(r):
    return r["added"], r["replaced"], r["unchanged"]


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        c.start()
        z = c.node("Zenglin")
        z.ctl("grid", "add", "g1", "name=一级网格", "level=1")  # the households' grid

        # 1. Counts, and the same file again.
        path = households(os.path.join(c.dir, "households.csv"), 1000)
        p = z.ctl("import", path)
        assert "1000 added, 0 replaced, 0 unchanged" in p.stdout, p.stdout
        before = heads(z)
        p = z.ctl("import", path)
        assert "0 added, 0 replaced, 1000 unchanged" in p.stdout, p.stdout
        assert heads(z) == before, f"a re-import wrote change sets: {before} {heads(z)}"
        print(f"ok - {p.stdout.strip()!r}; the same file again writes no change set "
              f"(heads {before})")

        # 2. --dry-run, then the same for real.
        with open(path) as f:
            lines = f.read().splitlines()
        for i in range(1, 11):
            lines[i] = lines[i].rsplit(",", 1)[0] + ",5"
        lines += [f"n{i:03d},g1,林淑芬,1380000{i:04d},2" for i in range(5)]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = run_import(z, path, "--dry-run")
        assert counts(r) == (5, 10, 990) and r.get("dry_run") is True, r
        p = z.ctl("import", path, "--dry-run")
        assert "would add 5, replace 10 and leave 990 unchanged; nothing written" in p.stdout, \
            p.stdout
        assert heads(z) == before
        assert z.ctl("household", "show", "h000001", json_out=True)["size"] == 3
        assert z.ctl("household", "show", "n000", check=False).returncode == 1
        r = run_import(z, path)
        assert counts(r) == (5, 10, 990), r
        assert heads(z) == (before[0], before[1] + 1), (before, heads(z))
        assert z.ctl("household", "show", "h000001", json_out=True)["size"] == 5
        print(f"ok - --dry-run: {p.stdout.strip()!r}, nothing written; then the import: "
              "the same counts, one change set")

        # 3. linlictl killed half-way: nothing applied; what it staged waits
        #    (import_staged) until it expires.
        before = heads(z)
        n_before = int(z.stats()[z.owner]["households"])
        big = households(os.path.join(c.dir, "households-big.csv"), 60000, prefix="k")
        imp = subprocess.Popen([z.linlictl, "-s", z.sock, "import", big, "--kind", "household",
                                "--batch", "20"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            cluster.wait_until("the import half-way", lambda: z.status()["import_staged"] != "0",
                               30, step=0.01)
        finally:
            imp.kill()
            imp.wait()
        staged = z.status()["import_staged"]
        assert heads(z) == before and z.ctl("household", "show", "k000000",
                                            check=False).returncode == 1, heads(z)
        print(f"ok - linlictl killed half-way: nothing applied (import_staged {staged})")

        # 4. linlid killed half-way: nothing of the file applied.
        imp = subprocess.Popen([z.linlictl, "-s", z.sock, "import", big, "--kind", "household",
                                "--batch", "20"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            def midway():  # beside the one linlictl left staged
                st = z.status()
                return "in 2 imports" in st.get("import_staged", "") or \
                    int(st["log_personal"]) > before[1]
            cluster.wait_until("the import half-way", midway, 30, step=0.01)
            imp.send_signal(signal.SIGSTOP)  # linlictl waits, mid-file
            st = z.status()
            z.kill()
        finally:
            imp.kill()
            imp.wait()
        print(f"ok - linlid killed with an import half-way (import_staged "
              f"{st.get('import_staged', '-')}, log_personal {st['log_personal']})")
        z.start()
        after = heads(z)
        assert after == before, f"a killed import left change sets: {before} -> {after}"
        assert int(z.stats()[z.owner]["households"]) == n_before
        assert z.ctl("household", "show", "k000000", check=False).returncode == 1
        z.ctl("verify")
        z.wait_writable()
        r = run_import(z, big, "--kind", "household", "--batch", "500")
        assert counts(r) == (60000, 0, 0), r
        assert int(z.stats()[z.owner]["households"]) == n_before + 60000
        print(f"ok - after the restart nothing of the file is there (heads {after}), verify "
              "passes; run again, it is imported whole")

        # 5. A progress line on a terminal.
        path = households(os.path.join(c.dir, "households-more.csv"), 30000, prefix="t")
        master, slave = pty.openpty()
        imp = subprocess.Popen([z.linlictl, "-s", z.sock, "import", path, "--kind", "household"],
                               stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        shown = b""
        deadline = time.monotonic() + 60 * cluster.SLOW
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if imp.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        out = imp.communicate(timeout=30)[0].decode()
        os.close(master)
        text = shown.decode(errors="replace")
        assert imp.returncode == 0 and "30000 added" in out, (out, text)
        last = text.replace("\r\n", "\n").split("\r")[-1]
        for word in ("checked 30000", "committed 30000", "acknowledged by the hub", "rows/s"):
            assert word in text, f"{word!r} not in the progress line: {text!r}"
        assert "acknowledged by the hub 30000" in last or "acknowledged by the hub: all" \
            in last, last
        print(f"ok - on a terminal: {last.strip()!r}")


if __name__ == "__main__":
    main()
