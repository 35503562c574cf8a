"""Archive benchmark: load ≥ 100,000 synthetic reports, then time Datasette's `_search` (2- and 4-character words).

    python3 benchmarks/bench_archive.py --n 100000 --db /tmp/bench_archive.db          # build + time
    python3 benchmarks/bench_archive.py --reuse --db /tmp/bench_archive.db             # time only

The corpus (`realistic_reports()`, below) imitates what the archive holds: agencies of real
divisions (cpca's national division table: provinces, cities, counties; a few towns), skewed the
way portals are (some regions publish far more than others), one report per agency and year
2014–2024 (template by year), with the statutory section headings every report has, boilerplate
phrases each used by its own share of reports, topics drawn with Zipf weights, and the agency's
own place names in the text; about 2 % of the reports are later re-published changed (a second
version at the same URL). So a word's document frequency goes from ~100 % (信息公开, 年度报告:
in every title) through ~90 % (政务公开) and tens of percent (教育) down to a few hundred reports.

The writes go through `Archive.record_page` + `Archive.add_report`, exactly as the crawler's
pipeline calls them; the loader only wraps `--batch` reports in one outer transaction
(`Archive.db.atomic()`: each call's own `atomic()` then becomes a savepoint, so each report is
still all-or-nothing). Searches go through Datasette's own HTTP stack (its in-process ASGI
client: routing, SQL, count, facets, templates) on the immutable file, as `nianbao serve` runs it:
the JSON API (first 20 rows + count + facets) and the HTML table page a person sees. Words found
in ≥ 90 % of the reports are reported separately from the rest.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.samples import TOPICS as SAMPLE_TOPICS  # noqa: E402
from archive.samples import sample_report  # noqa: E402
from archive.serve import make_datasette  # noqa: E402
from archive.store import Archive  # noqa: E402

# Query words, from found-in-nearly-every-report to rare (document frequencies are measured and printed).
TWO = ["政务", "公开", "信息", "教育", "医疗", "养老", "审计", "消防", "殡葬", "粮食"]
FOUR = ["政务公开", "信息公开", "年度报告", "疫情防控", "乡村振兴", "财政预算", "生态环境", "义务教育", "垃圾分类",
        "粮食储备"]
COMMON = 0.90  # words in at least this share of reports are "common" (the hard case), reported apart

# ---- the synthetic corpus -------------------------------------------------------------------------------
DEPARTMENTS = [  # (name, weight): governments and the departments that publish most
    ("人民政府", 8), ("人民政府办公室", 3), ("发展和改革委员会", 2), ("教育局", 2), ("科学技术局", 1),
    ("工业和信息化局", 1), ("公安局", 1), ("民政局", 2), ("司法局", 2), ("财政局", 2),
    ("人力资源和社会保障局", 2), ("自然资源局", 2), ("生态环境局", 2), ("住房和城乡建设局", 2),
    ("交通运输局", 2), ("水利局", 1), ("农业农村局", 2), ("商务局", 1), ("文化和旅游局", 1),
    ("卫生健康委员会", 2), ("退役军人事务局", 1), ("应急管理局", 2), ("审计局", 1), ("市场监督管理局", 2),
    ("体育局", 1), ("统计局", 1), ("医疗保障局", 1), ("林业局", 1), ("信访局", 1), ("城市管理局", 1),
    ("行政审批局", 1), ("档案馆", 1), ("民族宗教事务局", 1), ("粮食和物资储备局", 1), ("人民防空办公室", 1),
    ("地方金融监督管理局", 1), ("机关事务管理局", 1), ("供销合作社", 1), ("住房公积金管理中心", 1),
]
TOWN_SYLLABLES = "东西南北新安和平兴宁城关河山桥湖金石龙凤白云青松长乐永丰太福高阳"
STATUTORY = {  # headings the regulation prescribes (2019 and 2021 templates) and the older ones
    "new": ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"],
    "legacy": ["一、概述", "二、主动公开政府信息的情况", "三、依申请公开政府信息的情况",
               "四、政府信息公开的收费及减免情况", "五、因政府信息公开申请行政复议、提起行政诉讼的情况",
               "六、存在的主要问题及改进措施"],
}
# Boilerplate, each phrase used by its own share of reports (weights below give shares from ~95 % down to ~3 %).
BOILERPLATE = [
    "扎实推进政务公开工作", "认真贯彻落实《中华人民共和国政府信息公开条例》", "以公开为常态、不公开为例外",
    "坚持以习近平新时代中国特色社会主义思想为指导", "持续推进决策、执行、管理、服务、结果公开",
    "不断增强政府公信力、执行力", "保障人民群众知情权、参与权、表达权、监督权", "进一步优化政务公开专栏设置",
    "加强政策解读和回应关切", "全面梳理基层政务公开标准目录", "规范依申请公开受理、答复及归档流程",
    "严格落实保密审查制度", "通过政府门户网站主动公开政府信息", "开展在线访谈和网上民意征集",
    "重大建设项目批准和实施领域信息公开", "财政预决算信息按时公开", "政务新媒体规范管理",
    "加强政府网站集约化建设", "推进行政规范性文件统一公开", "强化监督考核和社会评议",
    "组织政务公开工作人员业务培训", "存在的主要问题是公开内容不够全面", "下一步将继续加大公开力度",
    "申请人通过信函方式提出申请", "本年度未发生行政复议和行政诉讼", "全面贯彻党的二十大精神",
    "深入贯彻党的十九大和十九届历次全会精神", "政府信息公开申请办理答复规范化", "建立健全政策解读机制",
    "政府开放日活动", "政务服务“一网通办”", "优化营商环境信息公开", "公共企事业单位信息公开",
    "人大代表建议和政协委员提案办理结果公开", "政府信息管理动态调整", "历史政府信息整理",
    "规章库建设", "政务公开专区建设", "依申请公开转主动公开", "政府公报电子化",
]
_BOILER_SHARE = [min(0.95, 1.1 / (i + 1) ** 0.75) for i in range(len(BOILERPLATE))]
# the sample topics of archive.samples, and rarer ones, so the corpus has a long tail
TOPICS = SAMPLE_TOPICS + [
    "高标准农田", "碳达峰", "数字政府", "城乡低保", "学前教育", "职业教育", "困难群众", "农民工工资", "安置补偿",
    "耕地保护", "大气污染", "污水处理", "防汛抗旱", "危险化学品", "特种设备", "校外培训", "中小企业", "乡村旅游",
    "冷链物流", "电动自行车", "网约车", "房屋征收",
]
_TOPIC_WEIGHTS = [1.0 / (i + 1) ** 1.05 for i in range(len(TOPICS))]
TOPIC_TEMPLATES = ["做好{w}领域信息公开", "{w}相关政策解读", "公开{w}工作进展", "回应{w}方面的社会关切",
                   "{w}信息主动公开", "收到涉及{w}的申请", "及时发布{w}相关信息"]
FILLER = ["按照上级部署", "结合本地实际", "明确责任分工", "细化工作措施", "及时更新栏目内容", "畅通申请渠道",
          "加强工作衔接", "做到应公开尽公开", "认真做好答复工作", "依法依规办理", "确保信息准确", "提升群众满意度"]


def _places(rng: random.Random) -> tuple[list, list[float]]:
    """Real divisions from cpca's table, with skewed weights: a few regions publish much more."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import cpca
    from archive.regions import PROVINCE_ABBR, region_from_code

    abbr = {}
    for a, code in PROVINCE_ABBR.items():
        abbr.setdefault(code, a)
    places = []
    for full in sorted(cpca.ad_2_addr_dict):
        code = full[:6]
        r = region_from_code(code)
        if not r.province or code[:2] not in abbr:
            continue
        name = r.county or r.city or r.province
        if name in ("市辖区", "县") or name.endswith("直辖县级行政区划"):
            continue
        prefix = name
        if r.county and r.city and r.city != r.province:
            prefix = (r.city + name, name)  # agencies write "宿迁市沭阳县…" or just "沭阳县…"
        level = 2 if r.county else (1 if r.city else 0)
        portal_region = r.province if level < 2 or not r.city or r.city == r.province else r.province + r.city
        places.append((code, prefix, level, portal_region, abbr[code[:2]]))
    rng.shuffle(places)
    weights = [1.0 / (i + 1) ** 0.6 for i in range(len(places))]
    return places, weights


def _agency(rng: random.Random, place: tuple) -> str:
    code, prefix, level, _, _ = place
    if isinstance(prefix, tuple):
        prefix = prefix[0] if rng.random() < 0.3 else prefix[1]
    if level == 2 and rng.random() < 0.08:  # a town or a sub-district office
        town = rng.choice(TOWN_SYLLABLES) + rng.choice(TOWN_SYLLABLES)
        return prefix + town + rng.choice(["镇人民政府", "乡人民政府", "街道办事处"])
    dept = rng.choices([d for d, _ in DEPARTMENTS], weights=[w for _, w in DEPARTMENTS])[0]
    if level == 0 and dept.endswith("局"):
        dept = dept[:-1] + "厅"
    return prefix + dept


def _text(rng: random.Random, title: str, agency: str, year: int, size: int) -> str:
    legacy = year < 2019
    head = STATUTORY["legacy" if legacy else "new"]
    boiler = [p for p, s in zip(BOILERPLATE, _BOILER_SHARE) if rng.random() < s]
    if year < 2022 and "全面贯彻党的二十大精神" in boiler:
        boiler.remove("全面贯彻党的二十大精神")
    topics = sorted(set(rng.choices(TOPICS, weights=_TOPIC_WEIGHTS, k=rng.randint(1, 6))))
    if year < 2020 or year > 2022:
        topics = [t for t in topics if t != "疫情防控"] or topics[:1]
    parts = [title, head[0], f"{year}年，{agency}" + "，".join(boiler[:2] or [rng.choice(FILLER)]) + "。"]
    n = sum(len(p.encode("utf-8")) for p in parts)
    section = 1
    while n < size:
        if section < len(head) and rng.random() < 0.15:
            parts.append(head[section])
            section += 1
        bits = rng.sample(FILLER, 2)
        if boiler and rng.random() < 0.6:
            bits.insert(0, rng.choice(boiler))
        if topics and rng.random() < 0.35:
            bits.insert(0, rng.choice(TOPIC_TEMPLATES).format(w=rng.choice(topics)))
        p = "，".join(bits) + "。"
        if rng.random() < 0.3:
            p = f"全年共{rng.randint(1, 9000)}条，" + p
        parts.append(p)
        n += len(p.encode("utf-8"))
    parts.extend(head[section:])  # the remaining statutory headings
    return "\n".join(parts)


def realistic_reports(n: int, seed: int = 1, min_bytes: int = 3000, max_bytes: int = 8000,
                      changed_share: float = 0.02) -> Iterator[tuple[dict, str]]:
    """(report dict, portal region) pairs: n reports; ~changed_share of them come again, changed (version 2)."""
    rng = random.Random(seed)
    places, weights = _places(rng)
    made = 0
    agency_no = 0
    later: list[tuple[dict, str]] = []
    while made < n:
        place = rng.choices(places, weights=weights)[0]
        agency = _agency(rng, place)
        code, _, _, portal_region, abbr = place
        agency_no += 1
        host = f"www{code}.example.gov.cn"
        icp = f"{abbr}ICP备{rng.randint(10000000, 99999999)}号"
        site_code = code + str(rng.randint(1000, 9999))
        first = rng.choice([2014, 2014, 2014, 2015, 2016, 2017, 2018, 2019, 2020])
        for year in range(first, 2025):
            if made >= n:
                break
            title = f"{agency}{year}年政府信息公开工作年度报告" if rng.random() < 0.9 else \
                f"{agency}{year}年度政府信息公开工作年度报告"
            text = _text(rng, title, agency, year, rng.randint(min_bytes, max_bytes))
            kind = "government" if agency.endswith(("人民政府", "办事处")) else "department"
            month = rng.choice(["01", "01", "01", "02", "03", "03", "04"])
            rep = sample_report(f"http://{host}/zfxxgk/nb/{agency_no}_{year}.html", title=title, agency=agency,
                                year=year, published=f"{year + 1}-{month}-{rng.randint(10, 28)}", text=text,
                                agency_kind=kind, site={"icp": icp, "police_record": None, "site_code": site_code,
                                                        "index_no": None},
                                balanced=rng.random() > 0.1, seed=rng.randint(0, 1 << 30))
            made += 1
            yield rep, portal_region
            if rng.random() < changed_share:
                again = dict(rep, text=rep["text"] + f"\n（{year + 1}年{rng.randint(5, 12)}月更正）")
                later.append((again, portal_region))
    yield from later


# ---- load -------------------------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1))
    return values[k]


def load(db_path: str, n: int, batch: int) -> dict:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    t0 = time.perf_counter()
    text_bytes = 0
    count = 0
    with Archive(db_path) as db:
        crawl = db.begin_crawl(start_urls=["bench"], settings={"n": n})
        reports = realistic_reports(n)
        while True:
            chunk = [x for _, x in zip(range(batch), reports)]
            if not chunk:
                break
            with db.db.atomic():  # one outer transaction; add_report's own atomic() becomes a savepoint
                for rep, region in chunk:
                    body = (f"<html><head><meta charset='utf-8'></head><body><h1>{rep['title']}</h1>"
                            f"<div>{rep['text']}</div></body></html>")
                    pid = db.record_page(rep["url"], 200, {"Content-Type": "text/html; charset=utf-8"},
                                         body.encode("utf-8"), crawl_id=crawl)
                    db.add_report(rep, page_id=pid, crawl_id=crawl, portal=rep["url"].split("/")[2],
                                  portal_region=region)
                    text_bytes += len(rep["text"].encode("utf-8"))
            count += len(chunk)
            if count // 10000 != (count - len(chunk)) // 10000:
                print(f"  {count} reports, {count / (time.perf_counter() - t0):.0f}/s", file=sys.stderr, flush=True)
        load_s = time.perf_counter() - t0
        db.finish_crawl(crawl)
        t1 = time.perf_counter()
        db.optimize()
        opt_s = time.perf_counter() - t1
        q = db.conn.execute
        rows = q("SELECT COUNT(*), SUM(is_current) FROM reports").fetchone()
        sizes = {"reports.text": q("SELECT SUM(LENGTH(CAST(text AS BLOB))) FROM reports").fetchone()[0],
                 "pages.body (zlib)": q("SELECT SUM(LENGTH(body)) FROM pages").fetchone()[0],
                 "FTS index": q("SELECT SUM(LENGTH(block)) FROM reports_fts_data").fetchone()[0] + q(
                     "SELECT COUNT(*) * 16 FROM reports_fts_docsize").fetchone()[0]}
    size = os.path.getsize(db_path)
    return {"n": count, "rows": rows[0], "current": rows[1], "load_s": load_s, "rate": count / load_s,
            "optimize_s": opt_s, "bytes": size, "bytes_per_report": size / count,
            "text_bytes_per_report": text_bytes / count, "sizes": sizes}


# ---- search ----------------------------------------------------------------------------------------------
def check_rows(db_path: str, per_word: dict) -> list[str]:
    """What Datasette returned must be exactly right: every row matches, and they are the newest 20 matches."""
    from sqlite_utils.utils import sqlite3

    from archive.fts import bigram_query
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    problems = []
    for w, runs in per_word.items():
        info = runs[-1][1]
        matches = {r[0] for r in conn.execute("SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?",
                                              (bigram_query(w),))}
        got = info["ids"]
        if not set(got) <= matches:
            problems.append(f"{w}: rows that do not match")
        newest = [r[0] for r in conn.execute(
            "SELECT published FROM reports WHERE id IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?) "
            "ORDER BY published DESC LIMIT 20", (bigram_query(w),))]
        shown = [conn.execute("SELECT published FROM reports WHERE id = ?", (i,)).fetchone()[0] for i in got]
        if shown != newest:
            problems.append(f"{w}: not the newest 20 matches")
        count = info["count"]
        if isinstance(count, int) and count != len(matches):
            problems.append(f"{w}: count {count} != {len(matches)}")
        if isinstance(count, str) and not len(matches) > int(count[1:]):
            problems.append(f"{w}: '{count}' but {len(matches)} matches")
    conn.close()
    return problems


def doc_freq(db_path: str, words: list[str]) -> dict[str, tuple[int, float]]:
    """Exact matches per word straight from the FTS index (not through Datasette), and share of all rows."""
    from sqlite_utils.utils import sqlite3

    from archive.fts import bigram_query
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    total = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    out = {}
    for w in words:
        c = conn.execute("SELECT COUNT(*) FROM reports_fts WHERE reports_fts MATCH ?", (bigram_query(w),)).fetchone()[0]
        out[w] = (c, c / total)
    conn.close()
    return out


async def time_queries(ds, name: str, words: list[str], rounds: int, html: bool) -> dict[str, list]:
    per_word: dict = {w: [] for w in words}
    for _ in range(rounds):
        for w in words:
            if html:
                path, params = f"/{name}/reports", {"_search": w}
            else:
                path, params = f"/{name}/reports.json", {"_search": w, "_size": "20", "_col": "title"}
            t = time.perf_counter()
            r = await ds.client.get(path, params=params)
            ms = (time.perf_counter() - t) * 1000
            assert r.status_code == 200, (w, r.status_code, r.text[:300])
            if html:
                info = {}
            else:
                j = r.json()
                more = (j.get("nianbao_search") or {}).get("more_than")
                info = {"count": j.get("filtered_table_rows_count") if more is None else f">{more}",
                        "facets": sorted(j.get("facet_results") or {}), "timed_out": j.get("facets_timed_out") or [],
                        "ids": [row[0] for row in j["rows"]]}
            per_word[w].append((ms, info))
    return per_word


async def search_bench(db_path: str, rounds: int, settings: dict | None = None) -> dict:
    name = Path(db_path).stem
    ds = make_datasette(db_path, settings=settings)
    await ds.invoke_startup()
    await ds.client.get("/")  # warm up: table counts, templates
    out = {}
    for label, words in (("2-char", TWO), ("4-char", FOUR)):
        for html in (False, True):
            await time_queries(ds, name, words[:2], 1, html)  # warm caches
            out[(label, "html" if html else "json")] = await time_queries(ds, name, words, rounds, html)
    return out


async def story_bench(db_path: str, rounds: int) -> dict[str, list[float]]:
    """Server time of every page of the journalist's story (issue 12), in-process through Datasette's client."""
    from sqlite_utils.utils import sqlite3

    name = Path(db_path).stem
    conn = sqlite3.connect(db_path)
    rid, url = conn.execute("SELECT id, url FROM reports WHERE is_current = 1 AND version > 1 LIMIT 1").fetchone() \
        or conn.execute("SELECT id, url FROM reports WHERE is_current = 1 LIMIT 1").fetchone()
    agency, province = conn.execute("SELECT agency, province FROM reports WHERE id = ?", (rid,)).fetchone()
    old = conn.execute("SELECT id FROM reports WHERE url = ? AND id != ? LIMIT 1", (url, rid)).fetchone()
    conn.close()
    pages = {
        "home: search 2-char": ("/", {"q": TWO[0]}),
        "home: search 2-char + province": ("/", {"q": TWO[0], "province": province}),
        "home: search 4-char + province + year": ("/", {"q": FOUR[0], "province": province, "year": "2021"}),
        "report page": (f"/{name}/reports/{rid}", {}),
        "report page, versions compared": (f"/{name}/reports/{rid}", {"compare": str(old[0]) if old else ""}),
        "agency page": ("/-/nianbao/agency", {"name": agency}),
        "chart (province)": ("/-/nianbao/chart", {"province": province}),
        "question: numbers that do not add up": (f"/{name}/inconsistent_reports", {"province": province}),
        "question: late or undated (empty)": (f"/{name}/late_reports", {"province": "没有这个省"}),
    }
    ds = make_datasette(db_path)
    await ds.invoke_startup()
    out: dict[str, list[float]] = {k: [] for k in pages}
    for k, (path, params) in pages.items():  # warm-up
        await ds.client.get(path, params=params)
    for _ in range(rounds):
        for k, (path, params) in pages.items():
            t = time.perf_counter()
            r = await ds.client.get(path, params=params)
            out[k].append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (k, r.status_code, r.text[:300])
    return out


def summarise(times: list[float]) -> str:
    if not times:
        return "-"
    return f"p50 {statistics.median(times):6.1f} ms  p95 {pct(times, 95):6.1f} ms  max {max(times):6.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--db", default="/tmp/bench_archive.db")
    ap.add_argument("--batch", type=int, default=1000,
                    help="reports per outer transaction while loading (1 = one transaction per report)")
    ap.add_argument("--rounds", type=int, default=5, help="each query word is timed this many times")
    ap.add_argument("--reuse", action="store_true", help="skip loading: time searches on an existing --db")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    from sqlite_utils.utils import sqlite3
    print(f"SQLite {sqlite3.sqlite_version}")
    if not args.reuse:
        res = load(args.db, args.n, args.batch)
        print(f"reports: {res['n']} ({res['rows']} rows, {res['current']} current versions)  load: {res['load_s']:.0f} s"
              f" = {res['rate']:.0f} reports/s (batches of {args.batch}; page + report + tables + checks + FTS + "
              f"cross-year); FTS optimize + ANALYZE: {res['optimize_s']:.0f} s")
        print(f"file: {res['bytes'] / 2**20:.0f} MiB = {res['bytes_per_report']:.0f} bytes/report "
              f"(body text {res['text_bytes_per_report']:.0f} bytes/report)")
        rest = res["bytes"] - sum(res["sizes"].values())
        print("payload bytes/report: " + ", ".join(f"{k} {v / res['n']:.0f}" for k, v in res["sizes"].items())
              + f", everything else (tables 2-4, checks, indexes, pages) {rest / res['n']:.0f}")
    with Archive(args.db):  # applies pending migrations (an archive built by an older version), checkpoints
        pass
    t = time.perf_counter()
    os.sync()  # let the kernel finish writing the new file first: its writeback would be timed as search latency
    if not args.reuse:
        print(f"sync after load: {time.perf_counter() - t:.0f} s")
    df = doc_freq(args.db, TWO + FOUR)
    out = asyncio.run(search_bench(args.db, args.rounds))
    failed = False
    for (label, kind), per_word in out.items():
        all_t = [ms for v in per_word.values() for ms, _ in v]
        common = [ms for w, v in per_word.items() if df[w][1] >= COMMON for ms, _ in v]
        other = [ms for w, v in per_word.items() if df[w][1] < COMMON for ms, _ in v]
        print(f"search {label} {kind:4}: all   {summarise(all_t)}  ({len(all_t)} requests)")
        print(f"                 ≥90%: {summarise(common)}   other: {summarise(other)}")
        if kind == "json":
            bits = []
            for w, v in per_word.items():
                info = v[-1][1]
                shown = info["count"] if info["count"] is not None else "?"
                bits.append(f"{w} {df[w][0]} ({df[w][1]:.0%}) → count {shown}, "
                            f"{len(info['facets'])} facets{' (' + str(len(info['timed_out'])) + ' timed out)' if info['timed_out'] else ''}"
                            f", {statistics.median(ms for ms, _ in v):.0f} ms")
            print("    per word (hits, share → what Datasette showed, median):\n      " + "\n      ".join(bits))
            problems = check_rows(args.db, per_word)
            print("    rows checked against the FTS index (all match, newest 20, honest count): "
                  + ("; ".join(problems) if problems else "ok"))
            failed = failed or bool(problems)
    story = asyncio.run(story_bench(args.db, args.rounds))
    print("story pages (issue 12), server time in-process:")
    for k, times in story.items():
        print(f"  {k:42} {summarise(times)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
