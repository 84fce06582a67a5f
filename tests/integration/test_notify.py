#!/usr/bin/env python3
"""linlid as systemd's Type=notify service sees it, without systemd: the
test is the service manager's end of $NOTIFY_SOCKET (sd_notify(3)'s
datagrams, with the sender's PID from the kernel, as NotifyAccess=main
checks it) and of $JOURNAL_STREAM (sd-daemon(3)'s <N> prefixes).

READY=1 only once the database is checked and the control socket answers;
STATUS= lines an administrator can read; WATCHDOG=1 at half of
$WATCHDOG_USEC (none when $WATCHDOG_PID names another process);
RELOADING=1 then READY=1 around SIGHUP and `linlictl reload`; STOPPING=1
on SIGTERM.  The real systemd (restarts, the watchdog's kill) is
tests/system."""

import os
import re
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

SLOW = cluster.SLOW


class Listener:
    """A notify socket: every datagram with the sender's PID and when it came."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        # A leading '@' names an abstract socket (sd_notify(3)).
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.sock.settimeout(0.2)
        self.address = address
        self.got = []  # (monotonic time, pid, {name: value})
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        size = socket.CMSG_SPACE(struct.calcsize("3i"))
        while not self.done:
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, size)
            except socket.timeout:
                continue
            pid = None
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", value[:12])[0]
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
            with self.lock:
                self.got.append((time.monotonic(), pid, fields))

    def messages(self, since=0):
        with self.lock:
            return list(self.got[since:])

    def count(self):
        with self.lock:
            return len(self.got)

    def wait(self, what, fn, since=0, timeout=10):
        """The first message at or after index since for which fn(fields) holds."""
        def found():
            for i, (t, pid, f) in enumerate(self.messages(since)):
                if fn(f):
                    return since + i + 1, t, pid, f
            return None
        return cluster.wait_until(f"{what} on {self.address}", found, timeout * SLOW)

    def close(self):
        self.done = True
        self.thread.join()
        self.sock.close()


def start_with(d, env, wait=True):
    """Starts d with env added to this process's environment."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        d.start(wait=wait)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def stream_id(path):
    st = os.stat(path)
    return f"{st.st_dev}:{st.st_ino}"


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        hub, z = c.hub, c.node("Zenglin")
        hub_ear = Listener(os.path.join(c.dir, "hub-notify.sock"))
        node_ear = Listener(f"@linli-test-notify-{os.getpid()}")
        try:
            # The hub's stderr is its log file; JOURNAL_STREAM names that
            # file, as systemd names the journal's stream.
            open(hub.logfile, "a").close()
            hub_env = {"NOTIFY_SOCKET": hub_ear.address, "WATCHDOG_USEC": "4000000",
                       "JOURNAL_STREAM": stream_id(hub.logfile)}
            start_with(hub, hub_env, wait=False)
            _, _, pid, f = hub_ear.wait("READY=1", lambda f: f.get("READY") == "1")
            assert pid == hub.proc.pid, f"READY=1 from PID {pid}, the hub is {hub.proc.pid}"
            # Ready means ready: the control socket answers at once.
            assert hub.ctl("status", json_out=True, timeout=5)["role"] == "hub"
            assert "STATUS" in f, f"READY=1 without a STATUS: {f}"

            # A node with a watchdog meant for another process sends no WATCHDOG=1.
            node_env = {"NOTIFY_SOCKET": node_ear.address, "WATCHDOG_USEC": "4000000",
                        "WATCHDOG_PID": "1", "JOURNAL_STREAM": "1:1"}
            start_with(z, node_env, wait=False)
            node_ear.wait("READY=1", lambda f: f.get("READY") == "1")
            z.wait_writable()
            node_ear.wait("node STATUS", lambda f: f.get("STATUS") ==
                          "hub linked, 0 unacknowledged")
            hub_ear.wait("hub STATUS", lambda f: f.get("STATUS") ==
                         "1 of 1 communities linked, 0 behind")
            z.ctl("service", "add", "s1", "name=长者食堂", "category=elderly")
            c.wait_converged()

            # The watchdog: at half of WATCHDOG_USEC (2 s), never 4 s apart.
            mark = hub_ear.count()
            time.sleep(9)
            pings = [t for t, pid, f in hub_ear.messages(mark) if f.get("WATCHDOG") == "1"]
            assert len(pings) >= 3, f"{len(pings)} WATCHDOG=1 in 9 s at WATCHDOG_USEC=4 s"
            gaps = [b - a for a, b in zip(pings, pings[1:])]
            assert max(gaps) < 4.0, f"WATCHDOG=1 gaps {gaps}: systemd would kill it"
            assert min(gaps) > 1.0, f"WATCHDOG=1 gaps {gaps}: more often than half the interval"
            assert not any(f.get("WATCHDOG") for _, _, f in node_ear.messages()), \
                "WATCHDOG=1 though WATCHDOG_PID names another process"

            # Reloads: SIGHUP, and linlictl reload.
            for how in ("SIGHUP", "linlictl reload"):
                mark = hub_ear.count()
                if how == "SIGHUP":
                    hub.proc.send_signal(signal.SIGHUP)
                else:
                    hub.ctl("reload")
                i, _, _, _ = hub_ear.wait(f"RELOADING=1 on {how}",
                                          lambda f: f.get("RELOADING") == "1", since=mark)
                hub_ear.wait(f"READY=1 after {how}", lambda f: f.get("READY") == "1", since=i)

            # The hub killed: the node says so; after the kill, the hub is
            # READY=1 only once its database is checked.
            mark = node_ear.count()
            hub.kill()
            node_ear.wait("node STATUS, hub gone", lambda f: f.get("STATUS") ==
                          "hub link down, 0 unacknowledged", since=mark)
            mark = node_ear.count()
            z.ctl("service", "add", "s2", "name=四点半课堂", "category=childcare")
            node_ear.wait("node STATUS, a write waits", lambda f: f.get("STATUS") ==
                          "hub link down, 1 unacknowledged", since=mark)
            mark = hub_ear.count()
            start_with(hub, hub_env, wait=False)
            hub_ear.wait("READY=1 after a kill", lambda f: f.get("READY") == "1", since=mark)
            assert "database check: the last" in hub.log_text(), hub.log_tail(20)
            mark = node_ear.count()
            node_ear.wait("node STATUS, hub back", lambda f: f.get("STATUS") ==
                          "hub linked, 0 unacknowledged", since=mark, timeout=20)

            # STOPPING=1, then a clean exit (Daemon.stop checks the status).
            mark, mark_hub = node_ear.count(), hub_ear.count()
            z.stop()
            node_ear.wait("STOPPING=1", lambda f: f.get("STOPPING") == "1", since=mark)
            hub_ear.wait("hub STATUS with the node gone", lambda f: f.get("STATUS") ==
                         "0 of 1 communities linked, 0 behind", since=mark_hub, timeout=20)
            mark = hub_ear.count()
            hub.stop()
            hub_ear.wait("hub STOPPING=1", lambda f: f.get("STOPPING") == "1", since=mark)
        finally:
            hub_ear.close()
            node_ear.close()

        # Under journald: <N> priority prefixes and no timestamps of its own.
        hub_log = hub.log_text().splitlines()
        assert all(re.match(r"<[3467]>[^<]", ln) for ln in hub_log), hub_log
        assert any(ln.startswith("<6>") and "started" in ln for ln in hub_log), hub_log
        assert any(ln.startswith("<4>the last run did not stop cleanly") for ln in hub_log), \
            hub_log
        assert any(ln == "<6>SIGHUP: reloading the trust list" for ln in hub_log), hub_log
        # A JOURNAL_STREAM that is not its stderr (a shell started from a
        # unit, writing to a file): lines as before.
        node_log = z.log_text().splitlines()
        assert node_log and all(" linlid " in ln and not ln.startswith("<") for ln in node_log), \
            node_log[:5]
    print("ok: READY, STATUS, WATCHDOG, RELOADING, STOPPING and journald prefixes")


if __name__ == "__main__":
    main()
