#!/usr/bin/env python3
"""The control socket serves root and control_group only: the socket file
keeps others out, and the daemon itself refuses a caller whose credentials
(SO_PEERCRED) are neither, even when the file lets it connect.  Needs root
to run linlictl as other users; skipped (77) without it."""

import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402


def as_user(ctl, d, uid, gid, *args):
    """linlictl (the copy at ctl) as user uid, group gid, to d."""
    return subprocess.run([ctl, "-s", d.sock, *args], capture_output=True,
                          text=True, timeout=30, user=uid, group=gid, extra_groups=[])


def unreachable_by_others(path):
    """The first directory above path (path included) that others cannot
    pass through, or None."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & 0o001:
            return path
        if path == "/":
            return None
        path = os.path.dirname(path)


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root to run linlictl as other users")
        sys.exit(77)
    try:
        member = pwd.getpwnam("nobody")          # primary group nogroup
        group = grp.getgrgid(member.pw_gid).gr_name
        outsider = pwd.getpwnam("daemon")        # not in nogroup
    except KeyError:
        print("SKIP: no users nobody and daemon here")
        sys.exit(77)
    if outsider.pw_gid == member.pw_gid or outsider.pw_name in grp.getgrnam(group).gr_mem:
        print("SKIP: daemon is in nobody's group here")
        sys.exit(77)

    closed = unreachable_by_others(tempfile.gettempdir())
    if closed is not None:
        print(f"SKIP: other users cannot enter {closed}, where the test's directory would be "
              f"(set TMPDIR to a place they can)")
        sys.exit(77)

    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        z = c.node("Zenglin")
        z.write_config(f"control_group = {group}\n")
        for path in (c.dir, z.dir):
            os.chmod(path, 0o711)  # others may pass through, not list
        # The checkout (and build/linlictl) may be in a home only its owner
        # can enter, such as /root: the other users run a copy of linlictl
        # from the test's directory.
        ctl = os.path.join(c.dir, "linlictl")
        shutil.copy(cluster.LINLICTL, ctl)
        os.chmod(ctl, 0o755)
        c.start()
        st = os.stat(z.sock)
        assert st.st_mode & 0o777 == 0o660 and st.st_gid == member.pw_gid, oct(st.st_mode)

        p = as_user(ctl, z, member.pw_uid, member.pw_gid, "status")
        assert p.returncode == 0 and "role" in p.stdout, p.stderr
        p = as_user(ctl, z, member.pw_uid, member.pw_gid, "service", "add", "s1", "name=食堂",
                    "category=elderly")
        assert p.returncode == 0, p.stderr
        print(f"ok - a member of control_group ({group}) is served")

        p = as_user(ctl, z, outsider.pw_uid, outsider.pw_gid, "status")
        assert p.returncode == 1 and "Permission denied" in p.stderr, p.stderr
        print("ok - a user outside the group cannot reach the socket (mode 0660)")

        os.chmod(z.sock, 0o666)  # a mistake in the socket's mode
        p = as_user(ctl, z, outsider.pw_uid, outsider.pw_gid, "status")
        want = f"permission denied: uid {outsider.pw_uid} is not root nor in the control group"
        assert p.returncode == 1 and want in p.stderr, (p.stdout, p.stderr)
        p = as_user(ctl, z, outsider.pw_uid, outsider.pw_gid, "service", "remove", "s1")
        assert p.returncode == 1 and want in p.stderr, p.stderr
        assert "control: request refused" in z.log_text()
        assert z.ctl("service", "show", "s1", check=False).returncode == 0
        print("ok - with the file opened to all, the daemon still refuses the outsider by its "
              "credentials")


if __name__ == "__main__":
    main()
