#!/usr/bin/env python3
"""make demo: the subdistrict hub and the ten Lingyuan communities on this
machine, each a real linlid with its own key and database, loaded with demo
records through linlictl; prints the subdistrict's statistics and stops.

LINLI_KEEP=1 keeps the temporary directory (keys, configs, logs, databases).
SERVE=1 (`make demo SERVE=1`) keeps everything running, the dashboard too,
until Ctrl-C, which ends the daemons by their PIDs.
"""

import gettext
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
import demo_data  # noqa: E402

# What the demo says, in the language linlictl speaks (po/ has it too).
_tr = gettext.translation("linli", os.environ.get("LINLI_LOCALEDIR"), fallback=True)
_ = _tr.gettext


def named(d):
    """A daemon's name as linlictl shows it (曾林 in a Chinese locale)."""
    return _tr.pgettext("community", d.name)


def dashboard_port():
    """The hub's usual port (7480) if it is free here, else another."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 7480))
            return 7480
        except OSError:
            return cluster.free_port()


def main():
    t0 = time.monotonic()
    serve = os.environ.get("SERVE", "") not in ("", "0")
    # Serving, the daemons get a session of their own: Ctrl-C reaches this
    # script alone, which ends them one by one, by PID.
    with cluster.Cluster(own_session=serve) as c:
        c.hub.http_listen = f"127.0.0.1:{dashboard_port()}"
        c.hub.write_config()
        print(_("linli demo in {dir}").format(dir=c.dir))
        print(_("  hub {owner} {name} listening on {endpoint}").format(
            owner=c.hub.owner, name=named(c.hub), endpoint=c.endpoint))
        c.start()
        for n in c.nodes:
            print(_("  node {owner} {name} started (pid {pid})").format(
                owner=n.owner, name=named(n), pid=n.proc.pid))

        total = 0
        for n in c.nodes:
            data = os.path.join(c.dir, "data", n.owner)
            demo_data.community(data, n.owner, n.name, pilot=(n.name == "Zenglin"))
            for f in demo_data.FILES:
                p = n.ctl("import", os.path.join(data, f), json_out=True)
                total += p["imported"]
        print(_("loaded {n} records through linlictl import").format(n=total))

        # The story of the issue: an operator at Zenglin adds one service.
        z = c.node("Zenglin")
        z.ctl("service", "add", "s900", "name=长者助餐点", "category=elderly",
              "provider=曾林社区", "place=邻里中心B幢", "hours=11:00-13:00", "walk_minutes=5",
              "status=open")
        print(_("{name} added service s900 (elderly care) with linlictl").format(name=named(z)))

        c.wait_converged(timeout=120)
        print(_("hub has every community's records ({s:.1f} s)").format(
            s=time.monotonic() - t0) + "\n")
        sys.stdout.flush()
        os.system(f"'{cluster.LINLICTL}' -s '{c.hub.sock}' stats")
        print("\n" + _("{a}'s node lists {b}'s new service, verified by {b}'s signature:").format(
            a=named(c.node("Linkou")), b=named(z)))
        sys.stdout.flush()
        os.system(f"'{cluster.LINLICTL}' -s '{c.node('Linkou').sock}' service show s900 "
                  f"--owner {z.owner}")
        url = f"http://127.0.0.1:{c.hub.http_port}/"
        print("\n" + _("dashboard: {url}").format(url=url))
        if serve:
            # Ctrl-C stops the wait (even where SIGINT came ignored, as in a
            # shell's background job).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            print(_("serving the dashboard at {url} until Ctrl-C").format(url=url))
            sys.stdout.flush()
            try:
                while all(d.proc.poll() is None for d in [c.hub] + c.nodes):
                    time.sleep(1)
                print(_("a daemon stopped; stopping the others"))
            except KeyboardInterrupt:
                print()
    print("\n" + _("stopped the hub and the ten nodes"))


if __name__ == "__main__":
    main()
