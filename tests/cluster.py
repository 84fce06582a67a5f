"""A hub and community nodes as real linlid processes on one machine.

Used by `make demo` and the integration tests.  Everything lives in one
temporary directory; the hub listens on loopback only (127.0.0.1, or ::1
or :: when asked), or, given a netns.Netns, on its address inside the
hub's namespace with every daemon started in its own namespace (linlictl
stays in the root namespace: the control sockets are paths); processes
are stopped by the PIDs this module started, never by name.
"""

import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BUILD = os.environ.get("BUILD", os.path.join(os.path.dirname(__file__), "..", "build"))
# The build's translations (make compiles po/ there), for linlid and linlictl.
os.environ.setdefault("LINLI_LOCALEDIR", os.path.join(BUILD, "locale"))
LINLID = os.path.join(BUILD, "linlid")
LINLICTL = os.path.join(BUILD, "linlictl")

# `make check-valgrind` runs linlid and linlictl under the command in
# VALGRIND, which exits with its --error-exitcode on an error or a definite
# leak; everything starts and stops that much slower.
VALGRIND = shlex.split(os.environ.get("VALGRIND", ""))
_code = re.search(r"--error-exitcode=(\d+)", os.environ.get("VALGRIND", ""))
VALGRIND_ERROR = int(_code.group(1)) if _code else None
SLOW = 5 if VALGRIND else 1


def run_tool(cmd, **kw):
    """subprocess.run of linlid or linlictl (cmd[0]), under VALGRIND if set;
    what valgrind found fails the test whatever the caller expected."""
    p = subprocess.run(VALGRIND + list(cmd), **kw)
    if VALGRIND and p.returncode == VALGRIND_ERROR:
        raise RuntimeError(f"valgrind: errors in {' '.join(cmd)}:\n{p.stderr}")
    return p

SUBDISTRICT = ("350582006", "Lingyuan", "灵源街道")
COMMUNITIES = [
    ("350582006001", "Linkou", "林口"),
    ("350582006002", "Zhangqian", "张前"),
    ("350582006003", "Linge", "林格"),
    ("350582006004", "Yingtang", "英塘"),
    ("350582006005", "Xiaowutang", "小浯塘"),
    ("350582006006", "Zenglin", "曾林"),
    ("350582006007", "Lingshui", "灵水"),
    ("350582006008", "Dashanhou", "大山后"),
    ("350582006009", "Dabulin", "大布林"),
    ("350582006010", "Xiaobulin", "小布林"),
]


class CtlError(Exception):
    def __init__(self, rc, out, err):
        super().__init__(f"linlictl exited {rc}: {err.strip() or out.strip()}")
        self.rc, self.out, self.err = rc, out, err


def ephemeral_low():
    """The lowest port the kernel gives outgoing connections."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host="127.0.0.1"):
    """A TCP port free on host (an IPv6 address has a ':'; "::" is every
    address of both families, as a dual-stack listener takes them).  Below
    the ephemeral range: a port the kernel gave us there may be given to a
    node's outgoing connection before the daemon that is to listen on it
    starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    low, high = 20000, ephemeral_low() - 1
    for port in random.sample(range(low, high), min(200, max(high - low, 0))) + [0]:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            if host == "::":
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free TCP port on {host}")


def wait_until(what, fn, timeout=30.0, step=0.05):
    """Polls fn until it returns a true value; raises after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except CtlError as e:
            last = e
        time.sleep(step)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s (last: {last})")


class Daemon:
    def __init__(self, cluster, owner, name, role, ns=None):
        self.cluster, self.owner, self.name, self.role = cluster, owner, name, role
        self.ns = ns  # the network namespace it runs in, or None
        self.dir = os.path.join(cluster.dir, owner)
        self.state = os.path.join(self.dir, "state")
        self.key = os.path.join(self.dir, "key")
        self.data_key = os.path.join(self.dir, "data_key")  # seals its database
        self.sock = os.path.join(self.dir, "control.sock")
        self.conf = os.path.join(self.dir, "linlid.conf")
        self.logfile = os.path.join(self.dir, "linlid.log")
        self.proc = None
        self.pub = None  # its public key, hex, once made
        self.hub_endpoint = None  # a node: where it finds the hub, if not cluster.endpoint
        self.trust_file = None  # its own trust file, if not the cluster's
        # The build its linlid and linlictl come from (None: BUILD); a test
        # sets it to run another release (test_upgrade: BUILD/next).
        self.bin_dir = None
        # Its http_listen ("127.0.0.1:PORT", "off"), or None for the role's
        # default; http_port the port in it, for the tests that fetch pages.
        # A hub's default (127.0.0.1:7480) would be one port for every test
        # running at once: each hub gets a free one.
        self.http_listen = f"127.0.0.1:{free_port()}" if role == "hub" else None
        self.http_port = None
        os.makedirs(self.dir, exist_ok=True)

    def write_config(self, extra=""):
        lines = [
            f"role = {self.role}",
            f"owner = {self.owner}",
            f"name = {self.name}",
            f"state_dir = {self.state}",
            f"key_file = {self.key}",
            f"data_key_file = {self.data_key}",
            f"trust_file = {self.trust_file or self.cluster.trust}",
            f"control = {self.sock}",
            "heartbeat_ms = 300",
        ]
        if self.role == "hub":
            lines.append(f"listen = {self.cluster.endpoint}")
        else:
            lines.append(f"hub = {self.hub_endpoint or self.cluster.endpoint}")
        if self.http_listen is not None:
            lines.append(f"http_listen = {self.http_listen}")
            m = re.search(r":(\d+)$", self.http_listen)
            self.http_port = int(m.group(1)) if m else None
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)

    @property
    def linlid(self):
        return os.path.join(self.bin_dir, "linlid") if self.bin_dir else LINLID

    @property
    def linlictl(self):
        return os.path.join(self.bin_dir, "linlictl") if self.bin_dir else LINLICTL

    def start(self, wait=True, wrap=()):
        """Starts linlid; wrap is a command to run it under (strace, faketime)."""
        assert self.proc is None or self.proc.poll() is not None
        log = open(self.logfile, "a")
        cmd = [*wrap, *VALGRIND, self.linlid, "-c", self.conf]
        if self.ns is not None:
            cmd = ["ip", "netns", "exec", self.ns] + cmd  # it execs: the same PID
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                     start_new_session=self.cluster.own_session)
        log.close()
        if wait:
            wait_until(f"{self.name} control socket", lambda: self.alive_and_ready(), 10 * SLOW)

    def alive_and_ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited {self.proc.returncode}: {self.log_tail()}")
        if self.ns is not None and os.path.realpath(f"/proc/{self.proc.pid}/exe") != \
                os.path.realpath(self.linlid):
            return False  # `ip netns exec` has not exec'd linlid yet
        return os.path.exists(self.sock) and self.ctl("status", json_out=True)

    def stop(self, sig=signal.SIGTERM, timeout=10 * SLOW):
        """Stops the daemon; after SIGTERM it must exit 0 (a sanitizer's
        report or a crash on the way out makes it fail)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"{self.name} did not stop within {timeout} s of {sig.name}")
        if sig == signal.SIGTERM and self.proc.returncode != 0:
            raise RuntimeError(f"{self.name} exited {self.proc.returncode} on SIGTERM:\n"
                               f"{self.log_tail(30)}")

    def kill(self):
        self.stop(signal.SIGKILL)

    def log_tail(self, n=8):
        try:
            with open(self.logfile, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def log_text(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def ctl(self, *args, json_out=False, check=True, timeout=120):
        cmd = [self.linlictl, "-s", self.sock] + (["--json"] if json_out else []) + list(args)
        p = run_tool(cmd, capture_output=True, text=True, timeout=timeout * SLOW)
        if check and p.returncode != 0:
            raise CtlError(p.returncode, p.stdout, p.stderr)
        if json_out and p.returncode == 0:
            return json.loads(p.stdout) if p.stdout.strip() else None
        return p

    def status(self):
        return self.ctl("status", json_out=True)

    def wait_writable(self, timeout=10):
        """A new database takes writes once the hub has confirmed it holds
        none of this community's log."""
        wait_until(f"{self.name} takes writes",
                   lambda: self.status()["writes"] == "accepted", timeout)

    def digests(self):
        """{"OWNER/public": (seq, records, digest)} for every log held."""
        out = {}
        for name, value in (self.ctl("digest", json_out=True) or {}).items():
            seq, records, digest = value.split()
            out[name] = (int(seq), int(records), digest)
        return out

    def stats(self):
        """The hub's or node's statistics rows keyed by owner code."""
        return {row["owner"]: row for row in self.ctl("stats", json_out=True)}


class Cluster:
    def __init__(self, communities=COMMUNITIES, keep=False, netns=None, host="127.0.0.1",
                 own_session=False):
        """netns: a netns.Netns with at least len(communities) node namespaces;
        host: the loopback address the hub listens on without one ("::1", or
        "::" for every address: then give each node its hub_endpoint);
        own_session: each daemon in a session of its own (a terminal's
        Ctrl-C does not reach it)."""
        self.own_session = own_session
        self.dir = tempfile.mkdtemp(prefix="linli-")
        self.keep = keep or os.environ.get("LINLI_KEEP") == "1"
        if netns is None:
            self.port = free_port(host)
            self.endpoint = f"tcp://{f'[{host}]' if ':' in host else host}:{self.port}"
        else:
            self.port = 7400  # the hub's namespace is new: nothing else listens there
            self.endpoint = f"tcp://{netns.hub_addr}:{self.port}"
        self.trust = os.path.join(self.dir, "trust")
        self.hub = Daemon(self, SUBDISTRICT[0], SUBDISTRICT[1], "hub",
                          netns.hub if netns else None)
        self.nodes = [Daemon(self, code, name, "node", netns.nodes[i] if netns else None)
                      for i, (code, name, _) in enumerate(communities)]
        self.by_owner = {d.owner: d for d in [self.hub] + self.nodes}
        lines = ["# demo trust list"]
        for d in [self.hub] + self.nodes:
            d.pub = self.keygen(d.key)
            self.keygen(d.data_key, data=True)
            lines.append(f"{d.owner} {d.pub} {d.name}")
            d.write_config()
        with open(self.trust, "w") as f:
            f.write("\n".join(lines) + "\n")

    @staticmethod
    def keygen(path, data=False):
        """A signing key (returns its public key), or with data a data key."""
        p = run_tool([LINLICTL, "keygen"] + (["--data"] if data else []) + [path],
                     capture_output=True, text=True, check=True)
        return p.stdout.strip()

    def start(self):
        self.hub.start()
        for n in self.nodes:
            n.start(wait=False)
        for n in self.nodes:
            wait_until(f"{n.name} control socket", n.alive_and_ready, 10 * SLOW)
        for n in self.nodes:
            n.wait_writable()

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def converged(self):
        """True once the hub holds every node's whole log and every node
        holds every other node's public log."""
        stats = self.hub.stats()
        heads = {}
        for n in self.nodes:
            st = n.status()
            heads[n.owner] = (int(st["log_public"]), int(st["log_personal"]))
            row = stats.get(n.owner)
            if row is None or (row["seq_public"], row["seq_personal"]) != heads[n.owner]:
                return False
        hub_pub = int(self.hub.status()["log_public"])
        for n in self.nodes:
            for other in [self.hub] + self.nodes:
                if other is n:
                    continue
                want = hub_pub if other is self.hub else heads[other.owner][0]
                if self.public_seq_at(n, other.owner) != want:
                    return False
        return True

    def public_seq_at(self, node, owner):
        for row in node.ctl("logs", json_out=True) or []:
            if row["owner"] == owner and row["stream"] == "public":
                return int(row["seq"])
        return 0

    def wait_converged(self, timeout=60):
        wait_until("replicas converge", self.converged, timeout, step=0.2)

    def stop(self):
        errors = []
        for d in self.nodes + [self.hub]:
            try:
                d.stop()
            except RuntimeError as e:
                errors.append(str(e))
        if errors:
            raise RuntimeError("\n".join(errors))

    def close(self):
        try:
            self.stop()
        finally:
            self._cleanup()

    def _cleanup(self):
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"# kept {self.dir}")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None and os.environ.get("CI") is None:
            self.keep = True  # the logs say what went wrong
        self.close()
