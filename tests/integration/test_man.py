#!/usr/bin/env python3
"""The man pages linlid(8), linlictl(8) and linlid.conf(5), as the build
makes them: `man -l` renders each without a warning (groff -ww, and
mandoc -T lint where it is installed), and they cannot drift from the
code: every setting of daemon/config.c's table is in linlid.conf(5) with
its default and bounds, every command of ctl/main.c's table in
linlictl(8), every option of linlid in linlid(8), and each page has the
sections an administrator looks for."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAN = os.path.join(cluster.BUILD, "man")
PAGES = {"linlid.8": ["SYNOPSIS", "DESCRIPTION", "FILES", "EXIT STATUS", "SIGNALS",
                      "EXAMPLES", "SEE ALSO"],
         "linlictl.8": ["SYNOPSIS", "DESCRIPTION", "COMMANDS", "ACCESS", "FILES",
                        "ENVIRONMENT", "EXIT STATUS", "EXAMPLES", "RESTORING A BACKUP",
                        "SEE ALSO"],
         "linlid.conf.5": ["SYNOPSIS", "DESCRIPTION", "SETTINGS", "TRUST FILE", "FILES",
                           "EXAMPLES", "SEE ALSO"]}


def source(page):
    with open(os.path.join(MAN, page)) as f:
        return f.read()


def rendered(page):
    env = dict(os.environ, MANWIDTH="80", LANG="C.UTF-8")
    p = subprocess.run(["man", "--warnings", "-l", os.path.join(MAN, page)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0 and p.stdout, (page, p.stderr)
    assert p.stderr == "", f"{page}: man -l warns:\n{p.stderr}"
    return p.stdout


def check_render():
    for page, sections in PAGES.items():
        text = rendered(page)
        for sec in sections:
            assert re.search(rf"^{sec}$", text, re.M), (page, sec)
        version = open(os.path.join(TOP, "VERSION")).read().strip()
        assert version in text.splitlines()[-1], (page, text.splitlines()[-1])
        p = subprocess.run(["groff", "-k", "-ww", "-z", "-mandoc", "-Tutf8",
                            os.path.join(MAN, page)],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stderr == "", (page, p.stderr)
        if shutil.which("mandoc"):
            p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning",
                                os.path.join(MAN, page)],
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0 and p.stdout + p.stderr == "", (page, p.stdout, p.stderr)
    print(f"ok - man -l renders {', '.join(PAGES)} without a warning (groff -ww"
          f"{', mandoc -T lint' if shutil.which('mandoc') else ''})")


def check_settings():
    with open(os.path.join(TOP, "daemon", "config.c")) as f:
        table = re.findall(r'\{"(\w+)", (T_\w+), \w+\(\w+\), ([^,]+), ([^,]+), '
                           r'(NULL|"[^"]*"), ([\w |]+)\}', f.read())
    assert len(table) > 15, table
    page = source("linlid.conf.5")
    text = rendered("linlid.conf.5")
    entries = re.split(r"^\.It Cm ", page, flags=re.M)[1:]
    named = {e.split(None, 1)[0]: e for e in entries}
    for name, typ, lo, hi, default, need in table:
        assert name in named, f"setting {name} is not in linlid.conf(5)"
        body = " ".join(named[name].split())
        if default == "NULL":
            assert "Required" in body, (name, body)
        elif default == '""':
            assert "no default" in body or "Default: empty" in body, (name, body)
        else:
            assert f"Default: {default[1:-1]}" in body, (name, default, body)
        if typ == "T_INT":
            assert f"from {lo} to {hi}" in body, (name, lo, hi, body)
    extra = set(named) - {t[0] for t in table}
    assert not extra, f"linlid.conf(5) documents settings config.c does not have: {extra}"
    assert "read_group" in text and "control_group" in text
    print(f"ok - linlid.conf(5) documents all {len(table)} settings of config.c, each with "
          "its default and bounds, and no other")


def check_commands():
    with open(os.path.join(TOP, "ctl", "main.c")) as f:
        table = re.findall(r'\{"(\w+)", (NULL|"\w+"), cmd_\w+,', f.read())
    page = source("linlictl.8")
    assert len(table) > 15, table
    for word, verb in table:
        verb = None if verb == "NULL" else verb.strip('"')
        if word == "KIND":
            want = rf"^\.It Ar kind Cm {verb}\b"
        else:
            want = rf"^\.It Cm {word}" + (rf" Cm {verb}\b" if verb else r"\b")
        assert re.search(want, page, re.M), f"command {word} {verb or ''} not in linlictl(8)"
    for option in ("-s", "--json", "--version"):
        assert option.lstrip("-") in page, option
    print(f"ok - linlictl(8) has every one of the {len(table)} commands of ctl/main.c")

    page = source("linlid.8")
    for flag in ("c", "n", "v", "h"):
        assert re.search(rf"^\.It Fl {flag}\b", page, re.M), f"linlid -{flag}"
    assert re.search(r"^\.It Fl \\?-version", page, re.M), "linlid --version"
    for sig in ("HUP", "TERM", "INT"):
        assert f"SIG{sig}" in rendered("linlid.8"), sig
    print("ok - linlid(8) has every option and signal")


def main():
    if shutil.which("man") is None or shutil.which("groff") is None:
        print("SKIP: no man or groff here (Debian man-db, groff-base)")
        sys.exit(77)
    check_render()
    check_settings()
    check_commands()


if __name__ == "__main__":
    main()
