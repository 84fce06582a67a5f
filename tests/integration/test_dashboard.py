#!/usr/bin/env python3
"""The dashboard in a real browser: a hub with the demo data (the ten
communities loaded through linlictl import, as `make demo` does) serves its
pages on http_listen; headless Chromium loads the overview, Zenglin's page
and the trends, in Chinese (the default: Accept-Language zh-CN, and no
Accept-Language at all) and in English (?lang=en, and Accept-Language
en-US from the browser), saves a screenshot of each under
$BUILD/screenshots/, and the figures in the dumped DOM (the cells marked
data-owner/data-k) equal `linlictl stats --json` and `linlictl stats
--month M --months 24 --json`.  The Chinese pages show the communities'
and the categories' Chinese names (from the catalogue), the English ones
the English names.  SKIP (77) only when chromium is missing."""

import concurrent.futures
import gettext
import html.parser
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402
import demo_data  # noqa: E402

CHROMIUM = shutil.which("chromium")
SHOTS = os.path.join(cluster.BUILD, "screenshots")
ZENGLIN = "350582006006"
CATEGORIES = demo_data.CATEGORIES
CAT_ZH = {"elderly": "老有所养", "childcare": "幼有所育"}  # the words


class Marks(html.parser.HTMLParser):
    """Every element with data-k: {(owner, month or None, k): (text, data-v or None)};
    and the <html lang>."""

    def __init__(self):
        super().__init__()
        self.marks = {}
        self.lang = None
        self._open = []  # [key, data-v, text parts, depth]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        for m in self._open:
            m[3] += 1
        if "data-k" in a:
            self._open.append([(a.get("data-owner"), a.get("data-month"), a["data-k"]),
                               a.get("data-v"), [], 0])

    def handle_endtag(self, tag):
        for m in list(self._open):
            if m[3] == 0:
                self._open.remove(m)
                assert m[0] not in self.marks, f"figure {m[0]} twice on one page"
                self.marks[m[0]] = ("".join(m[2]).strip(), m[1])
            else:
                m[3] -= 1

    def handle_data(self, data):
        for m in self._open:
            m[2].append(data)


def browse(url, shot, lang):
    """Chromium's DOM of url after it ran, and a screenshot to shot."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--window-size=1400,2000", f"--screenshot={shot}", "--dump-dom"]
    if lang:
        cmd.insert(1, f"--accept-lang={lang}")
    cmd.append(url)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60 * cluster.SLOW,
                       cwd=SHOTS)
    assert p.returncode == 0, f"chromium failed on {url}: {p.stderr[-500:]}"
    assert os.path.getsize(shot) > 10000, f"{shot}: no screenshot"
    m = Marks()
    m.feed(p.stdout)
    assert m.marks, f"{url}: no figures in the page:\n{p.stdout[:500]}"
    return p.stdout, m


def fetch(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                timeout=20) as r:
        return r.status, dict(r.headers), r.read().decode()


def value(marks, owner, k, month=None):
    key = (owner, month, k)
    assert key in marks, f"the page has no figure {key}"
    text, v = marks[key]
    return int(v if v is not None else text)


def check_overview(marks, stats, label):
    for owner, s in stats.items():
        if (owner, None, "households") not in marks:
            # the hub's own row shows only when it holds records
            assert owner == cluster.SUBDISTRICT[0] and s["households"] == 0, (label, owner)
            continue
        for k in ("households", "rented", "central", "linked", "requests_open",
                  "requests_resolved", "events", "participants", "partners", "items"):
            assert value(marks, owner, k) == s[k], (label, owner, k, s[k])
        for cat in CATEGORIES:
            got = value(marks, owner, f"services.{cat}")
            assert got == s["services"][cat], (label, owner, cat, got, s["services"][cat])
        assert value(marks, owner, "median_resolve_s") == s["median_resolve_s"], (label, owner)
        n = s["requests_open"] + s["requests_resolved"]
        want = (s["requests_resolved"] * 1000 + n // 2) // n if n else 0
        assert value(marks, owner, "resolution_permille") == want, (label, owner)
        if owner in ("total", cluster.SUBDISTRICT[0]):
            continue
        assert value(marks, owner, "linked_now") == int(s["linked_now"]), (label, owner)
        assert abs(value(marks, owner, "last_heard") - s["last_heard"]) <= 60, (label, owner)
        behind = max(0, s["head_public"] - s["seq_public"]) + max(
            0, s["head_personal"] - s["seq_personal"])
        assert value(marks, owner, "behind") == behind, (label, owner)
        problems = marks[(owner, None, "problems")][1]
        assert problems.split() == s["problems"], (label, owner, problems, s["problems"])
    for code, _, _ in cluster.COMMUNITIES:
        assert (code, None, "households") in marks, (label, code, "missing from the overview")
    assert ("total", None, "participants") in marks, label


def check_community(marks, s, label):
    for cat in CATEGORIES:
        assert value(marks, ZENGLIN, f"services.{cat}") == s["services"][cat], (label, cat)
    for k in ("partners", "items", "events", "participants"):
        assert value(marks, ZENGLIN, k) == s[k], (label, k, s[k])
    # The 15-minute circle: the demo's services are all within 15 minutes.
    assert value(marks, ZENGLIN, "within15.elderly") == s["services"]["elderly"], label


def check_trends(marks, c, label):
    months = sorted({k[1] for k in marks if k[1]})
    assert len(months) == 24, (label, months)
    rows = c.hub.ctl("stats", "--month", months[-1], "--months", "24", json_out=True)
    nonzero = 0
    for r in rows:
        for k in ("requests_opened", "requests_resolved", "median_resolve_s", "events",
                  "participants"):
            got = value(marks, r["owner"], k, r["month"])
            assert got == r[k], (label, r["owner"], r["month"], k, got, r[k])
            nonzero += got > 0
    assert len(rows) == 24 * 12, (label, len(rows))  # ten, the hub, the total
    assert nonzero > 100, f"{label}: the trends show almost nothing ({nonzero} figures)"


def check_names(page, lang, label, tr, what):
    """The communities' and categories' names in the page's language.  A
    community's page names its own community (in its heading: its records
    may hold either name, as "秀美曾林展厅"); the others all ten."""
    communities = [x for x in cluster.COMMUNITIES if what != "community" or x[0] == ZENGLIN]
    for code, name, _ in communities:
        zh = tr.pgettext("community", name)
        assert zh != name, f"no Chinese name for {name} in the catalogue"
        shown = zh if lang == "zh" else name
        other = name if lang == "zh" else zh
        if what == "community":
            assert f"<h2>{shown} ({code})</h2>" in page, (label, shown)
        else:
            assert f">{shown}<" in page and f">{other}<" not in page, (label, shown)
    for cat, zh in CAT_ZH.items() if what != "trends" else ():  # no categories there
        if lang == "zh":
            assert zh in page and f">{cat}<" not in page, (label, zh)
        else:
            assert f">{cat}<" in page and zh not in page, (label, cat)


def main():
    if CHROMIUM is None:
        print("SKIP: chromium is not installed (apt-get install chromium fonts-noto-cjk)")
        sys.exit(77)
    if os.path.isdir(SHOTS):
        for f in os.listdir(SHOTS):
            if f.startswith("dashboard-"):
                os.unlink(os.path.join(SHOTS, f))
    os.makedirs(SHOTS, exist_ok=True)
    tr = gettext.translation("linli", os.environ.get("LINLI_LOCALEDIR"), languages=["zh_CN"])
    t0 = time.monotonic()
    with cluster.Cluster() as c:
        c.hub.http_listen = f"127.0.0.1:{cluster.free_port()}"
        c.hub.write_config()
        c.start()
        demo_data.load(c)
        c.wait_converged(timeout=120 * cluster.SLOW)
        base = f"http://127.0.0.1:{c.hub.http_port}"

        # Without Accept-Language: Chinese.
        st, h, page = fetch(base + "/")
        assert st == 200 and h.get("Content-Language") == "zh-CN", (st, h)
        assert '<html lang="zh-CN">' in page and "曾林" in page, page[:300]
        # English ranked above Chinese (RFC 9110 q-values), and below it.
        _, h, page = fetch(base + "/", {"Accept-Language": "zh;q=0.5, en-GB;q=0.8"})
        assert h.get("Content-Language") == "en" and "Zenglin" in page, h
        _, h, _ = fetch(base + "/", {"Accept-Language": "en;q=0.5, zh-CN"})
        assert h.get("Content-Language") == "zh-CN", h
        # A path that is no page: 404, in the language asked for.
        try:
            fetch(base + "/nope?lang=en")
            raise AssertionError("/nope answered 200")
        except urllib.error.HTTPError as e:
            assert e.code == 404 and '<html lang="en">' in e.read().decode(), e.code

        # The server's threads answer in both languages at once, each page
        # wholly in its own (the language is per thread, not per process).
        def one(i):
            lang = ("zh", "en")[i % 2]
            _, h, page = fetch(base + ("/", "/trends")[i // 2 % 2] + f"?lang={lang}")
            want, other = (("曾林", "Zenglin") if lang == "zh" else ("Zenglin", "曾林"))
            ok = (h.get("Content-Language") == ("zh-CN" if lang == "zh" else "en") and
                  f">{want}<" in page and f">{other}<" not in page)
            return ok or (i, lang, h.get("Content-Language"))
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            mixed = [r for r in pool.map(one, range(48)) if r is not True]
        assert not mixed, f"pages in the wrong language under concurrency: {mixed[:5]}"

        pages = [
            ("overview", "/"), ("community", f"/community/{ZENGLIN}"), ("trends", "/trends")]
        ways = [("zh", "zh-CN", ""), ("en", "en-US", ""), ("en", "zh-CN", "?lang=en"),
                ("zh", "en-US", "?lang=zh")]
        for what, path in pages:
            for lang, accept, query in ways:
                if query and what != "overview" and lang == "zh":
                    continue  # one link back to Chinese is enough
                label = f"dashboard-{what}-{lang}" + ("-link" if query else "")
                shot = os.path.join(SHOTS, label + ".png")
                page, m = browse(base + path + query, shot, accept)
                assert m.lang == ("zh-CN" if lang == "zh" else "en"), (label, m.lang)
                check_names(page, lang, label, tr, what)
                if query:  # the links keep the language chosen by a link
                    assert f'href="/trends{query}"' in page, label
                stats = c.hub.stats()
                if what == "overview":
                    check_overview(m.marks, stats, label)
                elif what == "community":
                    check_community(m.marks, stats[ZENGLIN], label)
                else:
                    check_trends(m.marks, c, label)
                print(f"{label}: {len(m.marks)} figures equal linlictl's; {shot}")
        assert time.monotonic() - t0 < 300 * cluster.SLOW
    print("ok: the pages in a browser, in Chinese and English, equal linlictl stats")


if __name__ == "__main__":
    main()
