"""Tables 2, 3 and 4 as real portals print them. Every renderer takes the PRINTED strings of
the value cells (already formatted); the truth numbers are kept by the caller."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from .cells import CellStyle, split_label
from .vocab import COL_LABELS, GROUPS, T3_COLS, t3_rows


@dataclass
class T3Layout:
    other: str = "2021"  # which (六) rows: "2021" three sub-rows, "2019" one row
    label_cols: int = 3  # 1, 2 or 3 grid columns of labels
    one_col_groups: str = "heading"  # label_cols == 1: group as a heading row, or "prefix" on the first member
    results_heading_row: bool = True  # label_cols < 3: a 三、本年度办理结果 row with blank values
    header_rows: int = 3  # 3: 申请人情况/自然人…/商业企业…; 2: 自然人…/商业企业…; "2flat": 申请人情况/7 labels
    spacer: str = "none"  # none, after_label, after_total, trailing
    split_at: int | None = None  # index into the data rows where a second <table> starts
    split_repeat_header: bool = False
    restart_text: str = ""  # what a merged label cell restarted after the split shows ("", "&nbsp;", or "same")
    paren: tuple[str, str] = ("（", "）")
    dot: str = "．"
    quotes: tuple[str, str] = ("“", "”")
    variant: dict = field(default_factory=dict)  # row key / group -> index into label variants
    other_col_label: str = "其他"
    split_p: float = 0.0  # chance a label is split across spans
    heading_blank: str = ""


def _fill(template: str, lay: T3Layout) -> str:
    return template.format(o=lay.paren[0], c=lay.paren[1], d=lay.dot, q1=lay.quotes[0], q2=lay.quotes[1])


@dataclass
class _Row:
    key: str | None  # None: a heading row (blank values)
    labels: list  # [(text, colspan, merge_id or None)]
    values: list[str] | None


def t3_table(lay: T3Layout, printed: dict[str, list[str]], st: CellStyle, rng: random.Random) -> tuple[str, set[str]]:
    """printed: {row key: 7 printed strings}. Returns (html, quirks actually used)."""
    quirks: set[str] = set()
    L = lay.label_cols
    rows: list[_Row] = []

    def lab(text):
        t, did = split_label(text, st, rng, lay.split_p)
        if did:
            quirks.add("label:split")
        return t

    res_id = "res"
    first_result_done = False
    seen_groups: set[str] = set()
    for key, group, variants in t3_rows(lay.other):
        text = lab(_fill(variants[lay.variant.get(key, 0) % len(variants)], lay))
        vals = printed[key]
        top = key in ("new_received", "carried_over", "carried_forward")
        if not top and not first_result_done:
            first_result_done = True
            if L < 3 and lay.results_heading_row:
                rows.append(_Row(None, [(lab("三、本年度办理结果"), L, None)], None))
        if top:
            rows.append(_Row(key, [(text, L, None)], vals))
            continue
        gtext = lab(_fill(GROUPS[group][lay.variant.get(group, 0) % len(GROUPS[group])], lay)) if group else ""
        if L == 3:
            cells = [("三、本年度办理结果", 1, res_id)]
            cells += [(gtext, 1, "g" + group), (text, 1, None)] if group else [(text, 2, None)]
        elif L == 2:
            cells = [(gtext, 1, "g" + group), (text, 1, None)] if group else [(text, 2, None)]
        else:
            if group and group not in seen_groups and lay.one_col_groups == "heading":
                rows.append(_Row(None, [(gtext, 1, None)], None))
                cells = [(text, 1, None)]
            elif group and group not in seen_groups:
                cells = [(gtext + rng.choice(("", " ", "：")) + text, 1, None)]
            else:
                cells = [(text, 1, None)]
        seen_groups.add(group)
        rows.append(_Row(key, cells, vals))

    # header
    corner = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    corner_span = L + (1 if lay.spacer == "after_label" else 0)
    tot_span = 2 if lay.spacer == "after_total" else 1
    colname = {c: lab(COL_LABELS[c][0]) for c in T3_COLS}
    colname["other_org"] = lab(lay.other_col_label)
    trail = [st.td("")] if lay.spacer == "trailing" else []

    def header() -> str:
        h = ""
        orgs = [st.td(colname[c], head=True) for c in T3_COLS[1:6]]
        if lay.header_rows == 3:
            h += st.tr([st.td(corner, rowspan=3, colspan=corner_span, head=True),
                        st.td("申请人情况", colspan=6 + tot_span, head=True)] + trail)
            h += st.tr([st.td(colname["natural_person"], rowspan=2, head=True),
                        st.td("法人或其他组织", colspan=5, head=True),
                        st.td(colname["total"], rowspan=2, colspan=tot_span, head=True)] + trail)
            h += st.tr(orgs + trail)
        elif lay.header_rows == 2:
            h += st.tr([st.td(corner, rowspan=2, colspan=corner_span, head=True),
                        st.td(colname["natural_person"], rowspan=2, head=True),
                        st.td("法人或其他组织", colspan=5, head=True),
                        st.td(colname["total"], rowspan=2, colspan=tot_span, head=True)] + trail)
            h += st.tr(orgs + trail)
        else:  # "2flat"
            h += st.tr([st.td(corner, rowspan=2, colspan=corner_span, head=True),
                        st.td("申请人情况", colspan=6 + tot_span, head=True)] + trail)
            h += st.tr([st.td(colname["natural_person"], head=True)] + orgs
                       + [st.td(colname["total"], colspan=tot_span, head=True)] + trail)
        return h

    def render_part(a: int, b: int) -> str:
        h = ""
        for i in range(a, b):
            r = rows[i]
            cells = []
            col = 0
            for text, span, mid in r.labels:
                if mid is not None:
                    prev = rows[i - 1] if i > a else None
                    if prev and any(m == mid and c0 == col for c0, m in _ids(prev)):
                        col += span
                        continue  # covered by the rowspan above
                    run = 1
                    while i + run < b and any(m == mid and c0 == col for c0, m in _ids(rows[i + run])):
                        run += 1
                    first_global = not (i > 0 and any(m == mid and c0 == col for c0, m in _ids(rows[i - 1])))
                    shown = text
                    if not first_global:  # restarted after the split
                        quirks.add("t3:split-restarted-merge")
                        shown = text if lay.restart_text == "same" else lay.restart_text
                    cells.append(st.td(shown, rowspan=run, colspan=span))
                else:
                    cells.append(st.td(text, colspan=span))
                col += span
            if lay.spacer == "after_label":
                cells.append(st.td(rng.choice(("", "&nbsp;"))))
            vals = r.values if r.values is not None else [lay.heading_blank] * 7
            cells += [st.td(v) for v in vals[:6]]
            cells.append(st.td(vals[6]))
            if lay.spacer == "after_total":
                cells.append(st.td(rng.choice(("", "&nbsp;"))))
            cells += trail
            h += st.tr(cells)
        return h

    opened = st.open_table()
    html = opened + header()
    if lay.split_at is None:
        html += render_part(0, len(rows)) + st.close_table(opened)
    else:
        k = max(1, min(lay.split_at, len(rows) - 1))
        quirks.add("t3:split" + ("+header" if lay.split_repeat_header else ""))
        html += render_part(0, k) + st.close_table(opened) + st.page_break()
        opened = st.open_table()
        html += opened + (header() if lay.split_repeat_header else "") + render_part(k, len(rows)) + st.close_table(opened)
    return html, quirks


def _ids(r: _Row):
    col = 0
    out = []
    for _text, span, mid in r.labels:
        if mid is not None:
            out.append((col, mid))
        col += span
    return out


# --------------------------------------------------------------------------- table 2
def t2_table(template: str, printed: dict[str, list[str]], st: CellStyle, rng: random.Random,
             lab=lambda s: s, headings: bool = True) -> str:
    opened = st.open_table()
    tr, td = st.tr, st.td
    p = rng.choice((("（", "）"), ("(", ")")))

    def art(n):
        return tr([td(f"第二十条第{p[0]}{n}{p[1]}项", colspan=4, head=True)]) if headings else ""

    h = opened
    if template == "2021":
        norm = rng.choice(("行政规范性文件", "规范性文件"))
        fee_head = rng.choice(("本年收费金额（单位：万元）", "本年收费金额(单位:万元)", "本年收费金额（万元）"))
        h += art("一")
        h += tr([td("信息内容", head=True)] + [td(lab(x), head=True) for x in ("本年制发件数", "本年废止件数", "现行有效件数")])
        h += tr([td(lab("规章"))] + [td(x) for x in printed["regulations"]])
        h += tr([td(lab(norm))] + [td(x) for x in printed["normative_documents"]])
        h += art("五")
        h += tr([td("信息内容", head=True), td(lab("本年处理决定数量"), colspan=3, head=True)])
        h += tr([td(lab("行政许可")), td(printed["licensing"][0], colspan=3)])
        h += art("六")
        h += tr([td("信息内容", head=True), td(lab("本年处理决定数量"), colspan=3, head=True)])
        h += tr([td(lab("行政处罚")), td(printed["punishment"][0], colspan=3)])
        h += tr([td(lab("行政强制")), td(printed["coercion"][0], colspan=3)])
        h += art("八")
        h += tr([td("信息内容", head=True), td(lab(fee_head), colspan=3, head=True)])
        h += tr([td(lab("行政事业性收费")), td(printed["fees"][0], colspan=3)])
    else:
        h += art("一")
        h += tr([td("信息内容", head=True)] + [td(lab(x), head=True) for x in ("本年新<br>制作数量", "本年新<br>公开数量", "对外公开总数量")])
        h += tr([td(lab("规章"))] + [td(x) for x in printed["regulations"]])
        h += tr([td(lab("规范性文件"))] + [td(x) for x in printed["normative_documents"]])
        h += art("五")
        h += tr([td("信息内容", head=True)] + [td(lab(x), head=True) for x in ("上一年项目数量", "本年增/减", "处理决定数量")])
        h += tr([td(lab("行政许可"))] + [td(x) for x in printed["licensing"]])
        h += tr([td(lab("其他对外管理服务事项"))] + [td(x) for x in printed["other_services"]])
        h += art("六")
        h += tr([td("信息内容", head=True)] + [td(lab(x), head=True) for x in ("上一年项目数量", "本年增/减", "处理决定数量")])
        h += tr([td(lab("行政处罚"))] + [td(x) for x in printed["punishment"]])
        h += tr([td(lab("行政强制"))] + [td(x) for x in printed["coercion"]])
        h += art("八")
        h += tr([td("信息内容", head=True), td(lab("上一年项目数量"), head=True), td(lab("本年增/减"), colspan=2, head=True)])
        h += tr([td(lab("行政事业性收费")), td(printed["fees"][0]), td(printed["fees"][1], colspan=2)])
        h += art("九")
        h += tr([td("信息内容", head=True), td(lab("采购项目数量"), head=True), td(lab("采购总金额"), colspan=2, head=True)])
        h += tr([td(lab("政府集中采购")), td(printed["procurement"][0]), td(printed["procurement"][1], colspan=2)])
    return h + st.close_table(opened)


# --------------------------------------------------------------------------- table 4
T4_LABELS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


def t4_table(header_rows: int, printed: dict[str, list[str]], st: CellStyle, rng: random.Random,
             lab=lambda s: s) -> str:
    from .vocab import T4_GROUPS
    opened = st.open_table()
    tr, td = st.tr, st.td
    br = rng.random() < 0.4  # 结果<br>维持, as narrow columns are typed

    def name(x):
        return lab(x[:2] + "<br>" + x[2:] if br else x)

    h = opened
    if header_rows == 3:
        h += tr([td("行政复议", colspan=5, head=True), td("行政诉讼", colspan=10, head=True)])
        h += tr([td(name(x), rowspan=2, head=True) for x in T4_LABELS]
                + [td(lab("未经复议直接起诉"), colspan=5, head=True), td(lab("复议后起诉"), colspan=5, head=True)])
        h += tr([td(name(x), head=True) for x in T4_LABELS] * 2)
    else:
        h += tr([td("行政复议", colspan=5, head=True), td(lab("行政诉讼（未经复议直接起诉）"), colspan=5, head=True),
                 td(lab("行政诉讼（复议后起诉）"), colspan=5, head=True)])
        h += tr([td(name(x), head=True) for x in T4_LABELS] * 3)
    h += tr([td(x) for g in T4_GROUPS for x in printed[g]])
    return h + st.close_table(opened)
