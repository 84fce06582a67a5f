#!/usr/bin/env python3
"""What an administrator expects of any daemon: --version from both
programs, `linlictl pubkey FILE` to recover a lost print-out of a public
key, `linlid -n` that says a file it needs is missing instead of "ok", and
`make install` / `make uninstall` into a DESTDIR; `make` (build only) asks
for the build dependencies alone, `make check` for the test tools too."""

import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(*cmd, **kw):
    return cluster.run_tool(list(cmd), capture_output=True, text=True,
                            timeout=60 * cluster.SLOW, **kw)


def make(*args, env=None):
    """make in the checkout, as a user would run it: not as a sub-make of
    the `make check` that may be running this test."""
    env = {k: v for k, v in (env or os.environ).items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return subprocess.run(["make", "--no-print-directory", f"BUILD={cluster.BUILD}", *args],
                          cwd=TOP, capture_output=True, text=True, timeout=300, env=env)


def check_version():
    want = open(os.path.join(TOP, "VERSION")).read().strip()
    for prog, path in (("linlid", cluster.LINLID), ("linlictl", cluster.LINLICTL)):
        p = run(path, "--version")
        assert p.returncode == 0, (prog, p.stderr)
        first = p.stdout.splitlines()[0]
        assert re.fullmatch(rf"{prog} {re.escape(want)}( .*)?", first), first
    print(f"ok - linlid --version and linlictl --version: {first}")


def check_pubkey(tmp):
    key = os.path.join(tmp, "key")
    pub = run(cluster.LINLICTL, "keygen", key).stdout.strip()
    p = run(cluster.LINLICTL, "pubkey", key)
    assert p.returncode == 0 and p.stdout.strip() == pub, (p.stdout, p.stderr, pub)
    p = run(cluster.LINLICTL, "--json", "pubkey", key)
    assert json.loads(p.stdout) == {"pubkey": pub}, p.stdout
    p = run(cluster.LINLICTL, "pubkey", os.path.join(tmp, "nokey"))
    assert p.returncode == 1 and "No such file" in p.stderr, p.stderr
    p = run(cluster.LINLICTL, "pubkey")
    assert p.returncode == 2 and "usage" in p.stderr, p.stderr
    print(f"ok - linlictl pubkey FILE prints the key keygen printed ({pub[:16]}...)")


def check_missing_files():
    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        z = c.node("Zenglin")
        p = run(cluster.LINLID, "-n", "-c", z.conf)
        assert p.returncode == 0 and "configuration ok" in p.stdout, (p.stdout, p.stderr)
        os.rename(c.trust, c.trust + ".away")
        p = run(cluster.LINLID, "-n", "-c", z.conf)
        want = f"trust_file {c.trust} is missing: a node needs a copy of the hub's trust file"
        assert p.returncode == 1 and want in p.stderr, (p.stdout, p.stderr)
        print(f"ok - linlid -n with the trust file missing: {p.stderr.strip()}")
        p = run(cluster.LINLID, "-n", "-c", c.hub.conf)
        want = f"trust_file {c.trust} is missing: make it with the hub's own line"
        assert p.returncode == 1 and want in p.stderr, (p.stdout, p.stderr)
        z.start(wait=False)
        z.proc.wait(10 * cluster.SLOW)
        assert z.proc.returncode == 1 and "is missing" in z.log_text(), z.log_tail()
        os.rename(c.trust + ".away", c.trust)

        with open(c.trust) as f:  # a trust file without this node's line
            lines = [ln for ln in f if not ln.startswith(z.owner)]
        other = os.path.join(c.dir, "other.trust")
        with open(other, "w") as f:
            f.writelines(lines)
        conf = os.path.join(c.dir, "other.conf")
        with open(z.conf) as f:
            text = f.read().replace(f"trust_file = {c.trust}", f"trust_file = {other}")
        with open(conf, "w") as f:
            f.write(text)
        p = run(cluster.LINLID, "-n", "-c", conf)
        assert p.returncode == 1 and "other.trust" in p.stderr and z.owner in p.stderr, \
            p.stderr
        os.rename(z.key, z.key + ".away")
        p = run(cluster.LINLID, "-n", "-c", z.conf)
        assert p.returncode == 1 and f"key_file {z.key} is missing" in p.stderr \
            and "linlictl keygen" in p.stderr, p.stderr
        os.rename(z.key + ".away", z.key)
        os.rename(z.data_key, z.data_key + ".away")
        p = run(cluster.LINLID, "-n", "-c", z.conf)
        assert p.returncode == 1 and z.data_key in p.stderr and "keygen --data" in p.stderr, \
            p.stderr
        os.rename(z.data_key + ".away", z.data_key)
        print("ok - linlid -n checks the trust file against the key, and names a missing key "
              "or data key with how to make one")


def check_install(tmp):
    dest = os.path.join(tmp, "dest")
    p = make("install", "PREFIX=/usr", f"DESTDIR={dest}")
    assert p.returncode == 0, p.stdout + p.stderr
    files = sorted(os.path.relpath(os.path.join(d, f), dest)
                   for d, _, fs in os.walk(dest) for f in fs)
    for want in ("usr/bin/linlid", "usr/bin/linlictl",
                 "usr/lib/systemd/system/linlid-node.service",
                 "usr/lib/systemd/system/linlid-hub.service",
                 "usr/share/man/man8/linlid.8", "usr/share/man/man8/linlictl.8",
                 "usr/share/man/man5/linlid.conf.5"):
        assert want in files, (want, files)
    p = make("uninstall", "PREFIX=/usr", f"DESTDIR={dest}")
    assert p.returncode == 0, p.stdout + p.stderr
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
    assert left == [], left
    print(f"ok - make install put {len(files)} files into DESTDIR, make uninstall removed "
          "them all")


def build_debs():
    """The Makefile's BUILD_DEBS, continuation lines joined."""
    text = open(os.path.join(TOP, "Makefile")).read().replace("\\\n", " ")
    m = re.search(r"^BUILD_DEBS := (.*)$", text, re.M)
    debs = m.group(1).split()
    assert "libzmq3-dev" in debs, debs
    return debs


def check_deps(tmp):
    """With every build package there and no test tool (a stub dpkg-query
    says so), `make` builds as a user who cannot install anything, while
    `make check` asks for the test tools."""
    stub = os.path.join(tmp, "stub")
    os.makedirs(stub)
    build_only = build_debs()
    with open(os.path.join(stub, "dpkg-query"), "w") as f:
        f.write("#!/bin/sh\nfor p; do :; done\ncase \" %s \" in *\" $p \"*) "
                "printf 'install ok installed';; *) exit 1;; esac\n" % " ".join(build_only))
    with open(os.path.join(stub, "id"), "w") as f:
        f.write("#!/bin/sh\necho 1000\n")
    for name in ("dpkg-query", "id"):
        os.chmod(os.path.join(stub, name), 0o755)
    env = dict(os.environ, PATH=stub + ":" + os.environ["PATH"])
    p = make("all", env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    p = make("check", env=env)
    assert p.returncode != 0 and "libcmocka-dev" in p.stderr \
        and "apt-get install" in p.stderr, p.stdout + p.stderr
    assert "libzmq3-dev" not in p.stderr, p.stderr
    said = next(ln for ln in p.stderr.splitlines() if "apt-get install" in ln)
    print(f"ok - make needs the build packages only; make check asks for the test tools: "
          f"{said}")


def main():
    with tempfile.TemporaryDirectory(prefix="linli-basics-") as tmp:
        check_version()
        check_pubkey(tmp)
        check_missing_files()
        check_install(tmp)
        check_deps(tmp)


if __name__ == "__main__":
    main()
