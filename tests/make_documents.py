"""Build the DOCX / PDF / DOC test documents of tests/test_extract_pdf_docx_doc.py.

One 2021-template report (某某局2021年政府信息公开工作年度报告) described once as data and
written as a DOCX (python-docx, real merged cells) and as a PDF (reportlab, ruled table 3 cut
across two pages the way Word prints it), plus the bad inputs: an encrypted PDF, an image-only
PDF, a zip bomb named .docx, a corrupt PDF. `soffice_convert` turns the DOCX into a .doc.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

TITLE = "某某局2021年政府信息公开工作年度报告"
WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

PARAGRAPHS = [
    "本报告根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求编制。",
    "一、总体情况",
    "2021年,某某局认真贯彻落实《条例》,持续推进决策、执行、管理、服务、结果公开。",
    "二、主动公开政府信息情况",
]

# table 2, template 2021: (cells of each row, merges as (row0, col0, row1, col1))
TABLE2_ROWS = [
    ["第二十条第(一)项", "", "", ""],
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    ["规章", "0", "0", "3"],
    ["行政规范性文件", "5", "1", "27"],
    ["第二十条第(五)项", "", "", ""],
    ["信息内容", "本年处理决定数量", "", ""],
    ["行政许可", "1,203", "", ""],
    ["第二十条第(六)项", "", "", ""],
    ["信息内容", "本年处理决定数量", "", ""],
    ["行政处罚", "56", "", ""],
    ["行政强制", "4", "", ""],
    ["第二十条第(八)项", "", "", ""],
    ["信息内容", "本年收费金额(单位:万元)", "", ""],
    ["行政事业性收费", "251000元", "", ""],
]
TABLE2_MERGES = [(0, 0, 0, 3), (4, 0, 4, 3), (5, 1, 5, 3), (6, 1, 6, 3), (7, 0, 7, 3),
                 (8, 1, 8, 3), (9, 1, 9, 3), (10, 1, 10, 3), (11, 0, 11, 3), (12, 1, 12, 3),
                 (13, 1, 13, 3)]

COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service",
        "other_org", "total"]
# the figures of table 3, per row key: natural person … total ("" = left blank in the source;
# the whole 商业企业 column is blank, and 12 is printed in full-width digits)
T3 = {
    "new_received": ["１２", "", "1", "0", "2", "0", "15"],
    "carried_over": ["3", "", "0", "0", "0", "0", "3"],
    "granted": ["5", "", "1", "0", "0", "0", "6"],
    "partially_granted": ["2", "", "0", "0", "1", "0", "3"],
    "denied_state_secret": ["0", "", "0", "0", "0", "0", "0"],
    "denied_prohibited_by_law": ["0", "", "0", "0", "0", "0", "0"],
    "denied_security_stability": ["0", "", "0", "0", "0", "0", "0"],
    "denied_third_party": ["1", "", "0", "0", "0", "0", "1"],
    "denied_internal_affairs": ["0", "", "0", "0", "0", "0", "0"],
    "denied_process_info": ["1", "", "0", "0", "0", "0", "1"],
    "denied_enforcement_files": ["0", "", "0", "0", "0", "0", "0"],
    "denied_inquiry": ["0", "", "0", "0", "0", "0", "0"],
    "unavailable_not_held": ["3", "", "0", "0", "1", "0", "4"],
    "unavailable_needs_creation": ["0", "", "0", "0", "0", "0", "0"],
    "unavailable_unclear": ["0", "", "0", "0", "0", "0", "0"],
    "rejected_petition": ["0", "", "0", "0", "0", "0", "0"],
    "rejected_repeat": ["1", "", "0", "0", "0", "0", "1"],
    "rejected_publication": ["0", "", "0", "0", "0", "0", "0"],
    "rejected_excessive": ["0", "", "0", "0", "0", "0", "0"],
    "rejected_confirmation": ["0", "", "0", "0", "0", "0", "0"],
    "other_no_correction": ["0", "", "0", "0", "0", "0", "0"],
    "other_fee_unpaid": ["0", "", "0", "0", "0", "0", "0"],
    "other_misc": ["0", "", "0", "0", "0", "0", "0"],
    "total_processed": ["13", "", "1", "0", "2", "0", "16"],
    "carried_forward": ["2", "", "0", "0", "0", "0", "2"],
}
T3_KEYS = list(T3)
NOTE = "本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和"
RESULTS = "三、本年度办理结果"
# labels of the 28 rows of table 3 in its first three grid columns (merged slots repeated
# the way the extractors return them: the vertical label repeats, a colspan gives None)
T3_LABELS = [
    [NOTE, None, None],
    [NOTE, None, None],
    [NOTE, None, None],
    ["一、本年新收政府信息公开申请数量", None, None],
    ["二、上年结转政府信息公开申请数量", None, None],
    [RESULTS, "(一)予以公开", None],
    [RESULTS, "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", None],
    [RESULTS, "(三)不予公开", "1.属于国家秘密"],
    [RESULTS, "(三)不予公开", "2.其他法律行政法规禁止公开"],
    [RESULTS, "(三)不予公开", "3.危及“三安全一稳定”"],
    [RESULTS, "(三)不予公开", "4.保护第三方合法权益"],
    [RESULTS, "(三)不予公开", "5.属于三类内部事务信息"],
    [RESULTS, "(三)不予公开", "6.属于四类过程性信息"],
    [RESULTS, "(三)不予公开", "7.属于行政执法案卷"],
    [RESULTS, "(三)不予公开", "8.属于行政查询事项"],
    [RESULTS, "(四)无法提供", "1.本机关不掌握相关政府信息"],
    [RESULTS, "(四)无法提供", "2.没有现成信息需要另行制作"],
    [RESULTS, "(四)无法提供", "3.补正后申请内容仍不明确"],
    [RESULTS, "(五)不予处理", "1.信访举报投诉类申请"],
    [RESULTS, "(五)不予处理", "2.重复申请"],
    [RESULTS, "(五)不予处理", "3.要求提供公开出版物"],
    [RESULTS, "(五)不予处理", "4.无正当理由大量反复申请"],
    [RESULTS, "(五)不予处理", "5.要求行政机关确认或重新出具已获取信息"],
    [RESULTS, "(六)其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"],
    [RESULTS, "(六)其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"],
    [RESULTS, "(六)其他处理", "3.其他"],
    [RESULTS, "(七)总计", None],
    ["四、结转下年度继续办理", None, None],
]
T3_HEADER_VALUES = [
    ["申请人情况", None, None, None, None, None, None],
    ["自然人", "法人或其他组织", None, None, None, None, "总计"],
    ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
]
PAGE1_ROWS = 15  # grid rows 0..14 (header + 一 … (三)8.) on page 1 of the PDF


def table3_grid() -> list[list]:
    """The exact grid (10 columns × 28 rows) the extractors must return for table 3."""
    grid = []
    for r, labels in enumerate(T3_LABELS):
        values = T3_HEADER_VALUES[r] if r < 3 else T3[T3_KEYS[r - 3]]
        grid.append(list(labels) + list(values))
    return grid


def table3_spans() -> list[tuple[int, int, int, int, str]]:
    """Table 3 as merged cells: (row, col, rowspan, colspan, text), row-major."""
    cells = [(0, 0, 3, 3, NOTE), (0, 3, 1, 7, "申请人情况"), (1, 3, 2, 1, "自然人"),
             (1, 4, 1, 5, "法人或其他组织"), (1, 9, 2, 1, "总计")]
    cells += [(2, 4 + i, 1, 1, t) for i, t in enumerate(["商业企业", "科研机构", "社会公益组织",
                                                           "法律服务机构", "其他"])]
    for r in range(3, 28):
        labels = T3_LABELS[r]
        if r == 5:
            cells.append((5, 0, 22, 1, RESULTS))
        if labels[0] != RESULTS:
            cells.append((r, 0, 1, 3, labels[0]))
        elif labels[2] is None:
            cells.append((r, 1, 1, 2, labels[1]))
        else:
            first = next(i for i in range(5, 28) if T3_LABELS[i][1] == labels[1])
            if first == r:
                n = sum(1 for i in range(5, 28) if T3_LABELS[i][1] == labels[1])
                cells.append((r, 1, n, 1, labels[1]))
            cells.append((r, 2, 1, 1, labels[2]))
        for k, v in enumerate(T3[T3_KEYS[r - 3]]):
            cells.append((r, 3 + k, 1, 1, v))
    return sorted(cells, key=lambda c: (c[0], c[1]))


TABLE4_ROWS = [
    ["行政复议", "", "", "", "", "行政诉讼", "", "", "", "", "", "", "", "", ""],
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "", "", "", "",
     "复议后起诉", "", "", "", ""],
    ["", "", "", "", "", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计",
     "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"],
    ["2", "1", "0", "1", "4", "1", "0", "0", "1", "2", "0", "0", "0", "0", "0"],
]
TABLE4_MERGES = [(0, 0, 0, 4), (0, 5, 0, 14), (1, 0, 2, 0), (1, 1, 2, 1), (1, 2, 2, 2),
                 (1, 3, 2, 3), (1, 4, 2, 4), (1, 5, 1, 9), (1, 10, 1, 14)]

TAIL = ["五、存在的主要问题及改进情况", "一是政策解读形式还不够丰富。", "六、其他需要报告的事项", "无。",
        "某某局", "2022年1月20日"]


# --- DOCX ----------------------------------------------------------------------------------

def _docx_table(doc, rows, merges):
    t = doc.add_table(rows=len(rows), cols=len(rows[0]))
    t.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v:
                t.cell(r, c).text = v
    for r0, c0, r1, c1 in merges:
        keep = t.cell(r0, c0).text
        merged = t.cell(r0, c0).merge(t.cell(r1, c1))
        merged.text = keep  # merge() concatenates the paragraphs of the merged cells
    return t


def make_report_docx() -> bytes:
    import datetime

    import docx

    doc = docx.Document()
    doc.add_heading(TITLE, level=1)
    for p in PARAGRAPHS:
        doc.add_paragraph(p)
    _docx_table(doc, TABLE2_ROWS, TABLE2_MERGES)
    doc.add_paragraph("三、收到和处理政府信息公开申请情况")
    t3 = doc.add_table(rows=28, cols=10)
    t3.style = "Table Grid"
    for r, c, rs, cs, text in table3_spans():
        cell = t3.cell(r, c)
        if rs > 1 or cs > 1:
            cell = cell.merge(t3.cell(r + rs - 1, c + cs - 1))
        cell.text = text
    doc.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    _docx_table(doc, TABLE4_ROWS, TABLE4_MERGES)
    for p in TAIL:
        doc.add_paragraph(p)
    doc.core_properties.title = TITLE
    doc.core_properties.created = datetime.datetime(2022, 1, 20, 9, 30)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- PDF -------------------------------------------------------------------------------------

def _font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", WQY, subfontIndex=0))
    return "WQY"


def _wrap(text, width, font, size):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, cur = [], ""
    for ch in text:
        if stringWidth(cur + ch, font, size) > width and cur:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def _draw_cells(c, cells, x_left, col_w, y_top, row_h, font, size=7):
    """Draw ruled cells: (row, col, rowspan, colspan, text), rows counted from y_top down."""
    xs = [x_left]
    for w in col_w:
        xs.append(xs[-1] + w)
    for r, col, rs, cs, text in cells:
        x0, x1 = xs[col], xs[col + cs]
        y1 = y_top - r * row_h
        y0 = y1 - rs * row_h
        c.rect(x0, y0, x1 - x0, y1 - y0, stroke=1, fill=0)
        lines = _wrap(text, x1 - x0 - 4, font, size) if text else []
        yy = (y0 + y1) / 2 + (len(lines) - 1) * (size + 1) / 2 - size / 3
        for ln in lines:
            c.setFont(font, size)
            c.drawString(x0 + 2, yy, ln)
            yy -= size + 1


def make_report_pdf(repeat_header: bool = False, page2_heading: str = "") -> bytes:
    """Title and prose, then table 3 ruled, rows 一 … (三)8 on page 1 and (四) … 四 on page 2
    (the 三、本年度办理结果 cell continues empty on page 2, as Word prints it), then table 4.
    With `repeat_header` the three header rows are printed again on top of page 2; a
    `page2_heading` is printed above the continuation."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(TITLE)
    w, h = A4
    c.setFont(font, 14)
    c.drawCentredString(w / 2, h - 60, TITLE)
    c.setFont(font, 9)
    y = h - 90
    for p in PARAGRAPHS + ["三、收到和处理政府信息公开申请情况"]:
        c.drawString(50, y, p)
        y -= 16
    col_w = [40, 55, 120, 36, 36, 36, 36, 36, 36, 36]
    row_h = 24
    spans = table3_spans()
    page1, page2 = [], []
    for r, col, rs, cs, text in spans:
        if r < PAGE1_ROWS and r + rs > PAGE1_ROWS:  # the 三、 label cell: cut by the page break
            page1.append((r, col, PAGE1_ROWS - r, cs, text))
            page2.append((0, col, r + rs - PAGE1_ROWS, cs, ""))
        elif r < PAGE1_ROWS:
            page1.append((r, col, rs, cs, text))
        else:
            page2.append((r - PAGE1_ROWS, col, rs, cs, text))
    if repeat_header:
        page2 = [(r + 3, col, rs, cs, text) for r, col, rs, cs, text in page2]
        page2 += [cell for cell in page1 if cell[0] < 3]
    _draw_cells(c, page1, 40, col_w, y - 4, row_h, font)
    c.setFont(font, 9)
    c.drawCentredString(w / 2, 30, "- 1 -")
    c.showPage()
    top = h - 50
    if page2_heading:
        c.setFont(font, 9)
        c.drawString(50, top - 10, page2_heading)
        top -= 30
    _draw_cells(c, page2, 40, col_w, top, row_h, font)
    y = top - (28 - PAGE1_ROWS + (3 if repeat_header else 0)) * row_h - 30
    c.setFont(font, 9)
    c.drawString(50, y, "四、政府信息公开行政复议、行政诉讼情况")
    t4 = []
    covered = set()
    for r0, c0, r1, c1 in TABLE4_MERGES:
        t4.append((r0, c0, r1 - r0 + 1, c1 - c0 + 1, TABLE4_ROWS[r0][c0]))
        covered |= {(r, k) for r in range(r0, r1 + 1) for k in range(c0, c1 + 1)}
    for r, row in enumerate(TABLE4_ROWS):
        for k, v in enumerate(row):
            if (r, k) not in covered:
                t4.append((r, k, 1, 1, v))
    _draw_cells(c, t4, 40, [34] * 15, y - 10, 28, font)
    y = y - 10 - 4 * 28 - 24
    for p in TAIL:
        c.drawString(50, y, p)
        y -= 16
    c.drawCentredString(w / 2, 30, "- 2 -")
    c.showPage()
    c.save()
    return buf.getvalue()


def make_image_only_pdf() -> bytes:
    """A 'scanned' page: an embedded image and drawn shapes, no text at all."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = Image.new("RGB", (200, 100), (255, 255, 255))
    for x in range(20, 180):
        img.putpixel((x, 50), (0, 0, 0))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawImage(ImageReader(img), 50, 500, width=400, height=200)
    c.rect(50, 100, 300, 200)
    c.line(50, 200, 350, 200)
    c.showPage()
    c.save()
    return buf.getvalue()


def make_encrypted_pdf(plain: bytes, password: str = "secret") -> bytes:
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(plain)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user=password, owner=password + "-owner"))
    return out.getvalue()


def make_zip_bomb(path: Path, mib: int = 300) -> bytes:
    """A .docx-named zip whose word/document.xml inflates to `mib` MiB of zeros (~300 KB packed)."""
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as f:
            for _ in range(mib):
                f.write(chunk)
    return path.read_bytes()


# --- DOC -------------------------------------------------------------------------------------

def soffice_convert(data: bytes, src_ext: str, target: str, timeout: int = 120) -> bytes:
    """Convert with LibreOffice headless (private profile), e.g. docx → doc."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise RuntimeError("soffice not installed")
    with tempfile.TemporaryDirectory(prefix="nianbao-test-lo-") as tmp:
        src = Path(tmp) / f"report.{src_ext}"
        src.write_bytes(data)
        out = Path(tmp) / "out"
        subprocess.run([exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                        "--norestore", "--convert-to", target, "--outdir", str(out), str(src)],
                       check=True, capture_output=True, timeout=timeout,
                       env={**os.environ, "HOME": tmp})
        return (out / f"report.{target.split(':')[0]}").read_bytes()


BORDERLESS_ROWS = [
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3,
    ["2", "1", "0", "1", "4", "1", "0", "0", "1", "2", "0", "0", "0", "0", "0"],
    ["3", "0", "1", "0", "4", "0", "1", "0", "0", "1", "1", "0", "0", "0", "1"],
    ["5", "1", "1", "1", "8", "1", "1", "0", "1", "3", "1", "0", "0", "0", "1"],
]


def make_borderless_pdf() -> bytes:
    """Table 4 printed without any ruling lines: columns aligned by position only."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    w, h = A4
    c.setFont(font, 9)
    c.drawString(50, h - 60, TITLE)
    c.drawString(50, h - 80, "四、政府信息公开行政复议、行政诉讼情况")
    rows = BORDERLESS_ROWS
    y = h - 110
    c.setFont(font, 6)
    for row in rows:
        for k, v in enumerate(row):
            c.drawString(30 + k * 36, y, v)
        y -= 18
    c.setFont(font, 9)
    c.drawString(50, y - 20, "五、存在的主要问题及改进情况")
    c.showPage()
    c.save()
    return buf.getvalue()


def make_tricky_docx() -> bytes:
    """Word structures beyond plain merges: Chinese automatic numbering (一、 / (一)), a
    one-column layout box holding text and a table, a table nested in a cell, a row starting
    with w:gridBefore, text in a content control (w:sdt)."""
    import copy

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    doc = docx.Document()
    numbering = doc.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="(%2)"/></w:lvl></w:abstractNum>'))
    numbering.append(parse_xml(
        f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text, ilvl):
        p = doc.add_paragraph(text)
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="90"/></w:numPr>'))

    doc.add_paragraph("某某街道2020年政府信息公开工作年度报告")
    numbered("总体情况", 0)
    numbered("主动公开情况", 1)
    numbered("依申请公开情况", 1)
    numbered("主动公开政府信息情况", 0)

    box = doc.add_table(rows=1, cols=1)  # a layout box
    cell = box.cell(0, 0)
    cell.paragraphs[0].text = "框内的说明文字"
    inner = cell.add_table(rows=2, cols=3)
    for r, row in enumerate([["信息内容", "本年新制作数量", "本年新公开数量"], ["规章", "2", "3"]]):
        for k, v in enumerate(row):
            inner.cell(r, k).text = v

    outer = doc.add_table(rows=3, cols=3)
    for r, row in enumerate([["项目", "说明", "数量"], ["甲", "", "7"], ["乙", "见右", "8"]]):
        for k, v in enumerate(row):
            outer.cell(r, k).text = v
    nested = outer.cell(1, 1).add_table(rows=1, cols=2)
    nested.cell(0, 0).text = "子项一"
    nested.cell(0, 1).text = "子项二"
    # row 2 starts one grid column in: <w:gridBefore w:val="1"/> and its first cell removed
    tr = outer.rows[2]._tr
    trpr = tr.get_or_add_trPr()
    trpr.append(parse_xml(f'<w:gridBefore {nsdecls("w")} w:val="1"/>'))
    tr.remove(tr.tc_lst[0])

    p = doc.add_paragraph("控件外")
    sdt = parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtPr/><w:sdtContent/></w:sdt>')
    sdt_p = copy.deepcopy(p._p)
    for t in sdt_p.iter(qn("w:t")):
        t.text = "控件里的日期2021年1月28日"
    sdt[1].append(sdt_p)
    p._p.addnext(sdt)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
