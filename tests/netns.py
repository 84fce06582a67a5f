"""A hub namespace and one namespace per node, joined by veth pairs, with
nftables faults on a node's link.  Used by the network fault tests.

    hub namespace                          node namespace i (i = 1..n)
      lo: 127.0.0.1, 10.77.255.1/32 (the hub's address)
      h<i>: 10.77.i.1/30  <--- veth --->  n<i>: 10.77.i.2/30
                                          route 10.77.255.1 via 10.77.i.1

Every namespace name carries this process's PID, so parallel runs do not
collide (interface names live inside the namespaces).
Nothing is added to the root namespace: the veth ends are created directly
in their namespaces, and deleting a namespace deletes its veth end (and so
the pair).  Teardown runs from close(), the context manager, atexit and on
SIGTERM/SIGHUP (which unwind through the callers' finally blocks first, so
a Cluster stops its daemons by PID before their namespaces go), and is
safe to run twice.

A fault is one nftables table (inet linli_fault) in the node's namespace
that drops on the node's veth, input and output: everything (cut) or a
random share (drop).  heal() deletes the table.
"""

import atexit
import os
import re
import shutil
import signal
import subprocess

PREFIX = "linli"
HUB_ADDR = "10.77.255.1"
FAULT_TABLE = "linli_fault"


class Unavailable(Exception):
    """Namespaces or nftables cannot be used here: the test should skip."""


def _run(cmd, check=True, timeout=10, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale():
    """Deletes namespaces a killed earlier run left behind: named by this
    module, their run's PID gone, no process inside.  Returns their names."""
    p = _run(["ip", "netns", "list"], check=False)
    gone = []
    for line in p.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(rf"{PREFIX}(\d+)-(hub|n\d+)", name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        if _run(["ip", "netns", "pids", name], check=False).stdout.strip():
            continue
        if _run(["ip", "netns", "del", name], check=False).returncode == 0:
            gone.append(name)
    return gone


class Netns:
    """Creates the namespaces at once; raises Unavailable if it cannot
    (not root, no `ip` or `nft`, `ip netns add` refused)."""

    def __init__(self, nodes):
        assert 1 <= nodes <= 250
        self.tag = f"{PREFIX}{os.getpid()}"
        self.hub = f"{self.tag}-hub"
        self.nodes = [f"{self.tag}-n{i}" for i in range(1, nodes + 1)]
        self.hub_addr = HUB_ADDR
        self.created = []  # namespaces, in creation order
        self.faults = {}  # namespace -> description of its fault
        self.closed = False
        self._old_handlers = {}
        if os.geteuid() != 0:
            raise Unavailable("network namespaces need root")
        for tool in ("ip", "nft"):
            if shutil.which(tool) is None:
                raise Unavailable(f"`{tool}` is not installed (Debian: iproute2, nftables)")
        sweep_stale()
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        try:
            self._add(self.hub, probe=True)
            self._setup_hub()
            for i, ns in enumerate(self.nodes, 1):
                self._add(ns)
                self._setup_node(i, ns)
        except BaseException:
            self.close()
            raise

    # -- setup --------------------------------------------------------------

    def _add(self, ns, probe=False):
        """Adds ns with its loopback up.  The first one (probe) is the test
        of whether namespaces work here at all: each step that fails raises
        Unavailable with the command and its error.  In a chroot, say,
        `ip netns add` succeeds and entering the namespace then fails
        ("mount --make-rslave / failed")."""
        steps = [["ip", "netns", "add", ns], ["ip", "-n", ns, "link", "set", "lo", "up"]]
        if probe:
            # nftables must work inside a namespace, or no fault can be made.
            steps.append(["ip", "netns", "exec", ns, "nft", "list", "ruleset"])
        for cmd in steps:
            p = _run(cmd, check=False)
            if p.returncode != 0:
                why = f"{' '.join(cmd)}: {p.stderr.strip() or f'exit {p.returncode}'}"
                if probe:
                    raise Unavailable(f"network namespaces do not work here: {why}")
                raise RuntimeError(why)
            if cmd[:3] == ["ip", "netns", "add"]:
                self.created.append(ns)

    def _setup_hub(self):
        _run(["ip", "-n", self.hub, "addr", "add", f"{self.hub_addr}/32", "dev", "lo"])

    def _setup_node(self, i, ns):
        hub_if, node_if = f"h{i}", f"n{i}"
        # Both ends are created inside their namespaces: the root namespace
        # never holds them, even for a moment.
        _run(["ip", "-n", self.hub, "link", "add", hub_if, "type", "veth", "peer", "name",
              node_if, "netns", ns])
        _run(["ip", "-n", self.hub, "addr", "add", f"10.77.{i}.1/30", "dev", hub_if])
        _run(["ip", "-n", ns, "addr", "add", f"10.77.{i}.2/30", "dev", node_if])
        _run(["ip", "-n", self.hub, "link", "set", hub_if, "up"])
        _run(["ip", "-n", ns, "link", "set", node_if, "up"])
        _run(["ip", "-n", ns, "route", "add", f"{self.hub_addr}/32", "via", f"10.77.{i}.1"])

    def node_if(self, ns):
        return f"n{self.nodes.index(ns) + 1}"

    # -- running things -----------------------------------------------------

    @staticmethod
    def wrap(ns, cmd):
        """cmd run inside ns.  `ip netns exec` execs cmd (execvp), so the
        PID of the process started is cmd's own."""
        return ["ip", "netns", "exec", ns] + list(cmd)

    def run(self, ns, cmd, **kw):
        return _run(self.wrap(ns, cmd), **kw)

    # -- faults -------------------------------------------------------------

    def _apply(self, ns, match, what):
        self.heal(ns)
        dev = self.node_if(ns)
        rules = (f"table inet {FAULT_TABLE} {{\n"
                 f"  chain input {{ type filter hook input priority 0; policy accept;\n"
                 f"    iifname \"{dev}\" {match} drop; }}\n"
                 f"  chain output {{ type filter hook output priority 0; policy accept;\n"
                 f"    oifname \"{dev}\" {match} drop; }}\n"
                 f"}}\n")
        _run(self.wrap(ns, ["nft", "-f", "-"]), input=rules)
        self.faults[ns] = what

    def cut(self, ns):
        """Drops every packet on ns's link, both ways."""
        self._apply(ns, "", "cut")

    def drop(self, ns, percent=30):
        """Drops a random percent of the packets on ns's link, each way."""
        assert 0 < percent < 100
        self._apply(ns, f"numgen random mod 100 < {percent}", f"drop {percent}%")

    def heal(self, ns):
        if ns in self.faults:
            _run(self.wrap(ns, ["nft", "delete", "table", "inet", FAULT_TABLE]))
            del self.faults[ns]

    def heal_all(self):
        for ns in list(self.faults):
            self.heal(ns)

    # -- teardown -----------------------------------------------------------

    def _on_signal(self, signum, frame):
        # Unwinds through every finally block (the cluster's stop, then close).
        raise SystemExit(128 + signum)

    def close(self):
        """Deletes every namespace made (their veth pairs go with them) and
        checks that none is left."""
        if self.closed:
            return
        self.closed = True
        left = []
        for ns in reversed(self.created):
            p = _run(["ip", "netns", "del", ns], check=False)
            if p.returncode != 0:
                left.append(f"{ns}: {p.stderr.strip()}")
        listed = _run(["ip", "netns", "list"], check=False).stdout
        left += [ns for ns in self.created if re.search(rf"^{re.escape(ns)}\b", listed, re.M)]
        self.created = []
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)
        atexit.unregister(self.close)
        if left:
            raise RuntimeError("namespaces not deleted: " + "; ".join(left))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
