#!/usr/bin/env python3
"""Spreadsheets in (issue 13, item 2): `linlictl import` takes the files
Chinese offices produce, and says once, per kind of problem, what is wrong
with one that it cannot take.

At Zenglin, with fixture files made here:
  - households in GBK (what Excel and WPS save as "CSV" on Chinese
    Windows) with Chinese headers and values: without --encoding one
    message says to add --encoding gbk, nothing is imported; with it every
    record is read right, phones with spaces, dashes and +86 normalised;
  - services in UTF-8 with a BOM and CRLF line ends, Chinese headers and
    choices, trailing empty columns and empty rows;
  - requests with dates as 2025/11/3, 2025-11-3 and 2025年11月3日, with and
    without a time, and a request's text in several lines: the median time
    to resolve is what the dates say;
  - partners with items separated by ; ； 、, grids as 一级/二级, events with
    Chinese dates;
  - files Excel spoilt: day serials (45964) and 8-digit dates (20251103) in
    time fields, phones as 1.38E+10, a line break in a name: refused with
    the line, the column as written and what to do, one message per kind
    of problem with its count and first lines (not one line per row), the
    values of personal records never repeated, those of public ones shown;
    nothing is imported.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402


def write(c, name, data):
    path = os.path.join(c.dir, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def show(node, kind, rid):
    return node.ctl(kind, "show", rid, json_out=True)


def heads(node):
    st = node.status()
    return int(st["log_public"]), int(st["log_personal"])


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] == "Zenglin"]
    with cluster.Cluster(communities) as c:
        c.start()
        z = c.node("Zenglin")
        # The grid the households name (section 4 imports grids themselves).
        z.ctl("grid", "add", "g1", "name=曾林一级网格", "level=1")
        z.ctl("grid", "add", "g1-1", "name=第一网格", "level=2", "parent=g1")
        z.ctl("grid", "add", "g1-2", "name=第二网格", "level=2", "parent=g1")

        # 1. GBK, Chinese headers and values, phones in the forms people write.
        rows = ["户号,所属网格,住址,户主姓名,联系电话,人数,是否出租,是否中心户,所联中心户",
                "h001,g1-1,曾林村12号,陈志明,138 0000 0001,4,否,是,",
                "h002,g1-1,曾林村13号,林淑芬,+86 138-0000-0002,3,是,否,h001",
                "h003,g1-2,曾林村14号,黄海燕,0595-2234 5678,2,否,否,h001",
                "h004,g1-2,曾林村15号,郑美玲,(0595) 22345679,1人,否,否,"]
        gbk = write(c, "households.csv", ("\r\n".join(rows) + "\r\n").encode("gbk"))
        before = heads(z)
        p = z.ctl("import", gbk, check=False)
        assert p.returncode == 1, (p.stdout, p.stderr)
        told = "this file is not UTF-8; it looks like GBK: add --encoding gbk"
        assert p.stderr.count(told) == 1 and len(p.stderr.splitlines()) == 1, p.stderr
        assert heads(z) == before
        print(f"ok - a GBK file without --encoding: one message ({told!r}), nothing imported")
        p = z.ctl("import", gbk, "--encoding", "gbk")
        h1, h2, h3, h4 = (show(z, "household", f"h00{i}") for i in range(1, 5))
        assert (h1["head_name"], h1["address"], h1["grid"]) == ("陈志明", "曾林村12号", "g1-1"), h1
        assert (h1["central"], h1["rented"], h2["rented"], h2["linked_to"]) == \
            (True, False, True, "h001"), (h1, h2)
        assert (h1["phone"], h2["phone"], h3["phone"], h4["phone"]) == \
            ("13800000001", "13800000002", "0595-22345678", "0595-22345679"), (h1, h2, h3, h4)
        assert (h1["size"], h4["size"]) == (4, 1)
        print("ok - the same with --encoding gbk: Chinese headers and values read, phones "
              "normalised (138 0000 0001, +86 138-0000-0002, (0595) 22345679)")

        # 2. UTF-8 with a BOM, CRLF, Chinese choices, trailing empty columns and rows.
        rows = ["编号,服务名称,类别,提供方,地点,服务时间,步行时间（分钟）,状态,,",
                "s001,长者食堂,老有所养,曾林社区,邻里中心B幢,11:00-13:00,5分钟,开放,,",
                "s002,健康驿站,病有所医,卫生院,邻里中心A幢,08:30-17:30,8,暂停,,",
                "s003,科技馆,特色服务,科协,,,12,关闭,,",
                ",,,,,,,,,", "", ",,,,,,,,,"]
        path = write(c, "services.csv", ("\ufeff" + "\r\n".join(rows) + "\r\n").encode())
        z.ctl("import", path)
        s1, s2, s3 = (show(z, "service", f"s00{i}") for i in range(1, 4))
        assert (s1["category"], s1["status"], s1["walk_minutes"]) == ("elderly", "open", 5), s1
        assert (s2["category"], s2["status"], s3["category"], s3["status"]) == \
            ("medical", "paused", "special", "closed"), (s2, s3)
        assert s1["name"] == "长者食堂" and s1["hours"] == "11:00-13:00", s1
        print("ok - UTF-8 with a BOM and CRLF: Chinese headers and choices (老有所养, 暂停), "
              "trailing empty columns and empty rows ignored")

        # 3. Dates as people write them, and a request's text in several lines.
        rows = ["诉求编号,渠道,诉求类别,诉求内容,状态,受理时间,办结时间",
                'r001,网格群,路灯维修,"巷口路灯不亮\r\n晚上很黑",已办结,2025/11/3 9:10,2025/11/3 16:40',
                "r002,热线,噪音,楼上装修,未办结,2025年11月3日,",
                "r003,意见箱,环境卫生,垃圾未清运,已办结,2025-11-3 8:00,2025-11-4 8:00",
                "r004,小程序,停车,占道停车,已办结,2025年11月5日 14:30,2025年11月6日14时30分"]
        path = write(c, "requests.csv", ("\r\n".join(rows) + "\r\n").encode())
        z.ctl("import", path)
        r1, r2, r4 = show(z, "request", "r001"), show(z, "request", "r002"), \
            show(z, "request", "r004")
        assert (r1["opened_at"], r1["resolved_at"]) == \
            ("2025-11-03 09:10:00", "2025-11-03 16:40:00"), r1
        assert r1["text"] == "巷口路灯不亮 晚上很黑" and r1["channel"] == "grid-chat", r1
        assert (r2["opened_at"], r2["status"], r2["channel"]) == \
            ("2025-11-03 00:00:00", "open", "hotline"), r2
        assert (r4["opened_at"], r4["resolved_at"]) == \
            ("2025-11-05 14:30:00", "2025-11-06 14:30:00"), r4
        # Resolved in 27000 s, 86400 s and 86400 s: the median is a day.
        median = int(z.stats()[z.owner]["median_resolve_s"])
        assert median == 86400, median
        print("ok - dates 2025/11/3 9:10, 2025年11月3日, 2025-11-3 8:00, 2025年11月6日14时30分 "
              f"read as such (median time to resolve {median} s); a text in two lines kept "
              "as one")

        # 4. Items separated by ; ； 、, grid levels in Chinese, events with Chinese dates.
        rows = ["单位编号,单位名称,单位类型,认领项目",
                "p001,晋江市科协,unit,科普讲座；科技馆讲解；青少年实验课",
                "p002,灵源街道卫生院,unit,义诊、健康讲座、慢病随访",
                'p003,早教公司,market,"亲子课\n托育咨询"']
        z.ctl("import", write(c, "partners.csv", ("\n".join(rows) + "\n").encode()))
        assert show(z, "partner", "p001")["items"] == ["科普讲座", "科技馆讲解", "青少年实验课"]
        assert show(z, "partner", "p002")["items"] == ["义诊", "健康讲座", "慢病随访"]
        assert show(z, "partner", "p003")["items"] == ["亲子课", "托育咨询"]
        rows = ["网格编号,网格名称,级别,上级网格,网格员",
                "g1,曾林一级网格,一级,,陈志明", "g1-1,第一网格,二级,g1,林淑芬"]
        z.ctl("import", write(c, "grids.csv", ("\n".join(rows) + "\n").encode()))
        assert show(z, "grid", "g1-1")["level"] == 2 and show(z, "grid", "g1")["level"] == 1
        rows = ["活动编号,活动名称,类别,日期,共建单位,参与人数",
                "e001,邻里节,居有所乐,2025年11月8日,p001,\"1,200\"",
                "e002,义诊,病有所医,2025/11/9,p002,80人"]
        z.ctl("import", write(c, "events.csv", ("\n".join(rows) + "\n").encode()))
        e1, e2 = show(z, "event", "e001"), show(z, "event", "e002")
        assert (e1["date"], e1["category"], e1["participants"]) == ("2025-11-08", "leisure", 1200)
        assert (e2["date"], e2["participants"]) == ("2025-11-09", 80), e2
        print("ok - items split at ；and 、 and line breaks, grids 一级/二级, events dated "
              "2025年11月8日 and 2025/11/9 with 1,200 and 80人 participants")

        # 5. What Excel did to a file: every problem said once, with its count.
        before = heads(z)
        header = "诉求编号,渠道,诉求内容,状态,受理时间,办结时间"
        rows = [header] + [f"x{i:03d},热线,停电,未办结,45964," for i in range(300)]
        rows += [f"y{i:03d},热线,停电,未办结,20251103," for i in range(20)]
        rows += ["z001,热线,停电,未办结,2025/11/3,"]  # a good row: not imported either
        path = write(c, "requests.csv", ("\r\n".join(rows) + "\r\n").encode())
        p = z.ctl("import", path, check=False)
        err = p.stderr.splitlines()
        assert p.returncode == 1 and f"{path}: 320 bad rows; nothing imported" in p.stderr, \
            p.stderr
        serial = [ln for ln in err if "Excel day serial" in ln]
        digits8 = [ln for ln in err if "without separators" in ln]
        assert len(serial) == 1 and len(digits8) == 1 and len(err) <= 4, p.stderr
        assert serial[0].startswith(f"{path}:2: 受理时间 (opened_at): ") and \
            "300 rows" in serial[0] and "lines 2, 3, 4" in serial[0], serial
        assert digits8[0].startswith(f"{path}:302: 受理时间 (opened_at): ") and \
            "20 rows" in digits8[0], digits8
        assert "45964" not in p.stderr and "20251103" not in p.stderr, p.stderr
        print(f"ok - 300 day serials and 20 8-digit dates in a personal time field: "
              f"{len(err)} lines, no value repeated: {serial[0][len(path):]!r}")

        rows = ["户号,所属网格,户主姓名,联系电话,人数,登记时间"]
        rows += [f"k{i:03d},g1-1,王秀英,1.38E+10,3,20251103" for i in range(250)]
        rows += ['k900,g1-1,"陈\n志明",13800000009,3,', "k901,g1-1,李建国,1395555,3,"]
        path = write(c, "households.csv", ("\r\n".join(rows) + "\r\n").encode())
        p = z.ctl("import", path, check=False)
        err = p.stderr.splitlines()
        sci = [ln for ln in err if "Excel turned this number into scientific notation: "
               "format the column as text" in ln]
        assert p.returncode == 1 and len(sci) == 1 and "250 rows" in sci[0], p.stderr
        assert sci[0].startswith(f"{path}:2: 联系电话 (phone): "), sci
        # The same rows' other column: said too, not hidden behind the first.
        assert any(ln.startswith(f"{path}:2: 登记时间 (registered_at): ") and "250 rows" in ln
                   for ln in err), p.stderr
        assert f"{path}: 252 bad rows; nothing imported" in p.stderr, p.stderr
        assert any(ln.startswith(f"{path}:252: 户主姓名 (head_name): ") and "line break" in ln
                   for ln in err), p.stderr
        assert any(ln.startswith(f"{path}:254: 联系电话 (phone): ") and "not a mobile" in ln
                   for ln in err), p.stderr
        assert "1.38E+10" not in p.stderr and "1395555" not in p.stderr and \
            "20251103" not in p.stderr, p.stderr
        assert len(err) <= 6, p.stderr
        print(f"ok - 250 phones as 1.38E+10 and 8-digit dates, a name with a line break, a "
              f"short phone: "
              f"{len(err)} lines: {sci[0][len(path):]!r}")

        # A public record's values are shown, with what Excel meant.
        rows = ["活动编号,活动名称,日期", "e101,读书会,45964", "e102,读书会,45965",
                "e103,读书会,2025-13-01"]
        path = write(c, "events.csv", ("\n".join(rows) + "\n").encode())
        p = z.ctl("import", path, check=False)
        assert p.returncode == 1, p.stderr
        serial = [ln for ln in p.stderr.splitlines() if "Excel day serial" in ln]
        assert len(serial) == 1 and serial[0].startswith(f"{path}:2: 日期 (date): '45964'") \
            and "2025-11-03" in serial[0] and "2 rows" in serial[0], p.stderr
        assert f"{path}:4: 日期 (date): '2025-13-01'" in p.stderr, p.stderr
        assert heads(z) == before, "a refused file changed the logs"
        print(f"ok - day serials in a public date: {serial[0][len(path):]!r}; nothing "
              "imported from any refused file")


if __name__ == "__main__":
    main()
