#!/usr/bin/env python3
"""Files an operator edits (issue 11, item 3): a trust file that would leave
a daemon without what it needs (missing, empty, only comments, a directory, a
FIFO, unreadable, cut short, a half-written line, no entry for the hub or for
the daemon itself, no community at a hub) is refused by `linlictl reload`
(non-zero, naming the file and the reason), by SIGHUP (logged), and at
start-up; the list in use stays and the links keep working.  `linlictl trust
add` and `trust revoke` work from the file as it is on disk: they keep the
operator's comments, blank lines, names and line order, and the file's mode
and owner, and refuse to write over a file they cannot read."""

import os
import pwd
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

HUB = cluster.SUBDISTRICT[0]
TESTER = "350582006011"  # no daemon: only its trust lines matter here


def put(path, text):
    with open(path, "w") as f:
        f.write(text)


def clear(path):
    """Whatever a case left at path (file, directory, FIFO, symlink) goes."""
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isdir(path)):
        os.unlink(path)
    elif os.path.isdir(path):
        os.rmdir(path)


def unreadable(path):
    """An honest unreadable file: mode 000 where that bites (not root); as
    root, whom modes do not stop, a symlink loop (linlid follows no link to
    a file it trusts)."""
    if os.geteuid() != 0:
        os.chmod(path, 0)
        return "Permission denied"
    os.unlink(path)
    os.symlink(os.path.basename(path), path)
    return "is a symbolic link"


def without(text, prefix):
    return "".join(ln for ln in text.splitlines(keepends=True) if not ln.startswith(prefix))


def cases(good, role, owner, spare):
    """(what, make(path) -> reason or None, reason): each leaves at path a
    file that must be refused; reason is a phrase of the refusal.  spare: a
    valid public key that is nobody's."""
    lines = good.splitlines(keepends=True)
    last = lines[-1].rstrip("\n")
    code, key = last.split()[0], last.split()[1]
    out = [
        ("missing", os.unlink, "No such file or directory"),
        ("empty", lambda p: put(p, ""), "lists no owner"),
        ("only comments", lambda p: put(p, "# the trust list\n\n# (being rewritten)\n"),
         "lists no owner"),
        ("a directory in its place", lambda p: (os.unlink(p), os.mkdir(p)), "is a directory"),
        ("a FIFO in its place", lambda p: (os.unlink(p), os.mkfifo(p)), "not a regular file"),
        ("unreadable", unreadable, None),
        ("cut short in the middle of a key",
         lambda p: put(p, "".join(lines[:-1]) + f"{code} {key[:30]}"), "cut short"),
        ("cut short in the last name",
         lambda p: put(p, "".join(lines[:-1]) + last[:-3]), "cut short"),
        ("a half-written line in the middle",
         lambda p: put(p, "".join(lines[:1]) + f"{code} {key[:20]}\n" + "".join(lines[1:])),
         "expected '[retired|revoked] <owner> <64 hex digits> [name]'"),
        ("the hub's line removed", lambda p: put(p, without(good, HUB + " ")),
         f"no entry for {HUB},"),
    ]
    if role == "hub":
        out.append(("no community at the hub",
                    lambda p: put(p, "# only the hub\n" + "".join(
                        ln for ln in lines if ln.startswith(HUB + " "))),
                    "lists no community"))
    mine = next(ln for ln in lines if ln.startswith(owner + " ")).split()[1]
    out += [
        ("its own key replaced by one that is not its key",
         lambda p: put(p, good.replace(f"{owner} {mine} ", f"{owner} {spare} ")),
         f"the keys it lists for {owner} are not the key in"),
        ("the hub revoked", lambda p: put(p, good.replace(f"\n{HUB} ", f"\nrevoked {HUB} ")),
         f"no unrevoked entry for {HUB},"),
    ]
    if role == "node":
        out.append(("its own line removed", lambda p: put(p, without(good, owner + " ")),
                    f"no entry for {owner},"))
    return out


def trust_rows(d):
    return sorted((r["owner"], r["pubkey"], r["status"])
                  for r in d.ctl("trust", "list", json_out=True))


class Writes:
    """A write at the node that must reach the hub: the link is up."""

    def __init__(self, c, node):
        self.c, self.node, self.n = c, node, 0

    def check(self, what):
        self.n += 1
        self.node.ctl("service", "add", f"w{self.n}", "name=食堂", "category=elderly")
        want = int(self.node.status()["log_public"])
        cluster.wait_until(f"a write reaches the hub ({what})",
                           lambda: self.c.hub.stats()[self.node.owner]["seq_public"] == want,
                           15 * cluster.SLOW)


def check_reloads(d, path, good, writes, owner, spare):
    """Every bad case at d's trust file path: refused by reload and SIGHUP,
    the list in use kept, the link up."""
    rows = trust_rows(d)
    for what, make, reason in cases(good, d.role, owner, spare):
        got = make(path)
        reason = reason or got
        p = d.ctl("reload", check=False, timeout=20)
        assert p.returncode != 0, f"{d.name}: reload of a trust file {what} exited 0: {p.stdout}"
        assert path in p.stderr and reason in p.stderr, (what, p.stderr)
        assert "the trust list in use stays" in p.stderr, (what, p.stderr)

        off = len(d.log_text())
        d.proc.send_signal(signal.SIGHUP)
        cluster.wait_until(f"{d.name}: SIGHUP with a trust file {what} refused", lambda: [
            ln for ln in d.log_text()[off:].splitlines()
            if "refused" in ln and path in ln and reason in ln], 10 * cluster.SLOW)
        assert "trust list reloaded" not in d.log_text()[off:], d.log_tail()

        assert trust_rows(d) == rows, f"{d.name}: the list in use changed ({what})"
        writes.check(f"{d.name}'s trust file {what}")
        if os.path.exists(path) or os.path.islink(path):
            if not os.path.islink(path) and not os.path.isdir(path):
                os.chmod(path, 0o644)
            clear(path)
        put(path, good)
        print(f"ok - {d.role}: a trust file {what}: reload exits {p.returncode} with "
              f"{reason!r}, SIGHUP logs it, the list in use stays, the link works")
    d.ctl("reload")


def linlid_refuses(conf, what):
    """linlid -c conf must exit non-zero within 20 s; returns its stderr."""
    proc = subprocess.Popen(cluster.VALGRIND + [cluster.LINLID, "-c", conf],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=20 * cluster.SLOW)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"linlid started with a trust file {what}:\n{err}")
    assert proc.returncode != 0, (what, err)
    return err


def check_starts(d, path, good, owner, spare):
    """Every bad case refuses d's start-up with the file and the reason."""
    d.stop()
    for what, make, reason in cases(good, d.role, owner, spare):
        got = make(path)
        reason = reason or got
        if what == "missing":  # at start-up it says so, and what makes one
            reason = f"trust_file {path} is missing: "
        err = linlid_refuses(d.conf, what)
        assert path in err and reason in err, (what, err)
        if not os.path.islink(path) and os.path.isfile(path):
            os.chmod(path, 0o644)
        clear(path)
        put(path, good)
        print(f"ok - {d.role}: start-up with a trust file {what} is refused with {reason!r}")
    d.start()


def check_first_start(c):
    """The README's first start of a hub: its trust file holds its own
    line only (communities come with `trust add`); the hub starts."""
    first = os.path.join(c.dir, "first")
    os.makedirs(first)
    trust = os.path.join(first, "trust")
    put(trust, f"{HUB} {c.hub.pub} Lingyuan\n")
    conf = os.path.join(first, "linlid.conf")
    text = open(c.hub.conf).read()
    text = text.replace(f"trust_file = {c.trust}", f"trust_file = {trust}")
    text = text.replace(f"state_dir = {c.hub.state}", f"state_dir = {first}/state")
    text = text.replace(f"control = {c.hub.sock}", f"control = {first}/control.sock")
    text = text.replace(c.endpoint, f"tcp://127.0.0.1:{cluster.free_port()}")
    text = text.replace(c.hub.http_listen, f"127.0.0.1:{cluster.free_port()}")
    put(conf, text)
    log = open(os.path.join(first, "linlid.log"), "w")
    proc = subprocess.Popen(cluster.VALGRIND + [cluster.LINLID, "-c", conf], stdout=log,
                            stderr=log)
    try:
        cluster.wait_until("the first start of a hub", lambda: proc.poll() is None and
                           os.path.exists(f"{first}/control.sock"), 10 * cluster.SLOW)
    finally:
        proc.terminate()
        rc = proc.wait(10 * cluster.SLOW)
        log.close()
    assert rc == 0, open(os.path.join(first, "linlid.log")).read()
    print("ok - a hub's first start with only its own line (README) works")


def check_trust_edits(c, writes):
    """trust add / revoke keep what the operator wrote."""
    hub, path = c.hub, c.trust
    k1, k2 = (c.keygen(os.path.join(c.dir, f"tester{i}.key")) for i in (1, 2))
    z = c.node("Zenglin")
    # What an operator wrote by hand (not reloaded yet): comments, blank
    # lines, their own order (the community before the hub), names.
    text = (f"# Lingyuan trust list, kept by hand: ask Chen before changing\n"
            f"\n"
            f"# communities\n"
            f"{z.owner} {z.pub} Zenglin 曾林 (pilot)\n"
            f"\n"
            f"# the hub itself\n"
            f"{HUB}\t{c.hub.pub}  Lingyuan\n"
            f"# end\n")
    put(path, text)
    os.chmod(path, 0o640)
    owner = None
    if os.geteuid() == 0:
        # Another group (the file's owner must be root or linlid's user:
        # another user could change it).
        nobody = pwd.getpwnam("nobody")
        os.chown(path, 0, nobody.pw_gid)
        owner = (0, nobody.pw_gid)

    def same_file():
        st = os.stat(path)
        assert st.st_mode & 0o7777 == 0o640, oct(st.st_mode)
        if owner:
            assert (st.st_uid, st.st_gid) == owner, (st.st_uid, st.st_gid)
        left = [f for f in os.listdir(os.path.dirname(path))
                if "trust" in f and f not in ("trust", "node.trust")]
        assert not left, f"temporary files left: {left}"

    hub.ctl("trust", "add", TESTER, k1, "Tester")
    want = text + f"{TESTER} {k1} Tester\n"
    assert open(path).read() == want, open(path).read()
    same_file()
    print("ok - trust add appends one line and keeps the operator's comments, blank lines, "
          "order and names, the file's mode and owner")

    hub.ctl("trust", "add", TESTER, k2, "Tester 2")
    want = text + f"{TESTER} {k2} Tester 2\nretired {TESTER} {k1}\n"
    assert open(path).read() == want, open(path).read()
    same_file()
    print("ok - trust add of a new key edits the owner's line in place, the old key retired "
          "on the line after it")

    hub.ctl("trust", "revoke", TESTER)
    want = text + f"revoked {TESTER} {k2} Tester 2\nretired {TESTER} {k1}\n"
    assert open(path).read() == want, open(path).read()
    same_file()
    rows = trust_rows(hub)
    assert (TESTER, k2, "revoked") in rows and (TESTER, k1, "retired") in rows, rows
    print("ok - trust revoke marks the owner's line in place")

    # The case seen in the field: the file emptied, then trust add.
    for what, make, reason in [("empty", lambda: put(path, ""), "lists no owner"),
                               ("missing", lambda: os.unlink(path), "No such file")]:
        make()
        k3 = c.keygen(os.path.join(c.dir, f"other-{what}.key"))
        p = hub.ctl("trust", "add", "350582006012", k3, "Other", check=False)
        assert p.returncode != 0 and path in p.stderr and reason in p.stderr, p.stderr
        if what == "empty":
            assert os.path.getsize(path) == 0, open(path).read()
        else:
            assert not os.path.exists(path)
        assert trust_rows(hub) == rows
        writes.check(f"trust add refused on a file {what}")
        put(path, want)
        print(f"ok - trust add on a trust file {what} is refused ({reason!r}); nothing is "
              f"written; the list in use stays")

    # A trust file that is a symlink: linlid follows no link to a file it
    # trusts (issue 12): refused, the target untouched.
    os.makedirs(os.path.join(c.dir, "etc"))
    real = os.path.join(c.dir, "etc", "trust")
    os.rename(path, real)
    os.symlink(real, path)
    k4 = c.keygen(os.path.join(c.dir, "other.key"))
    p = hub.ctl("trust", "add", "350582006012", k4, "Other", check=False)
    assert p.returncode != 0 and path in p.stderr and "is a symbolic link" in p.stderr, p.stderr
    assert os.path.islink(path) and os.readlink(path) == real
    assert open(real).read() == want, open(real).read()
    assert os.listdir(os.path.dirname(real)) == ["trust"], os.listdir(os.path.dirname(real))
    os.unlink(path)
    os.rename(real, path)
    print("ok - trust add on a trust file that is a symlink is refused; its target is untouched")


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        z = c.node("Zenglin")
        # The node gets a copy of its own, so that each daemon's file can
        # be spoiled alone.
        node_trust = os.path.join(c.dir, "node.trust")
        good = open(c.trust).read()
        put(node_trust, good)
        put(z.conf, open(z.conf).read().replace(f"trust_file = {c.trust}",
                                                f"trust_file = {node_trust}"))
        c.start()
        writes = Writes(c, z)
        writes.check("at start")

        spare = c.keygen(os.path.join(c.dir, "spare.key"))
        check_reloads(c.hub, c.trust, good, writes, HUB, spare)
        check_reloads(z, node_trust, good, writes, z.owner, spare)
        check_starts(c.hub, c.trust, good, HUB, spare)
        check_starts(z, node_trust, good, z.owner, spare)
        writes.check("after the restarts")
        check_first_start(c)
        check_trust_edits(c, writes)


if __name__ == "__main__":
    main()
