#!/usr/bin/env python3
"""linlictl speaks the operator's language, aligns its tables in any
locale, and its help is help.

With LANG=zh_CN.UTF-8 (generated here when missing, as root; else SKIP)
linlictl's status, stats, list, help and error messages are Chinese, the
communities appear under their Chinese names, and the daemons, which run
with no LANG at all (as under systemd), answer that operator in Chinese
too.  With LANG=C, and with no LANG, the same tables still align when
cells hold Chinese (display widths checked as a terminal counts them:
East Asian Wide and Fullwidth take two columns).  `--help` anywhere on a
record command prints help and writes nothing (the node's log heads do not
move); ids that begin with '-' are refused by add, set, remove, show and
import; a record made under such an id before the rule is removed with
`--`.  Every message marked for translation in ctl/ and daemon/ has its
Chinese in po/zh_CN.po."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
LOCALE_VARS = ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LC_CTYPE")


def zh_locale_ready():
    """True once zh_CN.UTF-8 is installed (generating it as root with
    Debian's locale-gen); else prints SKIP and exits 77."""
    def have():
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout
        return any(x.lower().replace("-", "") == "zh_cn.utf8" for x in out.split())
    if have():
        return True
    if os.geteuid() != 0 or shutil.which("locale-gen") is None:
        print("SKIP: the zh_CN.UTF-8 locale is missing and cannot be made here "
              "(as root: apt-get install locales; add 'zh_CN.UTF-8 UTF-8' to "
              "/etc/locale.gen; locale-gen)")
        sys.exit(77)
    with open("/etc/locale.gen", "a+") as f:
        f.seek(0)
        if not re.search(r"^zh_CN\.UTF-8 UTF-8", f.read(), re.M):
            f.write("zh_CN.UTF-8 UTF-8\n")
    subprocess.run(["locale-gen"], check=True, capture_output=True, timeout=120)
    assert have(), "locale-gen did not make zh_CN.UTF-8"
    return True


def env_with(**over):
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    env.update(over)
    return env


ZH = env_with(LANG="zh_CN.UTF-8")
C = env_with(LANG="C")
UNSET = env_with()


def ctl(d, env, *args, check=None):
    p = cluster.run_tool([cluster.LINLICTL, "-s", d.sock, *args], capture_output=True,
                         text=True, timeout=60 * cluster.SLOW, env=env)
    if check is not None:
        assert p.returncode == check, (args, p.returncode, p.stdout, p.stderr)
    return p


def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w


def cells(line):
    """(start, end) display columns of each cell: cells are separated by
    two spaces or more, a single space stays inside a cell."""
    return [(width(line[:m.start()]), width(line[:m.end()]))
            for m in re.finditer(r"\S+(?: \S+)*", line)]


def assert_aligned(lines, what):
    """Every column starts at one display column (left-aligned) or ends at
    one (right-aligned) in every row, the header included."""
    rows = [cells(x) for x in lines if x.strip()]
    assert len(rows) >= 2, (what, lines)
    n = len(rows[0])
    for r, line in zip(rows, lines):
        assert len(r) == n, f"{what}: {len(r)} cells, header has {n}:\n" + "\n".join(lines)
    for j in range(n):
        starts = {r[j][0] for r in rows}
        ends = {r[j][1] for r in rows}
        assert len(starts) == 1 or len(ends) == 1, \
            f"{what}: column {j + 1} is not aligned:\n" + "\n".join(lines)


def tables(text):
    """Blocks of lines separated by blank lines."""
    return [b.splitlines() for b in text.strip("\n").split("\n\n")]


def heads(d):
    st = d.status()
    return int(st["log_public"]), int(st["log_personal"])


def check_help(z):
    before = heads(z)
    # The case of the issue: nothing is added, whatever follows --help.
    for args in (["help"], ["service", "--help"], ["service", "-h"],
                 ["service", "add", "--help", "name=x", "category=elderly"],
                 ["service", "add", "zl-x", "name=x", "--help"],
                 ["household", "add", "--help"], ["household", "set", "--help"],
                 ["request", "list", "--help"], ["event", "remove", "--help"],
                 ["grid", "show", "--help"], ["help", "partner"], ["status", "--help"],
                 ["trust", "add", "--help"], ["import", "--help"]):
        for env in (ZH, C):
            p = ctl(z, env, *args, check=0)
            assert p.stdout.strip() and not p.stderr, (args, p.stdout, p.stderr)
    assert heads(z) == before, ("--help wrote", before, heads(z))
    assert not [r for r in z.ctl("services", "list", json_out=True) if r["id"].startswith("-")]

    zh = ctl(z, ZH, "service", "add", "--help", check=0).stdout
    # Fields by their Chinese and English names, and the allowed values.
    for word in ("名称", "name", "类别", "category", "步行", "walk_minutes",
                 "党群服务", "party-mass", "老有所养", "elderly", "状态", "open", "开放"):
        assert word in zh, (word, zh)
    hh = ctl(z, C, "household", "add", "--help", check=0).stdout
    for word in ("phone", "联系电话", "head_name", "户主姓名", "rented", "是否出租", "yes"):
        assert word in hh, (word, hh)
    req = ctl(z, ZH, "request", "--help", check=0).stdout
    for word in ("网格群", "grid-chat", "已办结", "resolved", "add", "set", "remove", "list"):
        assert word in req, (word, req)
    assert "linlictl" in ctl(z, ZH, "help", check=0).stdout
    assert re.search(r"[\u4e00-\u9fff]", ctl(z, ZH, "help", check=0).stdout)


def check_dash_ids(c, z, tmp):
    before = heads(z)
    for args in (["service", "add", "-x", "name=a", "category=elderly"],
                 ["service", "add", "--x", "name=a", "category=elderly"],
                 ["service", "set", "-x", "name=b"],
                 ["service", "remove", "-x"],
                 ["service", "show", "-x"]):
        p = ctl(z, C, *args)
        assert p.returncode != 0, (args, p.stdout)
        assert "-x" in p.stderr and "'-'" in p.stderr, (args, p.stderr)
    csv = os.path.join(tmp, "dash.csv")
    with open(csv, "w") as f:
        f.write("id,name,category\nok-1,Good,elderly\n-bad,Bad,elderly\n")
    p = ctl(z, C, "import", csv, "--kind", "service")
    assert p.returncode != 0, p.stdout
    assert heads(z) == before, ("a refused id wrote", before, heads(z))
    # The daemon refuses them itself, from any client.
    raw = os.path.join(cluster.BUILD, "tests", "linli-ctlraw")
    out = subprocess.run([raw, z.sock, "record", "add", "service", "-x", "name=x",
                          "category=elderly"], capture_output=True, text=True,
                         timeout=30).stdout
    assert "ok=0" in out and "'-'" in out, out
    assert heads(z) == before


def main():
    zh_locale_ready()
    tmp = tempfile.mkdtemp(prefix="linli-zh-")
    # The daemons run as under systemd: no LANG.
    for k in LOCALE_VARS:
        os.environ.pop(k, None)
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Zenglin", "Linkou")]
    try:
        with cluster.Cluster(communities) as c:
            z, lk = c.node("Zenglin"), c.node("Linkou")
            # Linkou looks for its hub where none listens: it never joins.
            lk.hub_endpoint = f"tcp://127.0.0.1:{cluster.free_port()}"
            lk.write_config()
            c.hub.start()
            z.start()
            lk.start()
            z.wait_writable()

            for sid, name, cat, prov in (("s1", "长者助餐点", "elderly", "曾林社区居委会"),
                                         ("s2", "Youth palace", "childcare", "Zenglin"),
                                         ("s3", "健康小屋（心电图、血压）", "medical", "灵源街道卫生院")):
                ctl(z, ZH, "service", "add", sid, f"name={name}", f"category={cat}",
                    f"provider={prov}", "place=邻里中心B幢", "hours=08:00-17:00",
                    "walk_minutes=5", "status=open", check=0)
            ctl(z, ZH, "request", "add", "r1", "channel=grid-chat", "category=路灯",
                "text=路灯坏了", "status=resolved", "opened_at=2025-11-03 08:00",
                "resolved_at=2025-11-03 17:30", check=0)
            cluster.wait_until("hub has Zenglin's records",
                               lambda: c.hub.stats()["350582006006"]["seq_public"] >= 3, 60)

            # status: Chinese labels and values, the community's Chinese name.
            st = ctl(z, ZH, "status", check=0).stdout
            assert "角色" in st and "节点" in st and "曾林" in st, st
            assert not re.search(r"^role:", st, re.M), st
            assert "Zenglin" not in st, st
            # stats at the hub: Chinese headings and names, aligned.
            out = ctl(c.hub, ZH, "stats", check=0).stdout
            for word in ("党群服务", "幼有所育", "老有所养", "病有所医", "食有所安", "居有所乐",
                         "事有所办", "曾林", "林口", "灵源街道", "合计"):
                assert word in out, (word, out)
            assert "Zenglin" not in out and "elderly" not in out, out
            for t in tables(out):
                assert_aligned(t[1:], "stats (zh_CN.UTF-8): " + t[0])
            # list: Chinese headings and values, aligned.
            out = ctl(z, ZH, "services", "list", check=0).stdout
            for word in ("名称", "类别", "老有所养", "开放", "曾林"):
                assert word in out, (word, out)
            assert_aligned(out.splitlines(), "service list (zh_CN.UTF-8)")
            out = ctl(z, ZH, "request", "show", "r1", check=0).stdout
            assert "网格群" in out and "已办结" in out, out
            # English elsewhere, aligned with Chinese cells all the same.
            for env, name in ((C, "LANG=C"), (UNSET, "no LANG")):
                out = ctl(z, env, "services", "list", check=0).stdout
                assert "category" in out and "elderly" in out, out
                assert_aligned(out.splitlines(), f"service list ({name})")
                out = ctl(c.hub, env, "stats", check=0).stdout
                assert "Zenglin" in out and "elderly" in out, out
                for t in tables(out):
                    assert_aligned(t[1:], f"stats ({name}): {t[0]}")
                out = ctl(c.hub, env, "trust", "list", check=0).stdout
                assert_aligned(out.splitlines(), f"trust list ({name})")

            # Errors in Chinese, from linlictl and from the daemons, which
            # run with no LANG.
            p = ctl(z, ZH, "frobnicate")
            assert p.returncode == 2 and "未知命令" in p.stderr, p.stderr
            p = ctl(z, ZH, "service", "add", "s1", "name=x", "category=elderly")
            assert p.returncode == 1 and "已存在" in p.stderr, p.stderr
            p = ctl(z, ZH, "service", "remove", "nosuch")
            assert p.returncode == 1 and "不存在" in p.stderr, p.stderr
            p = ctl(lk, ZH, "service", "add", "l1", "name=x", "category=elderly")
            assert p.returncode == 1 and "中心" in p.stderr and "hub" not in p.stderr, p.stderr
            st = ctl(lk, ZH, "status", check=0).stdout
            assert "林口" in st and re.search(r"^问题[:：].*中心", st, re.M), st
            p = ctl(z, C, "service", "add", "s1", "name=x", "category=elderly")
            assert p.returncode == 1 and "already exists" in p.stderr, p.stderr
            p = ctl(z, ZH, "service", "add", "s4", "name=x", "category=养老院")
            assert p.returncode == 1 and "类别" in p.stderr and "老有所养" in p.stderr, p.stderr
            # A choice by its Chinese name.
            ctl(z, ZH, "service", "add", "s4", "name=日间照料", "category=老有所养",
                "status=暂停", check=0)
            got = z.ctl("service", "show", "s4", json_out=True)
            assert got["category"] == "elderly" and got["status"] == "paused", got
            # The log stays English for the admins who grep it.
            for d in (z, lk, c.hub):
                assert not re.search(r"[\u4e00-\u9fff]", d.log_text()), d.log_tail(30)

            check_help(z)
            check_dash_ids(c, z, tmp)

            # A record made under a '-' id before the rule (as
            # `service add --help ...` did) is still removed, with `--`.
            p = ctl(z, C, "service", "remove", "--", "--help")
            assert p.returncode == 1 and "does not exist" in p.stderr, p.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # Every message marked in ctl/ and daemon/ has its Chinese, import's
    # and export's too.
    others = set()
    pot = os.path.join(tempfile.mkdtemp(prefix="linli-pot-"), "linli.pot")
    try:
        subprocess.run(["make", "-s", "-C", ROOT, "pot", f"POT={pot}"], check=True,
                       capture_output=True, timeout=120)
        merged = pot + ".merged"
        subprocess.run(["msgmerge", "-q", "--no-fuzzy-matching", "-o", merged,
                        os.path.join(ROOT, "po", "zh_CN.po"), pot], check=True, timeout=120)
        subprocess.run(["msgfmt", "--check", "-o", "/dev/null", merged], check=True)
        missing = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", "--no-wrap",
                                  merged], capture_output=True, text=True, check=True).stdout
        forgotten = []
        for entry in missing.split("\n\n"):
            refs = {r.rsplit(":", 1)[0] for r in re.findall(r"^#: (.*)$", entry, re.M)
                    for r in r.split()}
            msgid = re.search(r'^msgid "(.*)"$', entry, re.M)
            if msgid and msgid.group(1) and not refs <= others:
                forgotten.append((msgid.group(1), sorted(refs)))
        assert not forgotten, f"{len(forgotten)} messages without Chinese: {forgotten[:10]}"
        fuzzy = subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", merged],
                               capture_output=True, text=True, check=True).stdout
        assert not fuzzy.strip(), fuzzy
        with open(pot) as f:
            n = len(re.findall(r"^msgid ", f.read(), re.M))
        assert n > 300, f"only {n} messages marked for translation"
    finally:
        shutil.rmtree(os.path.dirname(pot), ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
