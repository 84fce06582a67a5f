"""Demo records for the ten Lingyuan communities, as CSV files for
`linlictl import`.  Zenglin, the pilot, follows the figures in the
newspaper report (shared/DOMAIN.md); the others get smaller sets.  The
output is deterministic: the same seed gives the same files.
"""

import calendar
import csv
import datetime
import os
import random

CATEGORIES = ["party-mass", "childcare", "elderly", "medical", "food-safety", "leisure",
              "affairs", "special"]
CHANNELS = ["grid-chat", "suggestion-box", "message-board", "mini-program", "hotline",
            "duty-room"]
SURNAMES = "陈林黄张李王吴刘蔡杨许郑谢洪郭曾施庄苏"
GIVEN = "志明建国丽华秀英文杰海燕金水春生福来美玲荣华淑芬家豪雅婷"

# Zenglin's neighbourhood centre, by 1+6+X category (70+ services in all).
ZENGLIN_SERVICES = {
    "party-mass": ["党群服务中心", "邻里会客厅", "共享茶室", "便民办事区"],
    "childcare": [f"青少年宫课程{i}" for i in range(1, 22)],  # 21 courses
    "elderly": ["日间照料中心", "长者食堂", "休憩区", "居家养老服务站", "康复理疗室",
                "助浴服务点", "老年活动室", "长者阅览区"],  # 8 function areas
    "medical": ["心电图检查", "血常规检测", "血压血脂检测", "尿酸检测", "视力检测",
                "健康咨询", "健康体检", "医保结算"],
    "food-safety": ["食品安全快检点", "放心菜篮子", "农贸市场监督岗"],
    "leisure": ["邻里书屋", "文体广场", "舞蹈室", "棋牌室", "非遗文化展示", "科普小实验室",
                "篮球场", "健身步道"],
    "affairs": ["社保代办", "户籍咨询", "民政救助", "就业服务", "法律咨询", "邻里法庭",
                "出租屋登记", "房东协会服务点", "网格服务站一", "网格服务站二",
                "网格服务站三"],
    "special": ["科技馆", "乡村记忆馆", "灵源万应茶产学研基地", "人才驿站", "户外劳动者驿站",
                "生态共享园", "爱乡邻志愿站", "秀美曾林展厅"],
}
ZENGLIN_PARTNERS = [
    ("晋江市科协", "unit", 4), ("晋江市委党史研究室", "unit", 3), ("晋江市民政局", "unit", 4),
    ("灵源街道卫生院", "unit", 5), ("福建某制药公司", "unit", 3), ("晋江市图书馆", "unit", 3),
    ("晋江市文旅局", "unit", 3), ("晋江市司法局", "unit", 3), ("灵源派出所", "unit", 2),
    ("晋江市总工会", "unit", 3), ("晋江市妇联", "unit", 2), ("团市委", "unit", 2),
    ("生鲜电商平台", "market", 3), ("早教与养老服务公司", "market", 4),
]


def window(today=None):
    """The 18 months before today's month (UTC), where the demo's requests
    and events fall, so the dashboard's trends show them: (first day as
    unix seconds, days up to two days before today, the 15th of last
    month as YYYY-MM-DD for the neighbourhood festival).  The files are the
    same for the same seed and month."""
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    y, m = today.year, today.month - 18
    while m < 1:
        y, m = y - 1, m + 12
    first = datetime.date(y, m, 1)
    ly, lm = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    start = calendar.timegm(first.timetuple())
    return start, (today - first).days - 2, f"{ly:04d}-{lm:02d}-15"


def person(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def community(outdir, code, name, pilot=False, seed=0, today=None):
    """Writes services.csv ... events.csv for one community; returns the
    counts the hub's statistics must show."""
    rng = random.Random(f"{code}-{seed}")
    os.makedirs(outdir, exist_ok=True)
    expect = {"services": [0] * 9, "partners": 0, "items": 0, "grids_l1": 0, "grids_l2": 0,
              "households": 0, "rented": 0, "central": 0, "linked": 0, "requests_open": 0,
              "requests_resolved": 0, "events": 0, "participants": 0, "resolve": []}

    # Services: the pilot has its full centre; the others a few categories each.
    rows = []
    if pilot:
        plan = ZENGLIN_SERVICES
    else:
        cats = ["party-mass"] + rng.sample(CATEGORIES[1:], rng.randint(3, 6))
        plan = {c: [f"{name}{c}服务{i}" for i in range(1, rng.randint(2, 4))] for c in cats}
    for cat, names in plan.items():
        for n in names:
            rows.append([f"s{len(rows) + 1:03d}", n, cat, f"{name}邻里中心", f"{name}社区",
                         "08:30-17:30", rng.randint(2, 15), "open"])
            expect["services"][CATEGORIES.index(cat) + 1] += 1
    write(os.path.join(outdir, "services.csv"),
          ["id", "name", "category", "provider", "place", "hours", "walk_minutes", "status"],
          rows)

    partners = ZENGLIN_PARTNERS if pilot else [
        (f"{name}共建单位{i}", "unit", rng.randint(1, 3)) for i in range(1, rng.randint(3, 5))]
    rows = []
    for i, (pname, kind, nitems) in enumerate(partners, 1):
        items = ";".join(f"服务项目{i}-{k}" for k in range(1, nitems + 1))
        rows.append([f"p{i:02d}", pname, kind, items])
        expect["partners"] += 1
        expect["items"] += nitems
    write(os.path.join(outdir, "partners.csv"), ["id", "name", "kind", "items"], rows)

    # One first-level grid and three (pilot) or two second-level grids.
    level2 = 3 if pilot else 2
    rows = [["g1", f"{name}一级网格", 1, "", person(rng)]]
    rows += [[f"g1-{k}", f"{name}二级网格{k}", 2, "g1", person(rng)] for k in range(1, level2 + 1)]
    expect["grids_l1"], expect["grids_l2"] = 1, level2
    write(os.path.join(outdir, "grids.csv"), ["id", "name", "level", "parent", "worker"], rows)

    # Households: central (party-member) households each linked to 10-20 others.
    ncentral = 32 if pilot else rng.randint(3, 6)
    rows = []
    phone = int(code[-3:]) * 100000
    for c in range(1, ncentral + 1):
        rows.append([f"h{len(rows) + 1:05d}", f"g1-{rng.randint(1, level2)}",
                     f"{name}村{rng.randint(1, 300)}号", person(rng), f"1380{phone + len(rows):07d}",
                     rng.randint(1, 6), "no", "yes", ""])
        central_id = rows[-1][0]
        for _ in range(rng.randint(10, 20)):
            rented = rng.random() < 0.3
            rows.append([f"h{len(rows) + 1:05d}", f"g1-{rng.randint(1, level2)}",
                         f"{name}村{rng.randint(1, 300)}号", person(rng),
                         f"1380{phone + len(rows):07d}", rng.randint(1, 6),
                         "yes" if rented else "no", "no", central_id])
    for _ in range(rng.randint(20, 60)):
        rented = rng.random() < 0.4
        rows.append([f"h{len(rows) + 1:05d}", f"g1-{rng.randint(1, level2)}",
                     f"{name}村{rng.randint(1, 300)}号", person(rng), f"1380{phone + len(rows):07d}",
                     rng.randint(1, 6), "yes" if rented else "no", "no", ""])
    for r in rows:
        expect["households"] += 1
        expect["rented"] += r[6] == "yes"
        expect["central"] += r[7] == "yes"
        expect["linked"] += r[8] != ""
    write(os.path.join(outdir, "households.csv"),
          ["id", "grid", "address", "head_name", "phone", "size", "rented", "central",
           "linked_to"], rows)

    # Requests: most resolved within the day (the street lamp fixed the same day).
    rows = []
    base, days, festival_day = window(today)
    for i in range(1, (40 if pilot else rng.randint(5, 15)) + 1):
        opened = base + rng.randint(0, days - 1) * 86400 + rng.randint(8, 18) * 3600
        if rng.random() < 0.8:
            took = rng.randint(1, 48) * 1800
            rows.append([f"r{i:03d}", rng.choice(CHANNELS), "路灯维修" if i == 1 else "邻里诉求",
                         "巷口路灯不亮" if i == 1 else "居民反映的问题", "resolved", opened,
                         opened + took])
            expect["requests_resolved"] += 1
            expect["resolve"].append(took)
        else:
            rows.append([f"r{i:03d}", rng.choice(CHANNELS), "邻里诉求", "居民反映的问题", "open",
                         opened, ""])
            expect["requests_open"] += 1
    write(os.path.join(outdir, "requests.csv"),
          ["id", "channel", "category", "text", "status", "opened_at", "resolved_at"], rows)

    # Events: the pilot's 20+ themed and 60+ everyday events, 4,000+ visits,
    # 12 of them in one weekend's neighbourhood festival.
    rows = []
    nevents = 82 if pilot else rng.randint(5, 12)
    for i in range(1, nevents + 1):
        festival = pilot and i <= 12
        day = datetime.datetime.fromtimestamp(base + rng.randint(0, days) * 86400,
                                              datetime.timezone.utc)
        date = festival_day if festival else day.strftime("%Y-%m-%d")
        people = rng.randint(30, 70) if pilot else rng.randint(10, 40)
        rows.append([f"e{i:03d}", ("邻里节" if festival else "邻里活动") + f"{i}",
                     rng.choice(CATEGORIES), date, "p01", people])
        expect["events"] += 1
        expect["participants"] += people
    write(os.path.join(outdir, "events.csv"),
          ["id", "name", "category", "date", "partner", "participants"], rows)
    return expect


FILES = ["grids.csv", "services.csv", "partners.csv", "households.csv", "requests.csv",
         "events.csv"]


def load(c, today=None):
    """Loads every node of cluster c with its demo records through
    `linlictl import`, as `make demo` does; returns {owner: expect}."""
    expect = {}
    for n in c.nodes:
        data = os.path.join(c.dir, "data", n.owner)
        expect[n.owner] = community(data, n.owner, n.name, pilot=(n.name == "Zenglin"),
                                    today=today)
        for f in FILES:
            n.ctl("import", os.path.join(data, f), json_out=True)
    return expect
