"""Rows and columns as real reports mangle them still land on the right keys, every cell.

Each story below is a case met on material nobody had seen (issue 9): a DOCX whose table-3
header cells are not merged, a flattened "三、本年度办理结果（六）其他处理3.其他" label, a label
with a character dropped, a label cut by a PDF page break, a 2021 report printing （六） as one
row, table-2 cells carrying notes. The printed figures are decided here as data; each document
is written from them, parsed, and every cell of tables 2–4 compared.
"""
from __future__ import annotations

import io

import pytest

import parsers
from parsers.tables.templates import T3_COLUMNS, T4_FIELDS, T4_GROUPS, t3_row_keys

LABELS = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "三、本年度办理结果（一）予以公开",
    "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "denied_state_secret": "（三）不予公开1.属于国家秘密",
    "denied_prohibited_by_law": "2.其他法律行政法规禁止公开",
    "denied_security_stability": "3.危及“三安全一稳定”",
    "denied_third_party": "4.保护第三方合法权益",
    "denied_internal_affairs": "5.属于三类内部事务信息",
    "denied_process_info": "6.属于四类过程性信息",
    "denied_enforcement_files": "7.属于行政执法案卷",
    "denied_inquiry": "8.属于行政查询事项",
    "unavailable_not_held": "（四）无法提供1.本机关不掌握相关政府信息",
    "unavailable_needs_creation": "2.没有现成信息需要另行制作",
    "unavailable_unclear": "3.补正后申请内容仍不明确",
    "rejected_petition": "（五）不予处理1.信访举报投诉类申请",
    "rejected_repeat": "2.重复申请",
    "rejected_publication": "3.要求提供公开出版物",
    "rejected_excessive": "4.无正当理由大量反复申请",
    "rejected_confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other_handling": "（六）其他处理",
    "other_no_correction": "（六）其他处理1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_fee_unpaid": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_misc": "3.其他",
    "total_processed": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}


def figures(template: str, other_as_one_row: bool = False) -> dict[str, list]:
    """Table 3 whose rows and columns add up: 705 applications from 科研机构's neighbours."""
    keys = list(t3_row_keys(template))
    if other_as_one_row and template == "2021":
        keys = [k for k in keys if not k.startswith("other_")]
        keys.insert(keys.index("total_processed"), "other_handling")
    rows = {k: [0] * 6 for k in keys}
    rows["new_received"] = [700, 3, 0, 1, 0, 1]
    rows["carried_over"] = [4, 0, 0, 0, 1, 0]
    rows["granted"] = [500, 2, 0, 1, 0, 0]
    rows["partially_granted"] = [100, 0, 0, 0, 1, 0]
    rows["denied_third_party"] = [20, 0, 0, 0, 0, 0]
    rows["unavailable_not_held"] = [50, 1, 0, 0, 0, 0]
    other = "other_handling" if "other_handling" in keys else "other_misc"
    rows[other] = [30, 0, 0, 0, 0, 1]
    rows["total_processed"] = [700, 3, 0, 1, 1, 1]
    rows["carried_forward"] = [4, 0, 0, 0, 0, 0]
    return {k: v + [sum(v)] for k, v in rows.items()}


T4 = [[2, 1, 0, 0, 3], [0, 0, 0, 0, 0], [1, 0, 0, 1, 2]]


def expected_t3(rows: dict[str, list]) -> dict:
    return {k: dict(zip(T3_COLUMNS, v)) for k, v in rows.items()}


def expected_t4() -> dict:
    return {g: dict(zip(T4_FIELDS, v)) for g, v in zip(T4_GROUPS, T4)}


def text_report(year: int, t2_rows: list[str], t3_rows: list[str]) -> bytes:
    """A report as a machine-made text copy of a portal page (pipe rows, as trafilatura writes)."""
    lines = [f"某某县交通运输局{year}年政府信息公开工作年度报告", "一、总体情况",
             f"{year}年，某某县交通运输局认真贯彻落实《条例》。", "二、主动公开政府信息情况"]
    lines += t2_rows + ["三、收到和处理政府信息公开申请情况",
                        "| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况 |",
                        "| 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |"]
    lines += t3_rows + ["四、政府信息公开行政复议、行政诉讼情况",
                        "| 行政复议 | 行政诉讼 |",
                        "| " + " | ".join(str(v) for g in T4 for v in g) + " |",
                        "五、存在的主要问题及改进情况", "无。", "六、其他需要报告的事项", "无。"]
    return "\n".join(lines).encode("utf-8")


def pipe(label: str, values: list) -> str:
    return "| " + label + " | " + " | ".join("" if v is None else str(v) for v in values) + " |"


T2_2021 = [
    "| 第二十条第（一）项 |", "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
    "| 规章 | 0 | 0 | 0 |", "| 行政规范性文件 | 22（其中修订16件） | 3 | 41（含转发5件） |",
    "| 第二十条第（五）项 |", "| 信息内容 | 本年处理决定数量 |", "| 行政许可 | 1,204 |",
    "| 第二十条第（六）项 |", "| 行政处罚 | 57 |", "| 行政强制 | 0 |",
    "| 第二十条第（八）项 |", "| 信息内容 | 本年收费金额（单位：万元） |", "| 行政事业性收费 | 0 |",
]
T2_2021_EXPECTED = {
    "regulations": {"made": 0, "repealed": 0, "in_force": 0},
    "normative_documents": {"made": 22, "repealed": 3, "in_force": 41},
    "licensing": {"decisions": 1204}, "punishment": {"decisions": 57}, "coercion": {"decisions": 0},
    "fees": {"amount": 0},
}


def test_flattened_group_label_typo_and_cell_notes_in_a_text_copy():
    rows = figures("2021")
    labels = dict(LABELS)
    # what a PDF-to-text tool and a hurried typist made of three labels
    labels["other_misc"] = "三、本年度办理结果（六）其他处理3.其他"
    labels["denied_state_secret"] = "（三）不予公开1.属于国家密"  # 秘 dropped
    labels["unavailable_unclear"] = "3.补正申请内容仍不明"  # 后 and 确 dropped
    labels["rejected_repeat"] = "2.重复申申请"  # 申 doubled
    t3 = [pipe(labels[k], v) for k, v in rows.items()]
    report = parsers.parse_bytes(text_report(2021, T2_2021, t3), "file:///jt/2021.txt")
    assert report.template == "2021"
    assert report.table2 == T2_2021_EXPECTED
    assert report.table3 == expected_t3(rows)
    assert report.table4 == expected_t4()
    assert all(c.ok for c in report.checks)
    # the notes printed inside the cells are kept beside the figures, not lost
    assert any("其中修订16件" in n for n in report.notes)
    assert any("含转发5件" in n for n in report.notes)
    assert not report.needs_review, report.doubts


def test_2021_report_printing_other_handling_as_one_row():
    rows = figures("2021", other_as_one_row=True)
    t3 = [pipe(LABELS[k], v) for k, v in rows.items()]
    report = parsers.parse_bytes(text_report(2022, T2_2021, t3), "file:///jt/2022.txt")
    assert report.template == "2021"
    assert report.table3 == expected_t3(rows)
    assert report.table3["other_handling"]["total"] == 31
    assert "other_misc" not in report.table3
    assert all(c.ok for c in report.checks) and not report.needs_review


def test_missing_row_and_weak_label_are_said_not_guessed():
    rows = figures("2021")
    del rows["rejected_publication"]  # not printed at all
    labels = dict(LABELS, rejected_excessive="4.无理由大量申请")  # too little left to be sure
    t3 = [pipe(labels[k], v) for k, v in rows.items()]
    report = parsers.parse_bytes(text_report(2021, T2_2021, t3), "file:///jt/2021b.txt")
    assert report.table3["rejected_publication"] == {c: None for c in T3_COLUMNS}
    assert report.table3["rejected_excessive"] == dict(zip(T3_COLUMNS, rows["rejected_excessive"]))
    assert "table3.rejected_publication: row not found" in report.notes
    assert [(d.kind, d.where) for d in report.doubts] == [("row_uncertain", "table3.rejected_excessive")]
    assert report.needs_review


# --- DOCX whose header cells are not merged ---------------------------------------------------------

def unmerged_docx(rows: dict[str, list]) -> bytes:
    """Table 3 as some Word users build it: no merged cell at all. Two header rows (自然人,
    法人或其他组织, 总计 on the first; the five kinds of organisation on the second) with blank
    cells over the three label columns; each row's label in the first label cell only."""
    import docx

    d = docx.Document()
    d.add_paragraph("某某县自然资源局2021年政府信息公开工作年度报告")
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    grid = [["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"],
            ["", "", "", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]]
    for key, values in rows.items():
        grid.append([LABELS[key], "", ""] + [str(v) for v in values])
    t = d.add_table(rows=len(grid), cols=10)
    t.style = "Table Grid"
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    t4 = d.add_table(rows=3, cols=15)
    t4.style = "Table Grid"
    heads = ["行政复议"] + [""] * 4 + ["行政诉讼"] + [""] * 9
    names = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    for c in range(15):
        t4.cell(0, c).text = heads[c]
        t4.cell(1, c).text = names[c]
        t4.cell(2, c).text = str(T4[c // 5][c % 5])
    d.add_paragraph("五、存在的主要问题及改进情况")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_with_unmerged_two_row_header_keeps_applicant_columns():
    rows = figures("2021")
    report = parsers.parse_bytes(unmerged_docx(rows), "file:///zrzy/2021.docx")
    assert report.format == "docx"
    assert report.table3["new_received"] == {"natural_person": 700, "commercial": 3, "research": 0,
                                             "social_welfare": 1, "legal_service": 0, "other_org": 1,
                                             "total": 705}
    assert report.table3 == expected_t3(rows)
    assert report.table4 == expected_t4()
    assert all(c.ok for c in report.checks) and not report.needs_review


def test_docx_without_a_readable_header_is_read_by_the_arithmetic():
    """Header words lost (a scanned header pasted as a picture): the two blank label slots
    in front of each row's figures are told apart from figures by where the rows add up."""
    rows = figures("2021")
    data = unmerged_docx(rows)
    import docx

    d = docx.Document(io.BytesIO(data))
    for r in range(2):
        for cell in d.tables[0].rows[r].cells:
            cell.text = ""
    buf = io.BytesIO()
    d.save(buf)
    report = parsers.parse_bytes(buf.getvalue(), "file:///zrzy/2021-noheader.docx")
    assert report.table3 == expected_t3(rows)
    assert all(c.ok for c in report.checks) and not report.needs_review


# --- PDF with a label cut by the page break -----------------------------------------------------------

def cut_label_pdf(rows: dict[str, list], cut_key: str, head: str, tail: str) -> bytes:
    """Table 3 ruled over two pages; the row `cut_key` breaks across them: `head` of its label
    alone at the foot of page 1, `tail` with the row's figures at the top of page 2."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from make_documents import _draw_cells, _font

    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    w, h = A4
    c.setFont(font, 12)
    c.drawCentredString(w / 2, h - 50, "某某县自然资源局2021年政府信息公开工作年度报告")
    c.setFont(font, 9)
    c.drawString(50, h - 75, "三、收到和处理政府信息公开申请情况")
    col_w = [180] + [40] * 7
    header = [(0, 0, 1, 1, ""), *[(0, 1 + i, 1, 1, n) for i, n in enumerate(
        ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"])]]
    keys = list(rows)
    cut = keys.index(cut_key)

    def row_cells(r, label, values):
        return [(r, 0, 1, 1, label)] + [(r, 1 + i, 1, 1, "" if v is None else str(v)) for i, v in enumerate(values)]

    page1 = list(header)
    for r, k in enumerate(keys[:cut], start=1):
        page1 += row_cells(r, LABELS[k], rows[k])
    page1 += row_cells(cut + 1, head, [None] * 7)
    _draw_cells(c, page1, 30, col_w, h - 85, 22, font, size=6)
    c.drawCentredString(w / 2, 30, "- 1 -")
    c.showPage()
    page2 = row_cells(0, tail, rows[cut_key])
    for r, k in enumerate(keys[cut + 1:], start=1):
        page2 += row_cells(r, LABELS[k], rows[k])
    _draw_cells(c, page2, 30, col_w, h - 50, 22, font, size=6)
    y = h - 50 - (len(keys) - cut) * 22 - 30
    c.setFont(font, 9)
    c.drawString(50, y, "四、政府信息公开行政复议、行政诉讼情况")
    t4 = [(0, i, 1, 1, n) for i, n in enumerate(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3)]
    t4 += [(1, i, 1, 1, str(T4[i // 5][i % 5])) for i in range(15)]
    _draw_cells(c, t4, 30, [34] * 15, y - 10, 22, font, size=6)
    c.drawString(50, y - 70, "五、存在的主要问题及改进情况")
    c.drawCentredString(w / 2, 30, "- 2 -")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("cut_key,head,tail", [
    ("denied_third_party", "4.保护第三", "方合法权益"),
    ("unavailable_needs_creation", "2.没有现成信息需", "要另行制作"),
])
def test_label_cut_across_a_pdf_page_break(cut_key, head, tail):
    rows = figures("2021")
    report = parsers.parse_bytes(cut_label_pdf(rows, cut_key, head, tail), "file:///zrzy/2021.pdf")
    assert report.format == "pdf"
    assert report.table3 == expected_t3(rows)
    assert report.table4 == expected_t4()
    assert all(c.ok for c in report.checks) and not report.needs_review


# --- PDF without rules: tables read from the text layer -------------------------------------------------

def unruled_pdf(rows: dict[str, list]) -> bytes:
    """A report whose tables were typeset without rules (as some WPS exports are): each row is
    a line of text, label then figures separated by spaces; table 4 is one line of fifteen
    figures, most of them 0."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from make_documents import _font

    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    w, h = A4
    y = h - 50

    def line(text, size=8):
        nonlocal y
        c.setFont(font, size)
        c.drawString(40, y, text)
        y -= size + 5

    line("某某县自然资源局2021年政府信息公开工作年度报告", 12)
    line("二、主动公开政府信息情况")
    line("信息内容 本年制发件数 本年废止件数 现行有效件数")
    line("规章 0 0 0")
    line("行政规范性文件 4 1 17")
    line("行政许可 1,204")
    line("行政处罚 57")
    line("行政强制 0")
    line("行政事业性收费 0")
    line("三、收到和处理政府信息公开申请情况")
    line("自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计")
    for key, values in rows.items():
        line(LABELS[key] + " " + " ".join(str(v) for v in values), 6)
    line("四、政府信息公开行政复议、行政诉讼情况")
    line("结果维持 结果纠正 其他结果 尚未审结 总计 " * 3, 6)
    line(" ".join(str(v) for g in T4 for v in g))
    line("五、存在的主要问题及改进情况")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_without_rules_keeps_every_printed_zero():
    rows = figures("2021")
    report = parsers.parse_bytes(unruled_pdf(rows), "file:///zrzy/2021-unruled.pdf")
    assert report.table2 == {
        "regulations": {"made": 0, "repealed": 0, "in_force": 0},
        "normative_documents": {"made": 4, "repealed": 1, "in_force": 17},
        "licensing": {"decisions": 1204}, "punishment": {"decisions": 57}, "coercion": {"decisions": 0},
        "fees": {"amount": 0}}
    assert report.table3 == expected_t3(rows)
    assert report.table4 == expected_t4()
    assert report.table4["litigation_direct"] == {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0}
    assert all(c.ok for c in report.checks) and not report.needs_review
