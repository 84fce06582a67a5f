#!/usr/bin/env python3
"""LMDB readers of other processes at the hub: a backup's mdb_copy.

A reader that dies holding its read transaction (an `mdb_copy -c` of the
hub's state directory, SIGKILLed half-way) leaves its slot in LMDB's reader
table, and until someone clears it no page freed after its snapshot can be
reused: the hub's data file grows by tens of kilobytes per one-record
update.  linlid clears such slots by itself within a few seconds, logs the
process and counts it (status stale_readers_cleared), and the file stops
growing: measured over 200 one-record updates relayed from a node, before
the reader and after the clear.

A reader that hangs (the same mdb_copy, SIGSTOPped) is alive: status names
it (oldest_reader_pid, oldest_reader_s, oldest_reader_behind) and, once it
has held its snapshot past reader_warn_s, reports a problem and logs a
warning; killed, it is cleared as above and the problem goes away.
linlid's own read transactions never show.

The copies write into a pipe nobody reads (4 KiB, smaller than the copy), so
they block with their read transaction open.  `-c`: a plain mdb_copy holds
LMDB's write lock while it writes its first two pages, which would stop the
hub's writes instead.  Only processes this test started are signalled.
Needs mdb_copy and mdb_stat (Debian lmdb-utils); otherwise SKIP."""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

SKIP = 77
UPDATES = 200
CLEAR_S = 10  # linlid checks every 2 s: a dead reader is cleared within this
WARN_S = 2    # reader_warn_s for the second part
# What 200 updates may add to the hub's file without a reader pinning pages:
# their log entries and a little slack (about 50 KiB here; with a dead
# reader's slot left in place, about 6 MiB).
GROWTH_MAX = 1 << 20


def status_pairs(d):
    """The hub's status as a list of (name, value): problem may repeat."""
    p = d.ctl("--json", "status")
    return json.loads(p.stdout, object_pairs_hook=list)


def status(d):
    pairs = status_pairs(d)
    st = dict(pairs)
    st["problems"] = [v for k, v in pairs if k == "problem"]
    return st


class Copy:
    """An `mdb_copy -c` of a state directory into a pipe nobody reads: it
    blocks with its read transaction open."""

    def __init__(self, state):
        self.r, w = os.pipe()
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
        self.proc = subprocess.Popen(["mdb_copy", "-c", state], stdout=w,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        os.close(w)
        self.pid = self.proc.pid
        try:
            cluster.wait_until(f"mdb_copy {self.pid} reads",
                               lambda: reader_txn(state, self.pid), 10)
        except BaseException:
            self.kill()
            raise

    def stop(self):
        os.kill(self.pid, signal.SIGSTOP)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        if self.r is not None:
            os.close(self.r)
            self.r = None


def readers(state):
    """{pid: txnid or None} from LMDB's reader table, as mdb_stat lists it
    (its exit status is 1 after a listing: it returns what fputs did)."""
    p = subprocess.run(["mdb_stat", "-r", state], capture_output=True, text=True, timeout=10)
    out = p.stdout
    if "Reader Table Status" not in out:
        raise RuntimeError(f"mdb_stat -r {state}: {p.stderr.strip()}")
    table = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[0].isdigit():
            table[int(f[0])] = None if f[2] == "-" else int(f[2])
    return table


def reader_txn(state, pid):
    return readers(state).get(pid)


def data_size(d):
    return os.path.getsize(os.path.join(d.state, "data.mdb"))


class Writer:
    """One-record updates at a node, relayed to the hub."""

    def __init__(self, c, node):
        self.c, self.node, self.n = c, node, 0
        node.ctl("service", "add", "s1", "name=长者食堂", "category=elderly")

    def updates(self, count):
        for _ in range(count):
            self.n += 1
            self.node.ctl("service", "set", "s1", f"walk_minutes={self.n % 1000 + 1}")
        want = int(self.node.status()["log_public"])
        cluster.wait_until("the hub holds the updates", lambda: self.c.hub.stats()
                           .get(self.node.owner, {}).get("seq_public") == want, 30)

    def growth(self, count):
        """Bytes the hub's data file grew by over count updates."""
        before = data_size(self.c.hub)
        self.updates(count)
        return data_size(self.c.hub) - before


def part_dead_reader(c, w):
    hub = c.hub
    w.updates(UPDATES)  # the freelist settles
    base = w.growth(UPDATES)
    print(f"ok - {UPDATES} updates, no other reader: the hub's data file grew {base} bytes")

    copy = Copy(hub.state)
    txnid = reader_txn(hub.state, copy.pid)
    w.updates(5)  # the backup runs a while, writes go on
    time.sleep(2.5)
    copy.kill()  # SIGKILL half-way: LMDB cannot release its slot
    t0 = time.monotonic()
    try:
        cluster.wait_until("the dead reader's slot is cleared",
                           lambda: copy.pid not in readers(hub.state), CLEAR_S, step=0.2)
        cleared_s = time.monotonic() - t0
    except TimeoutError:
        cleared_s = None
    after = w.growth(UPDATES)
    st = status(hub)
    print(f"# mdb_copy {copy.pid} (snapshot {txnid}) killed; cleared after "
          f"{'never' if cleared_s is None else f'{cleared_s:.1f} s'}; {UPDATES} updates then "
          f"grew the file {after} bytes")
    assert after <= GROWTH_MAX, (
        f"the hub's data file grew {after} bytes over {UPDATES} updates after mdb_copy "
        f"{copy.pid} was killed holding a read transaction ({base} without it): its reader "
        f"slot pins the pages; status: stale_readers_cleared="
        f"{st.get('stale_readers_cleared', 'absent')}")
    assert cleared_s is not None, "the dead reader's slot is still in the reader table"
    assert st.get("stale_readers_cleared") == "1", st
    assert st.get("oldest_reader_s") == "none", st
    assert not st["problems"], st
    log = hub.log_text()
    assert f"process {copy.pid}" in log and "cleared" in log, hub.log_tail(20)
    print(f"ok - a killed mdb_copy's reader slot is cleared within {cleared_s:.1f} s "
          f"(stale_readers_cleared=1), and {UPDATES} updates then grow the file {after} "
          f"bytes, not megabytes")
    print("# log: " + next(line for line in log.splitlines() if f"process {copy.pid}" in line))


def part_hung_reader(c, w):
    hub = c.hub
    hub.stop()
    hub.write_config(f"reader_warn_s = {WARN_S}\n")
    hub.start()
    w.updates(5)
    st = status(hub)
    assert st.get("oldest_reader_s") == "none" and not st["problems"], st
    print("ok - linlid's own reads show no reader: oldest_reader_s=none")

    copy = Copy(hub.state)
    try:
        copy.stop()  # a hung backup: alive, its snapshot held
        w.updates(5)  # the snapshot falls behind: it pins pages

        def warned():
            s = status(hub)
            return s.get("oldest_reader_pid") == str(copy.pid) and \
                any(f"process {copy.pid}" in p for p in s["problems"]) and s
        st = cluster.wait_until("status warns of the hung reader", warned, WARN_S + CLEAR_S,
                                step=0.2)
        assert int(st["oldest_reader_s"]) >= WARN_S, st
        assert int(st["oldest_reader_behind"]) >= 5, st
        assert st["stale_readers_cleared"] == "0", st
        assert copy.pid in readers(hub.state), "a live reader must not be cleared"
        cluster.wait_until("the hung reader is logged",
                           lambda: f"process {copy.pid} has held" in hub.log_text(), CLEAR_S)
        line = next(x for x in hub.log_text().splitlines() if f"process {copy.pid} has held" in x)
        print(f"ok - a stopped mdb_copy is a live reader: status shows oldest_reader_pid="
              f"{copy.pid} oldest_reader_s={st['oldest_reader_s']} oldest_reader_behind="
              f"{st['oldest_reader_behind']}")
        print("# status: problem=" + next(p for p in st["problems"] if str(copy.pid) in p))
        print("# log: " + line)
    finally:
        copy.kill()

    def cleared():
        s = status(hub)
        return s.get("stale_readers_cleared") == "1" and s.get("oldest_reader_s") == "none" \
            and not s["problems"] and s
    cluster.wait_until("the killed reader is cleared and the problem gone", cleared, CLEAR_S,
                       step=0.2)
    assert copy.pid not in readers(hub.state)
    print("ok - once killed it is cleared (stale_readers_cleared=1) and the problem is gone")


def main():
    missing = [t for t in ("mdb_copy", "mdb_stat") if shutil.which(t) is None]
    if missing:
        print(f"SKIP: {' and '.join(missing)} not installed (Debian lmdb-utils)")
        sys.exit(SKIP)
    communities = [x for x in cluster.COMMUNITIES if x[1] == "Linkou"]
    with cluster.Cluster(communities) as c:
        c.start()
        w = Writer(c, c.node("Linkou"))
        part_dead_reader(c, w)
        part_hung_reader(c, w)


if __name__ == "__main__":
    main()
