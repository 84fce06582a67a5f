#!/usr/bin/env python3
"""A full disk loses nothing.  A node's state directory and then the hub's
sit on small tmpfs mounts that the test fills up.

At the node: a write that cannot be stored is refused with "storage full"
(exit 1), both when the disk runs out halfway through a commit (LMDB writes
what fits and reports a short write) and when there is no room at all; the
daemon stays up; status, lists, stats and verify keep working; every
acknowledged record is still there and still reaches the hub; a restart on
the full disk comes up.  Once space is freed, writes and replication resume
without anyone restarting anything.

At the hub: while its disk is full it acknowledges nothing it could not
commit, stays up, and refuses its own writes with "storage full"; once
space is freed the nodes' unacknowledged change sets arrive by themselves
and everything converges.

Needs root (mount); otherwise it prints SKIP and exits 77.  Mounts are
unmounted and daemons stopped (by PID) on every way out."""

import errno
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

SKIP = 77
LIMIT_S = 150  # the whole test, cleanup included, ends within this
FULL = "storage full"


def can_mount():
    """None if a tmpfs can be mounted here, else why not."""
    if os.geteuid() != 0:
        return "not root: cannot mount a small tmpfs"
    d = tempfile.mkdtemp(prefix="linli-mnt-")
    try:
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d],
                           capture_output=True, text=True, timeout=10)
        if p.returncode != 0:
            return f"mount -t tmpfs not permitted: {p.stderr.strip()}"
        subprocess.run(["umount", d], check=True, timeout=10)
        return None
    finally:
        os.rmdir(d)


class Mounts:
    def __init__(self):
        self.paths = []

    def tmpfs(self, path, size):
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path],
                       check=True, timeout=10)
        self.paths.append(path)

    def release(self, keep_copy):
        for path in reversed(self.paths):
            if keep_copy:  # the database as the failure left it, for a post-mortem
                subprocess.run(["cp", "-a", path, path + ".kept"], timeout=30)
            p = subprocess.run(["umount", path], capture_output=True, text=True, timeout=10)
            if p.returncode != 0:
                print(f"# umount {path}: {p.stderr.strip()}; detaching it", file=sys.stderr)
                subprocess.run(["umount", "-l", path], timeout=10)
        self.paths = []


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path, leave=0):
    """Writes a filler file in path's filesystem until about `leave` bytes
    are left (0: until the filesystem refuses with ENOSPC)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            n = min(65536, free_bytes(path) - leave) if leave else 65536
            if n < 4096:
                break
            try:
                os.write(fd, bytes(n))
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                break
    finally:
        os.close(fd)


def households_csv(path, ids, fat=True):
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,grid,address,head_name,phone,size,rented,central,linked_to\n")
        for n, i in enumerate(ids):
            # A long address makes a few hundred rows outgrow the room left.
            addr = ("灵源街道林口社区某某巷" * 4 if fat else "某巷") + f"{n}号"
            f.write(f"{i},g1,{addr},张三,139{n % 100000000:08d},3,no,no,\n")


def adds(prefix, n):
    """Household adds for write_until_refused: (ids, linlictl arguments)."""
    for i in range(n):
        rid = f"{prefix}{i:04d}"
        yield {rid}, ("household", "add", rid, "grid=g1", "size=2", f"phone=1390001{i:04d}")


def imports(path, prefix, n, rows):
    """Household imports of `rows` rows each, the file written just in time."""
    for b in range(n):
        batch = [f"{prefix}{b:02d}{i:03d}" for i in range(rows)]
        households_csv(path, batch)
        yield set(batch), ("import", path)


def write_until_refused(daemon, writes, what):
    """Runs the writes in turn until one is refused, which must be refused
    for a full disk.  A write may still fit after the disk is full (LMDB
    reuses pages freed in its file), so none of them is expected to fail in
    particular.  Returns (ids acknowledged, ids refused)."""
    done = set()
    for rids, args in writes:
        p = daemon.ctl(*args, check=False)
        if p.returncode == 0:
            done |= rids
            continue
        refused_full(p, what)
        return done, rids
    raise AssertionError(f"{what}: no write was refused")


def ids(daemon, owner, prefix=""):
    rows = daemon.ctl("household", "list", "--owner", owner, json_out=True) or []
    return {r["id"] for r in rows if r["id"].startswith(prefix)}


def refused_full(p, what):
    assert p.returncode == 1, f"{what}: exit {p.returncode}, wanted 1: {p.stderr.strip()}"
    assert FULL in p.stderr, f"{what}: refusal does not say '{FULL}': {p.stderr.strip()}"


def verify(daemon):
    p = daemon.ctl("verify", check=False)
    assert p.returncode == 0, f"verify at {daemon.name}: {p.stderr.strip()} {p.stdout.strip()}"


def alive(daemon, pid):
    assert daemon.proc.poll() is None, \
        f"{daemon.name} exited {daemon.proc.returncode}:\n{daemon.log_tail(20)}"
    assert daemon.proc.pid == pid, f"{daemon.name} was restarted"


def no_restart_asked(daemon):
    assert "exiting so the service manager restarts" not in daemon.log_text(), \
        f"{daemon.name} gave up on a full disk:\n{daemon.log_tail(20)}"


def node_full(c, z, lk, dir_z):
    """Zenglin's disk fills; it stays up, refuses, loses nothing, resumes."""
    z.ctl("household", "add", "base", "grid=g1", "size=2", "phone=13900000000")
    acked = {"base"}
    path = os.path.join(z.dir, "households.csv")
    batch = [f"a{i:04d}" for i in range(100)]
    households_csv(path, batch)
    z.ctl("import", path)
    acked |= set(batch)
    c.wait_converged(timeout=30)

    # 1. Little room left: a big commit runs out halfway through its pages.
    fill(os.path.join(dir_z, "filler1"), leave=192 << 10)
    pid = z.proc.pid
    ok, refused = write_until_refused(z, imports(path, "b", 40, 400), "import at a full node")
    acked |= ok
    alive(z, pid)

    # 2. No room at all: small writes go on while LMDB finds pages to reuse
    #    in its file, then are refused too.
    fill(os.path.join(dir_z, "filler2"))
    ok, no = write_until_refused(z, adds("c", 2000), "single add at a full node")
    acked |= ok
    refused |= no
    alive(z, pid)
    print(f"ok - a full node refuses writes with '{FULL}' ({len(acked)} records acknowledged "
          "before) and stays up")

    # 3. Everything else keeps working.  Public records written elsewhere
    #    cannot be stored here for now (the node's commit of what the hub
    #    relays fails); they come once there is room.
    lk.ctl("service", "add", "lk-full", "name=Full disk test", "category=elderly",
           "walk_minutes=5")
    services = os.path.join(lk.dir, "services.csv")
    with open(services, "w", encoding="utf-8") as f:
        f.write("id,name,category,provider,place,hours,walk_minutes,status\n")
        for i in range(400):
            f.write(f"lk-s{i:03d},{'林口社区长者食堂助餐服务' * 3}{i},elderly,"
                    f"{'林口邻里中心' * 4},林口社区,08:30-17:30,5,open\n")
    lk.ctl("import", services)
    cluster.wait_until("the node finds no room for relayed change sets",
                       lambda: "relayed change sets not committed: " + FULL in z.log_text(),
                       15, 0.2)
    st = z.status()
    assert int(st["log_personal"]) > 0, st
    have = ids(z, z.owner)
    assert acked <= have, f"{len(acked - have)} acknowledged records missing: " \
                          f"{sorted(acked - have)[:5]}"
    assert not (refused & have), f"refused records stored: {sorted(refused & have)[:5]}"
    assert z.stats()[z.owner]["households"] == len(have), "statistics disagree with records"
    verify(z)
    # What was committed still streams out: the hub gets all of it.
    cluster.wait_until("acknowledged records at the hub while the node is full",
                       lambda: acked <= ids(c.hub, z.owner), 20, 0.2)
    ok, no = write_until_refused(z, adds("x", 100), "write at a full node")
    acked |= ok
    refused |= no
    lk.ctl("household", "add", "lk-ok", "grid=g1", "size=1", "phone=13900000001")
    alive(z, pid)
    print("ok - while full: status, list, stats and verify work; every acknowledged record "
          "is there and at the hub; refused ones are nowhere")

    # 4. A restart on the full disk comes up and serves reads.
    z.stop()
    z.start()
    pid = z.proc.pid
    assert acked <= ids(z, z.owner)
    ok, no = write_until_refused(z, adds("y", 100), "write after a restart while full")
    acked |= ok
    refused |= no
    verify(z)
    print("ok - restarted on the full disk: comes up, reads work, writes are refused")

    # 5. Space is freed: writes and replication resume by themselves.
    os.unlink(os.path.join(dir_z, "filler1"))
    os.unlink(os.path.join(dir_z, "filler2"))
    t0 = time.monotonic()
    z.ctl("household", "add", "after", "grid=g1", "size=2", "phone=13900000003")
    acked.add("after")
    batch = [f"d{i:04d}" for i in range(300)]
    households_csv(path, batch)
    z.ctl("import", path)
    acked |= set(batch)
    c.wait_converged(timeout=30)
    alive(z, pid)
    at_node, at_hub = ids(z, z.owner), ids(c.hub, z.owner)
    assert at_node == acked, f"node: {len(acked - at_node)} missing, " \
                             f"{len(at_node - acked)} nobody wrote"
    assert at_hub == at_node, f"hub and node differ by {len(at_hub ^ at_node)} records"
    assert c.hub.stats()[z.owner]["households"] == len(acked)
    relayed = {s["id"] for s in z.ctl("service", "list", "--owner", lk.owner, json_out=True)}
    assert relayed == {s["id"] for s in lk.ctl("service", "list", "--owner", lk.owner,
                                             json_out=True)}, \
        "public records not relayed"
    assert len(relayed) == 401, len(relayed)
    for d in (z, c.hub):
        verify(d)
    no_restart_asked(z)
    print(f"ok - space freed: writes resume at once and all converges in "
          f"{time.monotonic() - t0:.1f} s, no restart")
    return acked


def hub_full(c, nodes, dir_h):
    """The hub's disk fills while nodes send: nothing acknowledged that is
    not committed, nothing lost, all arrives once there is room."""
    hub = c.hub
    pid = hub.proc.pid
    fill(os.path.join(dir_h, "filler"))
    expect = {n.owner: ids(n, n.owner) for n in nodes}
    for k, n in enumerate(nodes):
        path = os.path.join(n.dir, "households.csv")
        batch = [f"e{k}{i:04d}" for i in range(500)]
        households_csv(path, batch)
        n.ctl("import", path)
        expect[n.owner] |= set(batch)
        for i in range(10):
            n.ctl("household", "add", f"f{k}{i}", "grid=g1", "size=2", "phone=13900000004")
            expect[n.owner].add(f"f{k}{i}")

    def hub_refused():
        # Never an acknowledgement ahead of what the hub has committed.
        alive(hub, pid)
        for n in nodes:
            acked = int(n.status()["acked_personal"])
            committed = hub.stats().get(n.owner, {}).get("seq_personal", 0)
            assert acked <= committed, \
                f"{n.name}: hub acknowledged {acked}, committed only {committed}"
        return "batch not committed: " + FULL in hub.log_text()

    cluster.wait_until("the hub finds its disk full", hub_refused, 20, 0.2)
    deadline = time.monotonic() + 2.5  # a retransmit round or so
    while time.monotonic() < deadline:
        hub_refused()
        time.sleep(0.2)
    alive(hub, pid)
    unacked = sum(int(n.status()["unacked"]) for n in nodes)
    assert unacked > 0, "the nodes hold nothing unacknowledged: the disk was not full"
    services = ((set(), ("service", "add", f"hub-full{i}", "name=Hub test",
                         "category=elderly", "walk_minutes=5")) for i in range(500))
    write_until_refused(hub, services, "write at a full hub")
    hub.status()
    hub.stats()
    verify(hub)
    print(f"ok - a full hub stays up, acknowledges nothing it could not commit "
          f"({unacked} change sets wait at the nodes) and refuses its own writes")

    os.unlink(os.path.join(dir_h, "filler"))
    t0 = time.monotonic()
    c.wait_converged(timeout=40)
    alive(hub, pid)
    for n in nodes:
        at_node, at_hub = ids(n, n.owner), ids(hub, n.owner)
        assert at_node == expect[n.owner], f"{n.name}: records differ from what was written"
        assert at_hub == at_node, f"hub and {n.name} differ by {len(at_hub ^ at_node)}"
        assert hub.stats()[n.owner]["households"] == len(at_node)
        assert "sending it again" not in n.log_text(), \
            f"the hub lost what it had acknowledged to {n.name}"
    no_restart_asked(hub)
    hub.ctl("service", "add", "hub-after", "name=Hub test", "category=elderly",
            "walk_minutes=5")
    print(f"ok - hub space freed: the nodes' change sets arrive by themselves, converged in "
          f"{time.monotonic() - t0:.1f} s")

    # The database on disk is whole: a fresh start verifies and converges.
    hub.stop()
    hub.start()
    c.wait_converged(timeout=30)
    for d in [hub] + nodes:
        verify(d)
    print("ok - after a restart the hub and both nodes verify")


def on_alarm(sig, frame):
    raise TimeoutError(f"test_full_disk: over {LIMIT_S} s")


def main():
    why = can_mount()
    if why:
        print(f"SKIP: {why}")
        sys.exit(SKIP)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(LIMIT_S)
    t0 = time.monotonic()
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    c = cluster.Cluster(communities)
    mounts = Mounts()
    ok = False
    try:
        z, lk = c.node("Zenglin"), c.node("Linkou")
        mounts.tmpfs(z.state, "8m")
        mounts.tmpfs(c.hub.state, "16m")
        c.start()
        for n in c.nodes:
            n.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        node_full(c, z, lk, z.state)
        hub_full(c, c.nodes, c.hub.state)
        ok = True
    finally:
        signal.alarm(0)
        try:
            c.stop()
        except RuntimeError as e:
            ok = False
            print(e, file=sys.stderr)
        finally:
            keep = not ok and os.environ.get("CI") is None
            mounts.release(keep_copy=keep)
            c.keep = c.keep or keep
            c._cleanup()
    print(f"ok - full disk: {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
