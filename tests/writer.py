"""A writer for the fault tests: adds records at one node, one linlictl call
each, in a thread, and remembers what each call answered.

acked holds (kind, id) of every add that returned success: those must never
be lost.  maybe holds those whose add failed or timed out: the node may
have been killed after its commit and before answering, so they may or may
not exist.  Anything else at the node was written by nobody."""

import subprocess
import threading
import time


class Writer(threading.Thread):
    """kinds are written in turn (household: personal, service: public);
    pace is a pause after every call, to leave the daemons room on a small
    machine.  pause() and resume() hold and release it between calls (it
    starts held if paused); stop() ends it."""

    def __init__(self, node, prefix, kinds=("household",), pace=0.0, paused=False):
        super().__init__(daemon=True)
        self.node, self.prefix, self.kinds, self.pace = node, prefix, kinds, pace
        self.acked, self.maybe = set(), set()
        self.halt = threading.Event()
        self.go = threading.Event()
        if not paused:
            self.go.set()
        self.idle = threading.Event()
        self.n = 0

    def args(self, kind, rid):
        if kind == "household":
            return [kind, "add", rid, "grid=g1", "size=2", f"phone=1390000{self.n % 10000:04d}"]
        return [kind, "add", rid, f"name=服务{self.n}", "category=elderly", "status=open"]

    def run(self):
        while not self.halt.is_set():
            if not self.go.is_set():
                self.idle.set()
                self.go.wait(0.2)
                continue
            self.idle.clear()
            self.n += 1
            kind, rid = self.kinds[self.n % len(self.kinds)], f"{self.prefix}{self.n:06d}"
            try:
                ok = self.node.ctl(*self.args(kind, rid), check=False,
                                   timeout=10).returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            (self.acked if ok else self.maybe).add((kind, rid))
            if not ok:
                time.sleep(0.05)
            if self.pace:
                time.sleep(self.pace)
        self.idle.set()

    def pause(self):
        self.go.clear()
        self.idle.wait(15)

    def resume(self):
        self.idle.clear()
        self.go.set()

    def stop(self):
        self.halt.set()
        self.go.set()
        self.join(30)
        assert not self.is_alive(), f"writer at {self.node.name} did not stop"


def written(daemon, owner, prefix, kind="household"):
    """(kind, id) of the records of owner with ids starting with prefix, as
    daemon holds them."""
    rows = daemon.ctl(kind, "list", "--owner", owner, json_out=True) or []
    return {(kind, r["id"]) for r in rows if r["id"].startswith(prefix)}


def stop_all(writers):
    """Stops every writer, all at once rather than one after another."""
    for w in writers:
        w.halt.set()
        w.go.set()
    for w in writers:
        w.stop()
