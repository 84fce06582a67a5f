#!/usr/bin/env python3
"""The control socket serves root and control_group, and read_group for
what only reads: the socket file keeps others out (read_group through an
ACL entry), and the daemon itself refuses a caller whose credentials
(SO_PEERCRED) are none of these, even when the file lets it connect, and a
read_group member's request that would change data or trust, saying which
group it needs.  Needs root to run linlictl as other users; skipped (77)
without it."""

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
        reader = pwd.getpwnam("bin")             # primary group bin: read_group
        rgroup = grp.getgrgid(reader.pw_gid).gr_name
    except KeyError:
        print("SKIP: no users nobody, daemon and bin here")
        sys.exit(77)
    gids = {member.pw_gid, outsider.pw_gid, reader.pw_gid}
    if len(gids) != 3 or outsider.pw_name in grp.getgrnam(group).gr_mem + \
            grp.getgrnam(rgroup).gr_mem or reader.pw_name in grp.getgrnam(group).gr_mem:
        print("SKIP: nobody, daemon and bin share groups here")
        sys.exit(77)

    closed = unreachable_by_others(tempfile.gettempdir())
    if closed is not None:
        print(f"SKIP: other users cannot enter {closed}, where the test's directory would be "
              f"(set TMPDIR to a place they can)")
        sys.exit(77)

    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        z = c.node("Zenglin")
        z.write_config(f"control_group = {group}\nread_group = {rgroup}\n")
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

        for args in (["status"], ["stats"], ["service", "list"], ["service", "show", "s1"],
                     ["logs"], ["digest"], ["verify"], ["trust", "list"]):
            p = as_user(ctl, z, reader.pw_uid, reader.pw_gid, *args)
            assert p.returncode == 0 and p.stdout, (args, p.stdout, p.stderr)
        print(f"ok - a member of read_group ({rgroup}) reads: status, stats, list, show, logs, "
              "digest, verify, trust list")
        refused_before = int(z.status()["refused_control"])
        csv = os.path.join(c.dir, "s.csv")
        with open(csv, "w") as f:
            f.write("id,name,category\ns2,食堂,elderly\n")
        os.chmod(csv, 0o644)
        for args, verb in ((["service", "add", "s2", "name=食堂", "category=elderly"],
                            "service add"),
                           (["service", "set", "s1", "name=x"], "service set"),
                           (["service", "remove", "s1"], "service remove"),
                           (["import", csv, "--kind", "service"], "import"),
                           (["trust", "add", "350582006001", z.pub, "Linkou"], "trust add"),
                           (["trust", "revoke", z.owner], "trust revoke"),
                           (["reload"], "reload"), (["restore"], "restore"),
                           (["diverged"], "diverged")):
            p = as_user(ctl, z, reader.pw_uid, reader.pw_gid, *args)
            want = (f"permission denied: uid {reader.pw_uid} is in read_group {rgroup}, which "
                    f"may only read: {verb} needs control_group {group} (or root)")
            assert p.returncode == 1 and want in p.stderr, (args, p.stderr)
        assert int(z.status()["refused_control"]) == refused_before + 9
        assert z.ctl("service", "show", "s1", json_out=True)["name"] == "食堂"
        assert "s2" not in z.ctl("service", "list").stdout
        print(f"ok - read_group cannot change data or trust: \"{want}\"")

        p = as_user(ctl, z, outsider.pw_uid, outsider.pw_gid, "status")
        assert p.returncode == 1 and "Permission denied" in p.stderr, p.stderr
        print("ok - a user outside both groups cannot reach the socket (mode 0660, an ACL "
              "entry for read_group only)")

        os.chmod(z.sock, 0o666)  # a mistake in the socket's mode
        p = as_user(ctl, z, outsider.pw_uid, outsider.pw_gid, "status")
        want = (f"permission denied: uid {outsider.pw_uid} is not root nor in control_group "
                f"{group} or read_group {rgroup}")
        assert p.returncode == 1 and want in p.stderr, (p.stdout, p.stderr)
        p = as_user(ctl, z, outsider.pw_uid, outsider.pw_gid, "service", "remove", "s1")
        assert p.returncode == 1 and want in p.stderr, p.stderr
        assert "control: request refused" in z.log_text()
        assert z.ctl("service", "show", "s1", check=False).returncode == 0
        print("ok - with the file opened to all, the daemon still refuses the outsider by its "
              "credentials")


if __name__ == "__main__":
    main()
