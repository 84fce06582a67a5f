#!/usr/bin/env python3
"""linlid trusts no path another local user could have changed (issue 12,
item 4), and linlictl sends nothing to a control socket another user could
have put in place.

linlid refuses at start, with the path and the reason: a state, control,
key or trust directory (or one above it) that others can write or that
another user owns; a key, data key, config or trust file that is a
symbolic link, a FIFO (at once: it must not hang), owned by another user
or writable by others.  `trust add` writes by a temporary file that
follows no symbolic link planted at its name, and refuses a trust file that
is a link.  linlictl refuses a control socket owned by another user, or in
a directory others can write or another user owns: an impostor listening
there gets nothing, not even a connection.

Needs root (files owned by another user, an impostor run as nobody);
skipped (77) without it."""

import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

PHONE = "13912345678"  # what the impostor must never see
PYTHON = "/usr/bin/python3"  # the impostor runs as nobody: not a python in /root
FAILED = []


def case(what, fn):
    """Runs one case; a failure is reported and the next case runs."""
    try:
        fn()
        print(f"ok - {what}")
    except Exception as e:  # noqa: BLE001 (every case reports, the test fails at the end)
        FAILED.append(what)
        print(f"not ok - {what}: {type(e).__name__}: {e}")


def linlid_refuses(conf, *expect, timeout=15):
    """linlid -c conf must exit non-zero within timeout seconds (a FIFO must
    not hang it), saying every phrase of expect on stderr."""
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cluster.VALGRIND + [cluster.LINLID, "-c", conf],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + timeout * cluster.SLOW
        started = False
        while proc.poll() is None and time.monotonic() < deadline and not started:
            time.sleep(0.05)
            log.seek(0)
            started = " started, state in " in log.read()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.seek(0)
        err = log.read()
    assert not started, f"linlid started: {err!r}"
    assert proc.returncode is not None and proc.returncode > 0, \
        f"linlid did not exit within {timeout} s (hangs): {err!r}"
    for e in expect:
        assert e in err, f"{e!r} not in {err!r}"
    return err


def with_conf(d, name, **settings):
    """A copy of d's config with settings replaced; returns its path."""
    lines = []
    for ln in open(d.conf).read().splitlines():
        key = ln.split("=")[0].strip()
        lines.append(f"{key} = {settings.pop(key)}" if key in settings else ln)
    lines += [f"{k} = {v}" for k, v in settings.items()]
    path = os.path.join(d.cluster.dir, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Restore:
    """Puts a path's mode and owner back, whatever a case did to them."""

    def __init__(self, path):
        self.path, self.st = path, os.lstat(path)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        os.chown(self.path, self.st.st_uid, self.st.st_gid, follow_symlinks=False)
        if not stat.S_ISLNK(self.st.st_mode):
            os.chmod(self.path, stat.S_IMODE(self.st.st_mode))


def swapped(path, make):
    """Moves the file at path aside, puts make(path)'s thing there; puts
    the file back on exit."""
    class Swap:
        def __enter__(self):
            os.rename(path, path + ".real")
            make(path)
            return path

        def __exit__(self, *exc):
            if os.path.lexists(path):
                os.unlink(path)
            os.rename(path + ".real", path)
    return Swap()


def daemon_cases(c, z, nobody):
    z.stop()

    def state_mode():
        with Restore(z.state):
            os.chmod(z.state, 0o777)
            linlid_refuses(z.conf, f"state_dir {z.state}", "writable by", "0777")
    case("a state directory mode 0777 is refused with its path", state_mode)

    def state_owner():
        with Restore(z.state):
            os.chown(z.state, nobody.pw_uid, nobody.pw_gid)
            linlid_refuses(z.conf, f"state_dir {z.state}", "owned by nobody")
    case("a state directory owned by nobody is refused with its path", state_owner)

    def ancestor_mode():
        with Restore(z.dir):
            os.chmod(z.dir, 0o777)
            linlid_refuses(z.conf, z.dir, "writable by")
    case("a directory above the state directory, mode 0777, is refused", ancestor_mode)

    def control_dir(mode, owner=None):
        def run():
            run_dir = os.path.join(z.dir, f"run{mode:o}")
            os.makedirs(run_dir, exist_ok=True)
            os.chmod(run_dir, mode)
            if owner:
                os.chown(run_dir, owner.pw_uid, owner.pw_gid)
            conf = with_conf(z, "ctl.conf", control=os.path.join(run_dir, "control.sock"))
            linlid_refuses(conf, f"control {run_dir}/control.sock", run_dir,
                           "owned by nobody" if owner else "writable by")
        return run
    case("a control socket directory mode 0777 is refused", control_dir(0o777))
    case("a control socket directory mode 1777 (sticky, like /tmp) is refused",
         control_dir(0o1777))
    case("a control socket directory owned by nobody is refused", control_dir(0o755, nobody))

    def key_fifo(path, what):
        def run():
            with swapped(path, os.mkfifo):
                t0 = time.monotonic()
                linlid_refuses(z.conf, f"{what} {path}", "not a regular file", "FIFO",
                               timeout=10)
                assert time.monotonic() - t0 < 10 * cluster.SLOW
        return run
    case("a key file that is a FIFO is refused at once", key_fifo(z.key, "key file"))
    case("a data key file that is a FIFO is refused at once",
         key_fifo(z.data_key, "data key file"))

    def key_symlink():
        real = z.key + ".real"
        with swapped(z.key, lambda p: os.symlink(real, p)):
            linlid_refuses(z.conf, f"key file {z.key}", "is a symbolic link")
    case("a key file that is a symbolic link is refused", key_symlink)

    def key_owner():
        with Restore(z.key):
            os.chown(z.key, nobody.pw_uid, nobody.pw_gid)
            linlid_refuses(z.conf, f"key file {z.key}", "owned by nobody")
    case("a key file owned by nobody is refused", key_owner)

    def key_dir():
        keys = os.path.join(z.dir, "keys")
        os.makedirs(keys, exist_ok=True)
        shutil.copy(z.key, os.path.join(keys, "key"))
        os.chmod(keys, 0o777)
        conf = with_conf(z, "keydir.conf", key_file=os.path.join(keys, "key"))
        linlid_refuses(conf, f"key file {keys}/key", keys, "writable by")
    case("a key file in a directory others can write is refused", key_dir)

    def trust_file(make, *expect):
        def run():
            trust = os.path.join(z.dir, "trust")
            for f in (trust, trust + ".real"):
                if os.path.lexists(f):
                    os.unlink(f)
            shutil.copy(c.trust, trust)
            make(trust)
            conf = with_conf(z, "trust.conf", trust_file=trust)
            linlid_refuses(conf, trust, *expect)
        return run

    def trust_link(p):
        os.rename(p, p + ".real")
        os.symlink(p + ".real", p)
    case("a trust file that is a symbolic link is refused at start",
         trust_file(trust_link, "is a symbolic link"))
    case("a trust file others can write is refused at start",
         trust_file(lambda p: os.chmod(p, 0o666), "writable by"))

    def config(make, *expect):
        def run():
            conf = os.path.join(z.dir, "other.conf")
            if os.path.lexists(conf):
                os.unlink(conf)
            make(conf)
            linlid_refuses(conf, conf, *expect, timeout=10)
        return run
    case("a config file that is a FIFO is refused at once",
         config(os.mkfifo, "not a regular file", "FIFO"))
    case("a config file that is a symbolic link is refused",
         config(lambda p: os.symlink(z.conf, p), "is a symbolic link"))

    def config_mode():
        with Restore(z.conf):
            os.chmod(z.conf, 0o666)
            linlid_refuses(z.conf, z.conf, "writable by")
    case("a config file others can write is refused", config_mode)

    def starts_again():
        z.start()
        z.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        z.ctl("household", "add", "hh-1", "grid=g1", "size=3", f"phone={PHONE}")
    case("the same node starts in its 0700 directory under /tmp (sticky) once all is put "
         "back", starts_again)


def trust_cases(c):
    hub = c.hub

    def planted():
        victim = os.path.join(c.dir, "victim")
        with open(victim, "w") as f:
            f.write("root-only\n")
        os.chmod(victim, 0o600)
        tmp = os.path.join(c.dir, f".trust.{hub.proc.pid}.tmp")
        os.symlink(victim, tmp)
        key = c.keygen(os.path.join(c.dir, "planted.key"))
        hub.ctl("trust", "add", "350582006012", key, "Planted")
        assert open(victim).read() == "root-only\n", open(victim).read()
        assert stat.S_IMODE(os.stat(victim).st_mode) == 0o600
        assert not os.path.lexists(tmp), "the planted link is still there"
        st = os.lstat(c.trust)
        assert stat.S_ISREG(st.st_mode), oct(st.st_mode)
        assert f"350582006012 {key} Planted\n" in open(c.trust).read()
    case("trust add does not follow a symbolic link planted at its temporary file's name",
         planted)

    def linked():
        real = os.path.join(c.dir, "trust.real")
        shutil.copy(c.trust, real)
        before = open(real).read()
        os.rename(c.trust, c.trust + ".kept")
        os.symlink(real, c.trust)
        try:
            key = c.keygen(os.path.join(c.dir, "linked.key"))
            p = hub.ctl("trust", "add", "350582006013", key, "Linked", check=False)
            assert p.returncode != 0 and c.trust in p.stderr, (p.returncode, p.stderr)
            assert "is a symbolic link" in p.stderr, p.stderr
            assert open(real).read() == before, "the link's target was written"
            assert os.path.islink(c.trust)
        finally:
            os.unlink(c.trust)
            os.rename(c.trust + ".kept", c.trust)
    case("trust add refuses a trust file that is a symbolic link and writes nothing", linked)


# An impostor's control socket: it speaks ZMTP 3.0 (NULL) as a ROUTER would,
# so linlictl sends it the request, and prints whatever reaches it.
IMPOSTOR = r'''
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.listen(4)
print("listening", flush=True)
while True:
    conn, _ = s.accept()
    print("connection", flush=True)
    conn.sendall(b"\xff" + b"\0" * 8 + b"\x7f\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0" * 32)
    body = b"\x05READY\x0bSocket-Type" + (6).to_bytes(4, "big") + b"ROUTER"
    conn.sendall(b"\x04" + bytes([len(body)]) + body)
    conn.settimeout(2)
    got = b""
    try:
        while True:
            b = conn.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    conn.close()
    print("got " + got.hex(), flush=True)
'''


def unreachable_by_others(path):
    """The first directory above path (path included) others cannot pass."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & 0o001:
            return path
        if path == "/":
            return None
        path = os.path.dirname(path)


def impostor_cases(c, nobody):
    base = tempfile.mkdtemp(prefix="linli-impostor-")
    os.chmod(base, 0o711)  # nobody may pass through to its directory

    def attack(name, mode, owner_nobody, after=None, env=None, refused=True):
        def run():
            d = os.path.join(base, name)
            os.mkdir(d)
            os.chmod(d, mode)
            if owner_nobody:
                os.chown(d, nobody.pw_uid, nobody.pw_gid)
            sock = os.path.join(d, "control.sock")
            imp = subprocess.Popen([PYTHON, "-c", IMPOSTOR, sock], user=nobody.pw_uid,
                                   group=nobody.pw_gid, extra_groups=[], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, cwd="/")
            try:
                assert imp.stdout.readline().strip() == "listening", imp.stderr.read()
                if after:
                    after(d)
                p = cluster.run_tool(
                    [cluster.LINLICTL, "-s", sock, "household", "add", "hh-2", "grid=g1",
                     "size=2", f"phone={PHONE}"], capture_output=True, text=True, timeout=30,
                    env=dict(os.environ, **(env or {})))
            finally:
                time.sleep(0.3 if refused else 3)  # a connection would show by now
                imp.send_signal(signal.SIGTERM)
                out, _ = imp.communicate(timeout=10)
            got = "".join(ln[4:] for ln in out.splitlines() if ln.startswith("got "))
            if not refused:
                assert "connection" in out and PHONE.encode().hex() in got, out
                return
            assert PHONE.encode().hex() not in got, "the impostor got the resident's phone"
            assert "connection" not in out, f"the impostor got a connection: {out!r}"
            assert p.returncode != 0, f"linlictl exited 0: {p.stdout!r}"
            assert sock in p.stderr or d in p.stderr, p.stderr
            assert "nothing sent" in p.stderr, p.stderr
        return run

    try:
        case("linlictl refuses a socket in a directory others can write (1777, like /tmp): "
             "the impostor gets no connection", attack("sticky", 0o1777, False))
        case("linlictl refuses a socket in a directory owned by nobody",
             attack("owned", 0o755, True))
        case("linlictl refuses a socket owned by nobody in a root-owned 0755 directory",
             attack("socket", 0o777, False, after=lambda d: os.chmod(d, 0o755)))
        case("with LINLI_USER=nobody (linlid runs as nobody there) linlictl uses that socket",
             attack("user", 0o777, False, after=lambda d: os.chmod(d, 0o755),
                    env={"LINLI_USER": "nobody"}, refused=False))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (files owned by another user, an impostor run as nobody)")
        sys.exit(77)
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        print("SKIP: no user nobody here")
        sys.exit(77)
    if not os.access(PYTHON, os.X_OK):
        print(f"SKIP: no {PYTHON} for the impostor to run as nobody")
        sys.exit(77)
    closed = unreachable_by_others(tempfile.gettempdir())
    if closed is not None:
        print(f"SKIP: other users cannot enter {closed}, where the impostor's directory would "
              f"be (set TMPDIR to a place they can)")
        sys.exit(77)

    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        z = c.node("Zenglin")
        c.start()
        daemon_cases(c, z, nobody)
        trust_cases(c)
        impostor_cases(c, nobody)
        c.keep = c.keep or (bool(FAILED) and os.environ.get("CI") is None)  # logs say why
    if FAILED:
        print(f"{len(FAILED)} case(s) failed: {'; '.join(FAILED)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
