"""Report dicts in the contract's shape, for tests, demos and the benchmark (not real data).

`sample_report()` makes one plausible report; `synthetic_reports()` makes many, varied in agency,
region and year, with 3–8 KB of Chinese text drawn from a vocabulary of report phrases.
"""
from __future__ import annotations

import random
from typing import Iterator, Optional

from .schema import TABLE3_COLUMNS, TABLE3_ROWS

APPLICANTS = TABLE3_COLUMNS[:-1]

# Real places (code, province, city/county, portal region, ICP abbreviation) for realistic regions.
PLACES = [
    ("350128", "福建省", "平潭综合实验区", "福建省", "闽"),
    ("210900", "辽宁省", "阜新市", "辽宁省", "辽"),
    ("210203", "辽宁省", "大连市西岗区", "辽宁省", "辽"),
    ("210411", "辽宁省", "抚顺市望花区", "辽宁省", "辽"),
    ("150700", "内蒙古自治区", "呼伦贝尔市", "内蒙古自治区", "蒙"),
    ("321322", "江苏省", "宿迁市沭阳县", "江苏省宿迁市", "苏"),
    ("350111", "福建省", "福州市晋安区", "福建省福州市", "闽"),
    ("520100", "贵州省", "贵阳市", "贵州省", "黔"),
    ("421281", "湖北省", "咸宁市赤壁市", "湖北省咸宁市", "鄂"),
    ("420105", "湖北省", "武汉市汉阳区", "湖北省武汉市", "鄂"),
    ("220100", "吉林省", "长春市", "吉林省", "吉"),
    ("530100", "云南省", "昆明市", "云南省", "云"),
    ("130400", "河北省", "邯郸市", "河北省", "冀"),
    ("330825", "浙江省", "衢州市龙游县", "浙江省衢州市", "浙"),
    ("610626", "陕西省", "延安市吴起县", "陕西省延安市", "陕"),
    ("510522", "四川省", "泸州市合江县", "四川省泸州市", "川"),
    ("370900", "山东省", "泰安市", "山东省", "鲁"),
    ("350700", "福建省", "南平市", "福建省", "闽"),
    ("350102", "福建省", "福州市鼓楼区", "福建省福州市", "闽"),
    ("331003", "浙江省", "台州市黄岩区", "浙江省台州市", "浙"),
]
DEPARTMENTS = [
    "教育局", "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局",
    "交通运输局", "农业农村局", "水利局", "商务局", "文化和旅游局", "卫生健康委员会", "应急管理局",
    "市场监督管理局", "统计局", "医疗保障局", "民政局", "司法局", "发展和改革局", "审计局",
]
PHRASES = [
    "认真贯彻落实《中华人民共和国政府信息公开条例》", "坚持以习近平新时代中国特色社会主义思想为指导",
    "以公开为常态、不公开为例外", "持续推进决策、执行、管理、服务、结果公开", "不断增强政府公信力、执行力",
    "保障人民群众知情权、参与权、表达权、监督权", "进一步优化政务公开专栏设置", "加强政策解读和回应关切",
    "全面梳理基层政务公开标准目录", "规范依申请公开受理、答复及归档流程", "严格落实保密审查制度",
    "通过政府门户网站主动公开政府信息", "开展在线访谈和网上民意征集",
    "重大建设项目批准和实施领域信息公开", "财政预决算信息按时公开", "政务新媒体规范管理",
    "加强政府网站集约化建设", "推进行政规范性文件统一公开",
    "做好疫情防控信息发布", "强化监督考核和社会评议", "政务公开工作人员业务培训",
    "存在的主要问题是公开内容不够全面", "下一步将继续加大公开力度", "申请人通过信函方式提出申请",
    "本年度未发生行政复议和行政诉讼", "政府信息公开工作年度报告", "主动公开政府信息情况",
    "收到和处理政府信息公开申请情况", "因政府信息公开工作被申请行政复议、提起行政诉讼情况",
    "农业农村领域信息公开", "信息及时发布", "交易信息全流程公开",
]
# Topic words, drawn with Zipf-like weights so that a search word hits anywhere from ~40% to ~0.5% of reports.
TOPICS = [
    "教育", "医疗", "养老", "疫情防控", "乡村振兴", "财政预算", "生态环境", "公共资源", "住房保障", "食品安全",
    "安全生产", "就业创业", "社会救助", "交通运输", "水利工程", "城市规划", "征地拆迁", "脱贫攻坚", "税收优惠",
    "市场监管", "文物保护", "消防救援", "义务教育", "医疗保障", "退役军人", "农村土地", "棚户区改造", "招生",
    "审计", "环境影响评价", "政府采购", "重大项目", "价格收费", "国有企业", "统计数据", "户籍管理", "婚姻登记",
    "殡葬改革", "残疾人", "未成年人保护", "地质灾害", "森林防火", "河长制", "垃圾分类", "营商环境", "招商引资",
    "旅游景区", "体育场馆", "公共文化", "广播电视", "知识产权", "药品监管", "疾病预防", "老旧小区", "物业管理",
    "燃气安全", "供水供电", "海洋渔业", "畜牧兽医", "粮食储备",
]
TOPIC_TEMPLATES = ["做好{w}领域信息公开", "{w}相关政策解读", "公开{w}工作进展", "回应{w}方面的社会关切",
                   "{w}信息主动公开", "收到涉及{w}的申请"]
_TOPIC_WEIGHTS = [1.0 / (i + 1) ** 1.1 for i in range(len(TOPICS))]


def _table3(rng: random.Random, template: str, balanced: bool = True) -> dict:
    t3: dict = {}
    new = {c: rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 40]) for c in APPLICANTS}
    over = {c: rng.choice([0, 0, 0, 1, 2]) for c in APPLICANTS}
    rows = {k: {c: 0 for c in APPLICANTS} for k in TABLE3_ROWS}
    rows["new_received"] = new
    rows["carried_over"] = over
    results = ["granted", "partially_granted", "denied_third_party", "denied_process_info",
               "unavailable_not_held", "rejected_repeat"]
    for c in APPLICANTS:
        avail = new[c] + over[c]
        fwd = min(avail, rng.choice([0, 0, 1]))
        rows["carried_forward"][c] = fwd
        rows["total_processed"][c] = avail - fwd
        left = avail - fwd
        for r in results[1:]:
            take = rng.randint(0, left // 3) if left else 0
            rows[r][c] = take
            left -= take
        rows["granted"][c] = left
    skip = {"other_handling"} if template == "2021" else {"other_no_correction", "other_fee_unpaid", "other_misc"}
    for key in TABLE3_ROWS:
        if key in skip:
            continue
        vals = dict(rows[key])
        vals["total"] = sum(vals.values())
        t3[key] = vals
    if not balanced:
        t3["total_processed"]["total"] += 1
    return t3


def _checks(t3: dict) -> list[dict]:
    out = []
    for c in TABLE3_COLUMNS:
        exp = t3["new_received"][c] + t3["carried_over"][c]
        found = t3["total_processed"][c] + t3["carried_forward"][c]
        out.append({"rule": "t3_balance", "where": f"table3.{c}", "expected": exp, "found": found,
                    "ok": exp == found})
    for key, vals in t3.items():
        exp = sum(vals[c] for c in APPLICANTS)
        out.append({"rule": "t3_row_total", "where": f"table3.{key}", "expected": vals["total"],
                    "found": exp, "ok": exp == vals["total"]})
    return out


def sample_report(url: str, *, title: Optional[str] = None, agency: str = "平潭综合实验区管理委员会",
                  year: int = 2021, published: Optional[str] = "2022-01-20", text: Optional[str] = None,
                  template: Optional[str] = None, agency_kind: Optional[str] = "government",
                  site: Optional[dict] = None, balanced: bool = True, seed: int = 0,
                  in_force: Optional[int] = None, carried_over: Optional[int] = None,
                  carried_forward: Optional[int] = None) -> dict:
    rng = random.Random(seed)
    template = template or ("2021" if year >= 2021 else "2019" if year >= 2019 else "legacy")
    title = title or f"{agency}{year}年政府信息公开工作年度报告"
    text = text if text is not None else f"{title}。" + "。".join(rng.sample(PHRASES, 8)) + "。"
    report = {
        "url": url, "title": title, "year": year, "agency": agency, "published": published,
        "template": template, "text": text,
        "site": site if site is not None else {"icp": None, "police_record": None, "site_code": None, "index_no": None},
        "table2": None, "table3": None, "table4": None, "checks": [], "notes": [], "format": "html",
        "agency_kind": agency_kind,
    }
    if template == "legacy":
        return report
    if template == "2021":
        made = rng.randint(0, 5)
        report["table2"] = {
            "regulations": {"made": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {"made": made, "repealed": 1, "in_force": in_force if in_force is not None else 20},
            "licensing": {"decisions": rng.randint(0, 5000)},
            "punishment": {"decisions": rng.randint(0, 300)},
            "coercion": {"decisions": rng.randint(0, 20)},
            "fees": {"amount": round(rng.uniform(0, 20000), 2)},
        }
    else:
        report["table2"] = {
            "regulations": {"new_made": 0, "new_published": 0, "total_published": 0},
            "normative_documents": {"new_made": 3, "new_published": 3, "total_published": 40},
            "licensing": {"previous_items": 10, "change": 0, "decisions": rng.randint(0, 5000)},
            "fees": {"previous_items": 2, "change": 0},
            "procurement": {"projects": 3, "amount": 120.5},
        }
    t3 = _table3(rng, template, balanced)
    if carried_over is not None:
        t3["carried_over"] = {c: 0 for c in APPLICANTS} | {"natural_person": carried_over, "total": carried_over}
    if carried_forward is not None:
        t3["carried_forward"] = {c: 0 for c in APPLICANTS} | {"natural_person": carried_forward,
                                                              "total": carried_forward}
    report["table3"] = t3
    report["table4"] = {g: {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0}
                        for g in ("review", "litigation_direct", "litigation_after_review")}
    report["checks"] = _checks(t3)
    return report


def _long_text(rng: random.Random, title: str, size: int) -> str:
    parts = [title, "一、总体情况"]
    topics = set(rng.choices(TOPICS, weights=_TOPIC_WEIGHTS, k=rng.randint(1, 4)))
    n = 0
    while n < size:
        p = "，".join(rng.sample(PHRASES, rng.randint(2, 4))) + "。"
        if topics and rng.random() < 0.3:
            p = rng.choice(TOPIC_TEMPLATES).format(w=rng.choice(sorted(topics))) + "，" + p
        if rng.random() < 0.3:
            p = f"{rng.randint(2015, 2024)}年共{rng.randint(1, 9000)}条" + p
        parts.append(p)
        n += len(p.encode("utf-8"))
    return "\n".join(parts)


_TOWN = "东西南北新安和平兴宁城关河山桥湖金石龙凤"


def synthetic_reports(n: int, seed: int = 1, min_bytes: int = 3000, max_bytes: int = 8000) -> Iterator[tuple[dict, str]]:
    """n (report dict, portal region) pairs with 3–8 KB texts; agency/region/year vary."""
    rng = random.Random(seed)
    for i in range(n):
        code, prov, place, portal_region, abbr = PLACES[i % len(PLACES)]
        dept = DEPARTMENTS[(i // len(PLACES)) % len(DEPARTMENTS)]
        serial = i // (len(PLACES) * len(DEPARTMENTS))
        year = 2014 + (serial % 11)
        unit = serial // 11  # one report per agency and year, as in reality
        town = "" if unit == 0 else _TOWN[unit % len(_TOWN)] + _TOWN[(unit // len(_TOWN)) % len(_TOWN)] + "镇"
        agency = f"{place}{town}{dept}" if (i // len(PLACES)) % 7 else f"{place}{town}人民政府"
        kind = "government" if agency.endswith("人民政府") else "department"
        title = f"{agency}{year}年政府信息公开工作年度报告"
        text = _long_text(rng, title, rng.randint(min_bytes, max_bytes))
        month = rng.choice(["01", "01", "02", "03", "04"])
        site = {"icp": f"{abbr}ICP备{rng.randint(10000000, 99999999)}号", "police_record": None,
                "site_code": code[:4] + "000" + str(rng.randint(100, 999)), "index_no": None}
        rep = sample_report(f"http://www{i % len(PLACES)}.example.gov.cn/zfxxgk/nb/{i}.html", title=title,
                            agency=agency, year=year, published=f"{year + 1}-{month}-{rng.randint(10, 28)}",
                            text=text, agency_kind=kind, site=site, balanced=rng.random() > 0.1,
                            seed=rng.randint(0, 1 << 30))
        yield rep, portal_region


MALICIOUS_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>平潭综合实验区2021年政府信息公开工作年度报告</title>
<script>console.log("NIANBAO-XSS-head"); alert("head")</script>
<base href="javascript:alert('base')//">
<meta http-equiv="refresh" content="0;url=javascript:alert('refresh')">
</head><body onload="console.log('NIANBAO-XSS-onload'); alert('onload')">
<div class="TRS_Editor"><h1>平潭综合实验区2021年政府信息公开工作年度报告</h1>
<p>平潭综合实验区管委会认真贯彻落实《中华人民共和国政府信息公开条例》，教育领域信息公开持续推进。</p>
<img src="x" alt="图1" onerror="console.log('NIANBAO-XSS-onerror'); alert('onerror')">
<a href="javascript:alert('href')" id="evil-link">点击</a>
<a href="/zwgk/zfxxgk/" id="good-link">信息公开</a>
<iframe src="javascript:alert('iframe')"></iframe>
<svg onload="console.log('NIANBAO-XSS-svg')"><script>alert('svg')</script></svg>
<object data="javascript:alert('object')"></object>
<form action="javascript:alert('form')"><input autofocus onfocus="console.log('NIANBAO-XSS-onfocus')"></form>
<p style="background:url(javascript:alert('css'))" onmouseover="alert('over')">收到和处理政府信息公开申请情况</p>
<table border="1"><tr><td colspan="2">本年新收政府信息公开申请数量</td><td>12</td></tr></table>
<script src="http://127.0.0.1:9/evil.js"></script>
</div></body></html>"""


def demo_reports() -> list[dict]:
    """Hand-made reports covering what the archive must show (used by tests and `build_demo_archive`)."""
    pt = "http://127.0.0.1/pingtan/zwgk/zfxxgk/zfxxgknb/"
    return [
        sample_report(pt + "t20220120_1.htm", agency="平潭综合实验区管理委员会", year=2021, published="2022-01-20",
                      site={"icp": "闽ICP备05028458号", "police_record": None, "site_code": "3501280001", "index_no": None},
                      carried_over=2, seed=1),
        sample_report(pt + "t20210301_2.htm", agency="平潭综合实验区管理委员会", year=2020, published="2021-03-01",
                      carried_forward=3, seed=2,
                      site={"icp": "闽ICP备05028458号", "police_record": None, "site_code": "3501280001", "index_no": None}),
        sample_report(pt + "t20230415_3.htm", agency="平潭综合实验区教育局", year=2022, published="2023-04-15",
                      agency_kind="department", balanced=False, seed=3,
                      text="平潭综合实验区教育局2022年政府信息公开工作年度报告。教育局主动公开学校招生信息。"),
        sample_report("http://127.0.0.1/fuzhou/gl/nb2021.html", agency="鼓楼区教育局", year=2021,
                      published="2022-01-28", agency_kind="department", seed=4,
                      text="福州市鼓楼区教育局2021年度政府信息公开工作年度报告。义务教育阶段招生政策解读。"),
        sample_report("http://127.0.0.1/legacy/2016.html", agency="平潭综合实验区管理委员会", year=2016,
                      published="2017-03-20", template="legacy", seed=5,
                      text="平潭综合实验区2016年政府信息公开工作年度报告。一、概述。"),
    ]


def build_demo_archive(path: str, seeds: Optional[list[str]] = None, removed_and_changed: bool = True) -> dict:
    """An archive for tests and demos: hand-made reports (one archived from MALICIOUS_HTML), plus
    each seed file through `parsers.parse_path` when the parser is importable. Returns ids by name."""
    from .store import Archive

    ids: dict = {}
    with Archive(path) as db:
        crawl = db.begin_crawl(start_urls=["http://127.0.0.1/pingtan/"], settings={"demo": True})
        db.add_portal("平潭综合实验区", url="http://127.0.0.1/pingtan/", region="福建省")
        for i, rep in enumerate(demo_reports()):
            body = MALICIOUS_HTML.encode("utf-8") if i == 0 else (
                f"<html><body><h1>{rep['title']}</h1><p>{rep['text']}</p></body></html>").encode("utf-8")
            pid = db.record_page(rep["url"], 200, {"Content-Type": "text/html; charset=utf-8", "ETag": f'"e{i}"'},
                                 body, crawl_id=crawl)
            status, rid = db.add_report(rep, page_id=pid, crawl_id=crawl, portal="平潭综合实验区")
            ids[f"demo{i}"] = rid
            if i == 0:
                ids["malicious_page"] = pid
        if removed_and_changed:
            changed = dict(demo_reports()[3])
            changed["text"] = changed["text"] + "（2022年6月更正）"
            ids["changed"] = db.add_report(changed, crawl_id=crawl, portal="平潭综合实验区")[1]
            db.mark_removed(demo_reports()[4]["url"], crawl_id=crawl)
        for seed in seeds or []:
            try:
                from parsers import parse_path
            except ImportError:
                break
            try:
                rep = parse_path(seed).to_dict()
            except Exception:  # noqa: BLE001 - a seed the parser rejects is skipped, not fatal
                continue
            with open(seed, "rb") as fh:
                pid = db.record_page(rep["url"], 200, {"Content-Type": "text/plain; charset=utf-8"}, fh.read(),
                                     crawl_id=crawl)
            ids[seed] = db.add_report(rep, page_id=pid, crawl_id=crawl)[1]
        db.finish_crawl(crawl, stats={"demo": True})
    return ids
