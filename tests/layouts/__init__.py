"""Seeded generator of annual-report HTML pages and their ground truth.

    case = generate(seed)
    case.html     -> bytes as a portal would serve them (UTF-8 or GBK, charset declared or not)
    case.truth    -> {"title", "year", "agency", "published", "template", "agency_kind",
                      "table2", "table3", "table4", "failing_rules"}
    case.quirks   -> the layout/formatting quirks this page uses (for pass rates by quirk)

Pure Python, `random.Random(seed)` only, no `parsers` import: the truth is the numbers the
generator decided to print, never something read back from the page. Table values are
decided first as numbers (or None for a cell left blank), then printed in the page's style.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import pages
from .cells import BLANK_MARKS, CellStyle, fmt_number, split_label
from .tables import T3Layout, t2_table, t3_table, t4_table
from .truth import failing_rules
from .vocab import (AGENCIES, PROVINCE_PREFIX, T2_FIELDS_2019, T2_FIELDS_2021, T3_APPLICANTS, T3_COLS,
                    T4_FIELDS, T4_GROUPS, t3_rows, t3_template_keys)

__all__ = ["Case", "generate"]


@dataclass
class Case:
    seed: int
    url: str
    html: bytes
    truth: dict
    quirks: set[str] = field(default_factory=set)


class _Printer:
    """Page-wide number style: full-width digits, thousands separators, units."""

    def __init__(self, rng: random.Random, quirks: set[str]):
        self.rng = rng
        self.quirks = quirks
        self.fw = rng.choices(("none", "all", "some"), (0.65, 0.12, 0.23))[0]
        self.thousands = rng.random() < 0.5
        self.units = rng.random() < 0.25

    def __call__(self, value, unit_hint: str = "") -> str:
        rng = self.rng
        fw = self.fw == "all" or (self.fw == "some" and rng.random() < 0.3)
        th = self.thousands and abs(value) >= 1000 and not fw
        unit = ""
        if unit_hint and self.units and rng.random() < 0.5:
            unit = unit_hint
        s = fmt_number(value, unit=unit, thousands=th, fullwidth=fw)
        if fw:
            self.quirks.add("num:fullwidth")
        if th:
            self.quirks.add("num:thousands")
        if unit:
            self.quirks.add(f"num:unit-{unit}")
        return s


def _blank(rng: random.Random, mark=None) -> str:
    return mark if mark is not None else rng.choice(BLANK_MARKS)


# --------------------------------------------------------------------------- table 3 values
def _t3_values(rng, keys: list[str], quirks: set[str]):
    """Numbers per row/column, consistent; blanks decided per column/row; then maybe a typo."""
    results = [k for k in keys if k not in ("new_received", "carried_over", "total_processed", "carried_forward")]
    weights = {k: 1 for k in results}
    for k, w in (("granted", 12), ("partially_granted", 4), ("unavailable_not_held", 8), ("denied_process_info", 2),
                 ("rejected_petition", 2), ("rejected_repeat", 2), ("other_misc", 2), ("other_handling", 3),
                 ("unavailable_needs_creation", 2), ("denied_third_party", 1)):
        if k in weights:
            weights[k] = w
    nums = {k: {} for k in keys}
    scale = rng.choice((0, 3, 15, 60, 400, 2500))
    for col in T3_APPLICANTS:
        top = scale if col == "natural_person" else (scale // rng.choice((3, 5, 20)) if rng.random() < 0.5 else 0)
        new = rng.randint(0, top) if top else 0
        over = rng.randint(0, max(0, new // 10)) if new else 0
        fwd = rng.randint(0, (new + over) // 5) if new + over else 0
        done = new + over - fwd
        per = {k: 0 for k in results}
        for _ in range(done):
            per[rng.choices(results, [weights[k] for k in results])[0]] += 1
        nums["new_received"][col] = new
        nums["carried_over"][col] = over
        nums["carried_forward"][col] = fwd
        nums["total_processed"][col] = done
        for k in results:
            nums[k][col] = per[k]
    for k in keys:
        nums[k]["total"] = sum(nums[k][c] for c in T3_APPLICANTS)

    # blanks: whole applicant columns, the 总计 column on most rows, zeros left blank
    blank_cols: set[str] = set()
    if rng.random() < 0.3:
        orgs = list(T3_APPLICANTS[1:])
        blank_cols = set(orgs) if rng.random() < 0.6 else set(rng.sample(orgs, rng.randint(1, 4)))
        for c in blank_cols:  # a column left blank printed nothing, and nothing was there
            for k in keys:
                nums[k]["total"] -= nums[k][c]
                nums[k][c] = 0
        quirks.add("t3:blank-columns")
    total_mode = rng.choices(("full", "partial"), (0.75, 0.25))[0]
    if total_mode == "partial":
        quirks.add("t3:total-partial")
    zeros_blank = rng.random() < 0.08
    if zeros_blank:
        quirks.add("t3:zeros-blank")

    # a typo, as real reports have
    if rng.random() < 0.35:
        kind = rng.choice(("row_total", "cell", "carried_forward", "total_processed"))
        d = rng.choice((1, 2, 3, 5, 10, -1))
        if kind == "row_total":
            k = rng.choice(("new_received", "total_processed", "carried_forward", "carried_over") if total_mode == "partial" else keys)
            nums[k]["total"] = max(0, nums[k]["total"] + d)
        elif kind == "cell":
            k = rng.choice(results)
            nums[k]["natural_person"] = max(0, nums[k]["natural_person"] + abs(d))
        else:
            nums[kind]["natural_person"] = max(0, nums[kind]["natural_person"] + abs(d))
        quirks.add("values:typo")

    truth: dict[str, dict] = {}
    for k in keys:
        truth[k] = {}
        for c in T3_COLS:
            v = nums[k][c]
            if c in blank_cols:
                v = None
            elif c == "total" and total_mode == "partial" and k not in ("new_received", "carried_over",
                                                                          "total_processed", "carried_forward"):
                v = None
            elif zeros_blank and v == 0 and c != "total":
                v = None
            truth[k][c] = v
    return truth, blank_cols, total_mode


# --------------------------------------------------------------------------- table 2 values
def _t2_values(rng, template: str, dept: bool):
    def small(hi=5):
        return rng.choice((0, 0, 0, rng.randint(0, hi)))

    def big():
        return rng.choice((0, rng.randint(1, 300), rng.randint(300, 30000)))

    t = {}
    regs_blank = dept and rng.random() < 0.4  # bodies without rule-making power print "/" there
    if template == "2021":
        t["regulations"] = [None] * 3 if regs_blank else [small(2), 0, small(8)]
        made = small(12)
        t["normative_documents"] = [made, small(3), made + rng.randint(0, 60)]
        t["licensing"] = [big()]
        t["punishment"] = [big()]
        t["coercion"] = [small(30)]
        t["fees"] = [rng.choice((0, rng.randint(1, 900), round(rng.uniform(1, 20000), 2)))]
    else:
        t["regulations"] = [None] * 3 if regs_blank else [small(2), small(2), small(10)]
        n = small(12)
        t["normative_documents"] = [n, n, n + rng.randint(0, 80)]
        for k in ("licensing", "other_services", "punishment", "coercion"):
            prev = rng.randint(0, 120)
            t[k] = [prev, rng.randint(-min(prev, 5), 6), big() if k != "coercion" else small(20)]
        t["fees"] = [rng.randint(0, 20), rng.randint(-2, 2)]
        t["procurement"] = [rng.randint(0, 40), rng.choice((0, rng.randint(10000, 9000000), round(rng.uniform(1, 900), 2)))]
    return t


def _t4_values(rng):
    t = {}
    for g in T4_GROUPS:
        vals = [rng.choice((0, 0, 0, rng.randint(0, 6))) for _ in range(4)]
        t[g] = vals + [sum(vals)]
    if rng.random() < 0.15:
        g = rng.choice(T4_GROUPS)
        t[g][4] += rng.choice((1, 2, 3))
    return t


# --------------------------------------------------------------------------- body text
def _para(style: CellStyle, text: str, heading: bool = False) -> str:
    if style.name == "word":
        font = "黑体" if heading else "仿宋_GB2312"
        return (f"<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'><span style='font-size:16.0pt;"
                f"font-family:{font}'>{text}<span lang=EN-US><o:p></o:p></span></span></p>\n")
    if heading:
        return style.rng.choice((f"<p><strong>{text}</strong></p>\n", f"<h3>{text}</h3>\n", f"<p>{text}</p>\n"))
    return f'<p style="text-indent:2em">{text}</p>\n'


def generate(seed: int) -> Case:
    rng = random.Random(seed)
    quirks: set[str] = set()

    # --- who, when, which template
    agency, kind, owner = rng.choice(AGENCIES)
    mode = rng.choices(("2021", "2019", "2021rows_on_2019", "2019rows_on_2021"), (0.55, 0.25, 0.12, 0.08))[0]
    quirks.add(f"template:{mode}")
    t2_template = "2021" if mode in ("2021", "2019rows_on_2021") else "2019"
    t3_other = "2021" if mode in ("2021", "2021rows_on_2019") else "2019"
    year = {"2021": rng.choice((2021, 2022, 2023)), "2019": rng.choice((2019, 2020)),
            "2021rows_on_2019": 2020, "2019rows_on_2021": 2021}[mode]
    deadline = date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)
    if rng.random() < 0.18:
        pub = deadline + timedelta(days=rng.randint(1, 70))
        quirks.add("published:late")
    else:
        pub = deadline - timedelta(days=rng.randint(0, (deadline - date(year + 1, 1, 5)).days))
    published = pub.isoformat()
    title = rng.choice((f"{agency}{year}年政府信息公开工作年度报告", f"{agency}{year}年度政府信息公开工作年度报告",
                        f"{year}年度{agency}政府信息公开工作年度报告", f"{agency}{year}年政府信息公开年度报告"))

    cms = rng.choices(list(pages.CMS), (0.25, 0.17, 0.17, 0.14, 0.17, 0.10))[0]
    quirks.add(f"cms:{cms}")
    if cms == "word_page":
        style_name = "word"
    elif cms == "table_layout":
        style_name = rng.choice(("old", "old", "word", "clean"))
    else:
        style_name = rng.choices(("clean", "th_head", "p_in_td", "word"), (0.35, 0.15, 0.15, 0.35))[0]
    st = CellStyle(style_name, rng)
    quirks.add(f"cells:{style_name}")
    pr = _Printer(rng, quirks)
    split_p = 0.35 if style_name == "word" else 0.08

    def lab(text):
        t, did = split_label(text, st, rng, split_p)
        if did:
            quirks.add("label:split")
        return t

    # --- table 2
    t2_nums = _t2_values(rng, t2_template, kind == "department")
    fields = T2_FIELDS_2021 if t2_template == "2021" else T2_FIELDS_2019
    reg_mark = rng.choice(("/", "—", "-", "", "&nbsp;"))
    t2_printed, t2_truth = {}, {}
    for key, flds in fields.items():
        t2_printed[key], t2_truth[key] = [], {}
        for f, v in zip(flds, t2_nums[key]):
            unit = "元" if (key == "procurement" and f == "amount" and isinstance(v, int)) else \
                "万元" if (key == "fees" and f == "amount") else "" if f in ("change",) else "件"
            t2_printed[key].append(_blank(rng, reg_mark) if v is None else pr(v, unit))
            t2_truth[key][f] = v
    if t2_truth["regulations"][fields["regulations"][0]] is None:
        quirks.add("t2:blank-row")
    t2_html = t2_table(t2_template, t2_printed, st, rng, lab=lab, headings=rng.random() < 0.85)

    # --- table 3
    keys = [k for k, _, _ in t3_rows(t3_other)]
    t3_truth, blank_cols, total_mode = _t3_values(rng, keys, quirks)
    col_mark = {c: rng.choice(BLANK_MARKS) for c in T3_COLS}
    t3_printed = {}
    for k in keys:
        t3_printed[k] = [(_blank(rng, col_mark[c]) if t3_truth[k][c] is None else pr(t3_truth[k][c], "件"))
                         for c in T3_COLS]
    lay = T3Layout(other=t3_other)
    lay.label_cols = rng.choices((3, 2, 1), (0.6, 0.25, 0.15))[0]
    lay.one_col_groups = rng.choice(("heading", "prefix"))
    lay.results_heading_row = rng.random() < 0.6
    lay.header_rows = rng.choices((3, 2, "2flat"), (0.6, 0.25, 0.15))[0]
    lay.spacer = rng.choices(("none", "after_label", "after_total", "trailing"), (0.7, 0.1, 0.1, 0.1))[0]
    lay.paren = rng.choice((("（", "）"), ("(", ")")))
    lay.dot = rng.choice(("．", ".", "、"))
    lay.quotes = rng.choice((("“", "”"), ('"', '"'), ("「", "」"), ("‘", "’"), ("", "")))
    lay.variant = {k: rng.randint(0, 1) for k in keys + ["六"]}
    lay.other_col_label = rng.choice(("其他", "其他", "其他", "其它"))
    lay.split_p = split_p
    lay.heading_blank = rng.choice(("", "&nbsp;"))
    n_rows = len(keys)
    if rng.random() < 0.35:
        lay.split_at = rng.randint(2, n_rows - 1)
        lay.split_repeat_header = rng.random() < 0.4
        lay.restart_text = rng.choice(("", "&nbsp;", "same"))
    quirks |= {f"t3:label-cols-{lay.label_cols}", f"t3:header-{lay.header_rows}", f"t3:spacer-{lay.spacer}"}
    if lay.label_cols == 1:
        quirks.add(f"t3:one-col-{lay.one_col_groups}")
    if lay.other_col_label == "其它":
        quirks.add("t3:col-其它")
    if lay.quotes != ("“", "”"):
        quirks.add("label:quotes-variant")
    if lay.paren == ("(", ")"):
        quirks.add("label:ascii-parens")
    if lay.dot != "．":
        quirks.add(f"label:numbering-{lay.dot}")
    if lay.variant.get("六" if t3_other == "2021" else "other_handling") == 1:
        quirks.add("label:其它处理")
    t3_html, q = t3_table(lay, t3_printed, st, rng)
    quirks |= q

    # --- table 4
    t4_nums = _t4_values(rng)
    t4_truth, t4_printed = {}, {}
    t4_blank = rng.random() < 0.1
    for g in T4_GROUPS:
        t4_truth[g], t4_printed[g] = {}, []
        for f, v in zip(T4_FIELDS, t4_nums[g]):
            if t4_blank and v == 0 and g != "review":
                v = None
            t4_truth[g][f] = v
            t4_printed[g].append(_blank(rng, "") if v is None else pr(v, ""))
    if t4_blank:
        quirks.add("t4:blanks")
    t4_header = rng.choice((3, 3, 2))
    quirks.add(f"t4:header-{t4_header}")
    t4_html = t4_table(t4_header, t4_printed, st, rng, lab=lab)

    # --- body
    P = lambda s, h=False: _para(st, s, h)  # noqa: E731
    body = P(rng.choice((
        f"根据《中华人民共和国政府信息公开条例》（以下简称《条例》）规定，现公布{agency}{year}年度政府信息公开工作年度报告。",
        f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求编制，由{agency}负责编写。")) +
        f"本报告所列数据的统计期限为{year}年1月1日至{year}年12月31日。如对本报告有疑问，请与{agency}办公室联系（电话：0571-8765{seed % 10000:04d}）。")
    body += P("一、总体情况", True)
    body += P(f"{year}年，{agency}认真贯彻落实《条例》，坚持以公开为常态、不公开为例外，持续推进决策、执行、管理、服务、结果公开。")
    body += P("（一）主动公开情况。围绕中心工作，及时公开政策文件、规划计划和重点领域信息。")
    body += P("（二）依申请公开情况。进一步规范申请的受理、审查、处理、答复程序，均在法定期限内答复。")
    body += P("二、主动公开政府信息情况", True) + t2_html
    body += P("三、收到和处理政府信息公开申请情况", True) + t3_html
    body += P("四、政府信息公开行政复议、行政诉讼情况", True) + t4_html
    body += P("五、存在的主要问题及改进情况", True)
    body += P("一是政策解读形式还不够丰富；二是公开内容的深度和广度仍需拓展。下一步将加强培训，完善考核。")
    body += P("六、其他需要报告的事项", True)
    body += P("本年度未收取信息处理费。")
    body += P(agency) + P(f"{pub.year}年{pub.month}月{pub.day}日")

    # --- page
    enc = rng.choices(("utf-8", "utf-8-undeclared", "utf-8-declared-gbk", "gbk", "gbk-undeclared",
                       "gbk-declared-utf-8"), (0.45, 0.1, 0.05, 0.22, 0.13, 0.05))[0]
    quirks.add(f"enc:{enc}")
    meta_cs = {"utf-8": rng.choice(('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">')),
               "utf-8-undeclared": "", "utf-8-declared-gbk": '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
               "gbk": rng.choice(('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', "<meta charset=gbk>")),
               "gbk-undeclared": "", "gbk-declared-utf-8": '<meta charset="utf-8">'}[enc]
    prov = next((v for k, v in PROVINCE_PREFIX.items() if agency.startswith(k) or owner.startswith(k)), "浙")
    menu_t2 = cms == "table_layout" and rng.random() < 0.3
    if menu_t2:
        quirks.add("chrome:menu-t2-words")
    source_meta = agency if rng.random() < 0.7 else owner
    pi = pages.PageInfo(
        title=title, agency=agency, site_owner=owner, published=published,
        pub_time=f"{rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}",
        index_no=f"{rng.randint(10**8, 10**9 - 1)}/{pub.year}-{rng.randint(1000, 99999):05d}",
        icp=f"{prov}ICP备{rng.randint(10**7, 10**8 - 1)}号", police=f"{prov}公网安备{rng.randint(10**13, 10**14 - 1)}号",
        site_code=f"{rng.randint(10**9, 10**10 - 1)}", charset_meta=meta_cs, source_meta=source_meta,
        menu_t2_words=menu_t2)
    html = pages.CMS[cms](pi, body, rng)
    data = html.encode("gbk" if enc.startswith("gbk") else "utf-8")

    # the template's rows (null where not printed), plus rows printed from the other template's (六)
    truth_t3 = {k: {c: None for c in T3_COLS} for k in t3_template_keys(t2_template)}
    truth_t3.update({k: dict(v) for k, v in t3_truth.items()})
    t4_truth_d = {g: dict(t4_truth[g]) for g in T4_GROUPS}
    truth = {
        "title": title, "year": year, "agency": agency, "published": published, "template": t2_template,
        "agency_kind": kind, "table2": t2_truth, "table3": truth_t3, "table4": t4_truth_d,
    }
    truth["failing_rules"] = sorted(failing_rules(truth_t3, t4_truth_d, year, published, kind))
    if truth["failing_rules"]:
        quirks.add("checks:fail")
    url = f"http://www.example{seed % 97}.gov.cn/zwgk/xxgknb/{pub.year}{pub.month:02d}/t{pub:%Y%m%d}_{seed}.html"
    return Case(seed=seed, url=url, html=data, truth=truth, quirks=quirks)
