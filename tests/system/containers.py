"""Debian 12 containers booted with systemd (systemd-nspawn), for
tests/system/run.

The root is a debootstrap of bookworm (minbase, with systemd and what the
package depends on), made once and kept in /var/tmp (its name carries a
hash of the package list, so a new dependency makes a new one).  Each
container boots an overlay of it: what the test changes goes to a
directory of this run and is gone with it.  The containers of one run
share one network namespace of their own, so they reach each other on
loopback and nothing else.

Everything made here is named by this process's PID and undone in
close() (containers powered off, or their nspawn ended by PID; overlays
unmounted; the namespace deleted), also on SIGTERM.  The recipe is
../shared/TESTING.md's: the host's PID 1 is not systemd, so nspawn
neither registers the machine nor makes a scope.
"""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time

PREFIX = "linli-system"  # of what is made in /var/tmp, and of the namespace
SUITE = "bookworm"
BASE_PACKAGES = ["systemd", "systemd-sysv", "dbus", "sudo"]
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Unavailable(Exception):
    """This machine cannot boot a container: the test says SKIP and why."""


def run(cmd, check=True, timeout=60, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: "
                           f"{(p.stderr or p.stdout).strip()[-2000:]}")
    return p


def wait_until(what, fn, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(step)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s (last: {last!r})")


def mirror():
    """The Debian archive this machine's apt uses."""
    for path in ("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"):
        try:
            text = open(path).read()
        except OSError:
            continue
        m = re.search(r"^URIs:\s*(\S+)", text, re.M) or \
            re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+\S+\s", text, re.M)
        if m and "security" not in m.group(1):
            return m.group(1)
    return "http://deb.debian.org/debian"


def depends_of(deb):
    """The first alternative of each of a .deb's dependencies, by name."""
    field = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    return sorted({d.split("|")[0].split("(")[0].strip() for d in field.split(",") if d.strip()})


def base_root(deb):
    """The cached bookworm root for this package: made if missing."""
    packages = sorted(set(BASE_PACKAGES + depends_of(deb)))
    key = hashlib.sha256(",".join(packages).encode()).hexdigest()[:12]
    root = f"/var/tmp/{PREFIX}-base-{key}"
    if os.path.isfile(os.path.join(root, "lib/systemd/systemd")):
        return root
    tmp = f"{root}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"# making the Debian 12 root {root} (once): {', '.join(packages)}", flush=True)
    p = subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(packages)}",
                        SUITE, tmp, mirror()], capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        last = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
        raise Unavailable(f"debootstrap of {SUITE} from {mirror()} failed: {last[0]}")
    # A machine id of its own for each boot (the overlay's), none baked in.
    open(os.path.join(tmp, "etc/machine-id"), "w").close()
    try:
        os.rename(tmp, root)
    except OSError:  # another run made it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def sweep_stale():
    """What a run killed before its close() left behind (its PID gone):
    namespaces with no process in them, overlays no container uses."""
    for line in run(["ip", "netns", "list"], check=False).stdout.splitlines():
        m = re.match(rf"({PREFIX}-(\d+))\b", line)
        if m and not _alive(int(m.group(2))) and \
                not run(["ip", "netns", "pids", m.group(1)], check=False).stdout.strip():
            run(["ip", "netns", "del", m.group(1)], check=False)
    for name in os.listdir("/var/tmp"):
        m = re.fullmatch(rf"{PREFIX}-run-(\d+)", name)
        if not m or _alive(int(m.group(1))):
            continue
        top = os.path.join("/var/tmp", name)
        roots = [os.path.join(top, d, "root") for d in os.listdir(top)]
        if all(run(["umount", r], check=False).returncode == 0 or not os.path.ismount(r)
               for r in roots):
            shutil.rmtree(top, ignore_errors=True)


class Network:
    """A network namespace with its loopback up, deleted by close()."""

    def __init__(self):
        self.name = f"{PREFIX}-{os.getpid()}"
        p = run(["ip", "netns", "add", self.name], check=False)
        if p.returncode != 0:
            raise Unavailable(f"ip netns add: {p.stderr.strip()}")
        self.path = f"/run/netns/{self.name}"
        p = run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=False)
        if p.returncode != 0:
            self.close()
            raise Unavailable(f"network namespaces do not work here: ip -n: {p.stderr.strip()}")

    def close(self):
        if self.name:
            run(["ip", "netns", "del", self.name], check=False)
            self.name = None


class Container:
    """One booted Debian 12: sh() runs a command in it, as root."""

    def __init__(self, name, base, network, workdir, hosts=""):
        self.name, self.network = name, network
        self.dir = os.path.join(workdir, name)
        self.root = os.path.join(self.dir, "root")
        self.log = os.path.join(self.dir, "console.log")
        self.proc = None
        self.pid1 = None
        self.mounted = False
        for d in ("upper", "work", "root"):
            os.makedirs(os.path.join(self.dir, d))
        run(["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir={base},upperdir={self.dir}/upper,workdir={self.dir}/work", self.root])
        self.mounted = True
        with open(os.path.join(self.root, "etc/hostname"), "w") as f:
            f.write(name + "\n")
        with open(os.path.join(self.root, "etc/hosts"), "w") as f:
            f.write(f"127.0.0.1 localhost\n::1 localhost\n127.0.1.1 {name}\n{hosts}")

    def boot(self, timeout=90):
        """Boots to multi-user; Unavailable if systemd does not come up."""
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "-D", self.root, "--boot", "--register=no", "--keep-unit",
             "--quiet", f"--machine={self.name}", f"--network-namespace-path={self.network.path}",
             "--console=pipe"],
            stdin=subprocess.DEVNULL, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
            start_new_session=True)

        def pid1():
            if self.proc.poll() is not None:
                raise Unavailable(f"systemd-nspawn exited {self.proc.returncode}: "
                                  f"{self.console_tail()}")
            for pid in os.listdir("/proc"):
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                            return int(pid)
                except (OSError, ValueError, IndexError):
                    continue
            return None

        self.pid1 = wait_until(f"{self.name}: systemd-nspawn starts systemd", pid1, 30)
        try:
            state = wait_until(f"{self.name}: boots", lambda: self.sh(
                "systemctl is-system-running", check=False).stdout.strip() in
                ("running", "degraded") and self.sh("systemctl is-system-running",
                                                    check=False).stdout.strip(), timeout, 0.5)
        except TimeoutError as e:
            raise Unavailable(f"{self.name} did not boot with systemd: {e}; "
                              f"console: {self.console_tail()}")
        if state == "degraded":
            failed = self.sh("systemctl --failed --no-legend --plain", check=False).stdout
            print(f"# {self.name}: booted degraded: {' '.join(failed.split()[:12])}")

    def console_tail(self, n=5):
        try:
            with open(self.log, errors="replace") as f:
                return " | ".join(ln.strip() for ln in f.readlines()[-n:])
        except OSError:
            return ""

    def sh(self, cmd, check=True, timeout=60, input=None):
        """Runs cmd with /bin/sh in the container, as root in /root."""
        p = subprocess.run(
            ["nsenter", f"--target={self.pid1}", "--all", "--", "/usr/bin/env", "-i",
             f"PATH={PATH}", "HOME=/root", "LANG=C.UTF-8", "/bin/sh", "-c", f"cd /root && {cmd}"],
            capture_output=True, text=True, timeout=timeout, input=input,
            stdin=subprocess.DEVNULL if input is None else None)
        if check and p.returncode != 0:
            raise RuntimeError(f"{self.name}: `{cmd}` exited {p.returncode}:\n"
                               f"{(p.stdout + p.stderr).strip()[-3000:]}")
        return p

    def path(self, inside):
        """The host's path of a file in the container."""
        return os.path.join(self.root, inside.lstrip("/"))

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            if self.pid1:
                self.sh("systemctl poweroff", check=False, timeout=10)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()  # nspawn, ours: it takes the container with it
                self.proc.wait(10)
        if self.mounted:
            run(["umount", self.root], check=False)
            if os.path.ismount(self.root):
                run(["umount", "-l", self.root], check=False)
            self.mounted = False


class Machines:
    """The containers of one run, and what they share; a context manager."""

    def __init__(self, deb):
        if os.geteuid() != 0:
            raise Unavailable("containers need root")
        for tool in ("systemd-nspawn", "debootstrap", "nsenter", "ip"):
            if shutil.which(tool) is None:
                raise Unavailable(f"`{tool}` is not installed")
        sweep_stale()
        self.base = base_root(deb)
        self.workdir = f"/var/tmp/{PREFIX}-run-{os.getpid()}"
        os.makedirs(self.workdir)
        self.containers = []
        self.network = None
        self._old = signal.signal(signal.SIGTERM, self._on_term)
        try:
            self.network = Network()
        except BaseException:
            self.close()
            raise

    def _on_term(self, signum, frame):
        raise SystemExit(128 + signum)

    def add(self, name, hosts=""):
        c = Container(name, self.base, self.network, self.workdir, hosts)
        self.containers.append(c)
        return c

    def close(self):
        errors = []
        for c in reversed(self.containers):
            try:
                c.close()
            except Exception as e:  # the rest must still be undone
                errors.append(f"{c.name}: {e}")
        self.containers = []
        if self.network:
            self.network.close()
        if not any(os.path.ismount(os.path.join(self.workdir, d, "root"))
                   for d in os.listdir(self.workdir)):
            shutil.rmtree(self.workdir, ignore_errors=True)
        signal.signal(signal.SIGTERM, self._old)
        if errors:
            raise RuntimeError("; ".join(errors))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
