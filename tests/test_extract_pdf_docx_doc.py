"""The document extractors (parsers/extract/pdf.py, docx.py, doc.py) on generated documents,
and the whole parser on them end to end. Documents are built by tests/make_documents.py."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_documents as md  # noqa: E402
from parsers.extract import doc as doc_mod  # noqa: E402
from parsers.extract.doc import extract_doc  # noqa: E402
from parsers.extract.docx import extract_docx  # noqa: E402
from parsers.extract.pdf import extract_pdf  # noqa: E402
from parsers.model import ParseError  # noqa: E402

HAVE_SOFFICE = bool(shutil.which("soffice") or shutil.which("libreoffice"))
HAVE_ANTIWORD = bool(shutil.which("antiword"))
T3 = md.table3_grid()


@pytest.fixture(scope="module")
def report_docx() -> bytes:
    return md.make_report_docx()


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return md.make_report_pdf()


@pytest.fixture(scope="module")
def report_doc(report_docx) -> bytes:
    if not HAVE_SOFFICE:
        pytest.fail("LibreOffice (soffice) is not installed (scripts/setup.sh installs it): cannot make a .doc")
    return md.soffice_convert(report_docx, "docx", "doc")


def _row(grid, label):
    """The grid row whose last label slot holds `label`."""
    for row in grid:
        labels = [c for c in row[:3] if c]
        if labels and labels[-1] == label:
            return row
    raise AssertionError(f"no row {label!r}")


# --- DOCX ---------------------------------------------------------------------------------------

def test_docx_document_fields(report_docx):
    d = extract_docx(report_docx, "http://127.0.0.1/report.docx")
    assert d.format == "docx"
    assert d.url == "http://127.0.0.1/report.docx"
    assert d.title_hint == md.TITLE
    assert d.meta == {"title": md.TITLE, "pubdate": "2022-01-20", "created": "2022-01-20"}
    assert d.raw_text == d.text
    assert len(d.tables) == 3


def test_docx_text_keeps_paragraphs_and_tables_in_order(report_docx):
    text = extract_docx(report_docx, "u").text
    lines = text.split("\n")
    assert lines[0] == md.TITLE
    order = [md.PARAGRAPHS[1], "规章 | 0 | 0 | 3", "三、收到和处理政府信息公开申请情况",
             "一、本年新收政府信息公开申请数量 | １２ |  | 1 | 0 | 2 | 0 | 15",
             "(七)总计 | 13 |  | 1 | 0 | 2 | 0 | 16", "四、政府信息公开行政复议、行政诉讼情况",
             "2 | 1 | 0 | 1 | 4 | 1 | 0 | 0 | 1 | 2 | 0 | 0 | 0 | 0 | 0", "2022年1月20日"]
    positions = [lines.index(x) for x in order]
    assert positions == sorted(positions)
    # a vertically merged label is written once, in the row where it starts
    assert "三、本年度办理结果 | (一)予以公开 | 5 |  | 1 | 0 | 0 | 0 | 6" in lines
    assert "(二)部分公开(区分处理的,只计这一情形,不计其他情形) | 2 |  | 0 | 0 | 1 | 0 | 3" in lines


def test_docx_table3_exact_grid(report_docx):
    grid = extract_docx(report_docx, "u").tables[1]
    assert len(grid) == 28 and all(len(r) == 10 for r in grid)
    assert grid == T3
    # two-level header: 申请人情况 spans 7 slots, 法人或其他组织 spans 5
    assert grid[0][3:] == ["申请人情况", None, None, None, None, None, None]
    assert grid[1][3:] == ["自然人", "法人或其他组织", None, None, None, None, "总计"]
    assert grid[2][3:] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    # full-width digits kept as printed; the blank 商业企业 column is "" (not None)
    assert grid[3] == ["一、本年新收政府信息公开申请数量", None, None, "１２", "", "1", "0", "2", "0", "15"]
    # vertical merges repeat downward: 三、 over all result rows, (三)不予公开 over its 8 rows
    assert [r[0] for r in grid[5:27]] == ["三、本年度办理结果"] * 22
    assert [r[1] for r in grid[7:15]] == ["(三)不予公开"] * 8
    assert grid[14] == ["三、本年度办理结果", "(三)不予公开", "8.属于行政查询事项",
                        "0", "", "0", "0", "0", "0", "0"]
    assert _row(grid, "(七)总计") == ["三、本年度办理结果", "(七)总计", None,
                                     "13", "", "1", "0", "2", "0", "16"]
    assert grid[27] == ["四、结转下年度继续办理", None, None, "2", "", "0", "0", "0", "0", "2"]


def test_docx_table2_and_table4_grids(report_docx):
    t2, _, t4 = extract_docx(report_docx, "u").tables
    assert t2[0] == ["第二十条第(一)项", None, None, None]
    assert t2[3] == ["行政规范性文件", "5", "1", "27"]
    assert t2[6] == ["行政许可", "1,203", None, None]
    assert t2[12] == ["信息内容", "本年收费金额(单位:万元)", None, None]
    assert t2[13] == ["行政事业性收费", "251000元", None, None]
    assert t4[0] == ["行政复议"] + [None] * 4 + ["行政诉讼"] + [None] * 9
    assert t4[1] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计",
                     "未经复议直接起诉", None, None, None, None, "复议后起诉", None, None, None, None]
    assert t4[2] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    assert t4[3] == md.TABLE4_ROWS[3]


def test_docx_numbering_layout_box_nested_table_grid_before_and_sdt():
    d = extract_docx(md.make_tricky_docx(), "u")
    lines = [ln for ln in d.text.split("\n") if ln.strip()]
    assert lines[:5] == ["某某街道2020年政府信息公开工作年度报告", "一、总体情况", "(一)主动公开情况",
                         "(二)依申请公开情况", "二、主动公开政府信息情况"]
    # the one-column box is read as body: its text in the text, its inner table a table
    assert "框内的说明文字" in lines
    assert d.tables[0] == [["信息内容", "本年新制作数量", "本年新公开数量"], ["规章", "2", "3"]]
    # a table nested in a real table: its text in the outer cell, and a grid of its own after
    assert d.tables[1] == [["项目", "说明", "数量"], ["甲", "子项一 子项二", "7"], ["", "见右", "8"]]
    assert d.tables[2] == [["子项一", "子项二"]]
    assert "甲 | 子项一 子项二 | 7" in lines
    assert "控件里的日期2021年1月28日" in lines
    assert d.meta == {}  # python-docx's template date (2013-12-23) is not the report's date
    assert d.title_hint == "某某街道2020年政府信息公开工作年度报告"


def test_docx_zip_bomb_refused(tmp_path):
    bomb = md.make_zip_bomb(tmp_path / "report.docx", mib=300)
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(ParseError) as e:
        extract_docx(bomb, str(tmp_path / "report.docx"))
    assert str(e.value) == "refused: DOCX expands to 300 MB (zip bomb?)"


def test_docx_ratio_bomb_refused(tmp_path):
    # 20 MB is under the size cap, but 20 MB of zeros packs 1000:1
    bomb = md.make_zip_bomb(tmp_path / "small.docx", mib=20)
    with pytest.raises(ParseError) as e:
        extract_docx(bomb, "u")
    assert str(e.value) == "refused: DOCX expands to 20 MB (zip bomb?)"


@pytest.mark.parametrize("data, message", [
    (b"PK\x03\x04 cut short", "corrupt DOCX: File is not a zip file"),
    (b"this is not a zip file at all", "corrupt DOCX: File is not a zip file"),
])
def test_docx_corrupt(data, message):
    with pytest.raises(ParseError) as e:
        extract_docx(data, "u")
    assert str(e.value) == message


def test_docx_truncated_and_not_word(report_docx, tmp_path):
    with pytest.raises(ParseError) as e:
        extract_docx(report_docx[: len(report_docx) // 2], "u")
    assert str(e.value) == "corrupt DOCX: File is not a zip file"
    import zipfile

    other = tmp_path / "x.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ParseError) as e:
        extract_docx(other.read_bytes(), "u")
    assert str(e.value) == "corrupt DOCX: no [Content_Types].xml (not an Office document)"


def test_docx_encrypted_ooxml_container():
    # what Word writes for a password-protected .docx: an OLE file with an EncryptedPackage
    fake = md_ole_with_stream_name("EncryptedPackage")
    with pytest.raises(ParseError) as e:
        extract_docx(fake, "u")
    assert str(e.value) == "encrypted DOCX (password protected)"


def md_ole_with_stream_name(name: str) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + name.encode("utf-16-le") + b"\0" * 512


# --- PDF ------------------------------------------------------------------------------------------

def test_pdf_document_fields(report_pdf):
    d = extract_pdf(report_pdf, "http://127.0.0.1/r.pdf")
    assert d.format == "pdf"
    assert d.title_hint == md.TITLE
    assert d.meta["title"] == md.TITLE
    assert d.meta["pages"] == "2"
    lines = d.text.split("\n")
    assert lines[0] == md.TITLE
    # page 1 before page 2, both pages' text present
    assert lines.index("- 1 -") < lines.index("四、政府信息公开行政复议、行政诉讼情况") < lines.index("- 2 -")
    assert "一、本年新收政府信息公开申请数量 １２ 1 0 2 0 15" in lines
    assert d.raw_text == d.text


def test_pdf_table3_across_two_pages_is_one_grid(report_pdf):
    tables = extract_pdf(report_pdf, "u").tables
    assert len(tables) == 2  # table 3 (joined across the page break) and table 4
    grid = tables[0]
    assert len(grid) == 28 and all(len(r) == 10 for r in grid)
    assert grid == T3
    # page 1 ends with (三)8, page 2 starts with (四)1: the 三、 label cell, blank on page 2,
    # continues the label from page 1
    assert grid[md.PAGE1_ROWS - 1][:3] == ["三、本年度办理结果", "(三)不予公开", "8.属于行政查询事项"]
    assert grid[md.PAGE1_ROWS] == ["三、本年度办理结果", "(四)无法提供", "1.本机关不掌握相关政府信息",
                                   "3", "", "0", "0", "1", "0", "4"]
    assert grid[3][3:] == ["１２", "", "1", "0", "2", "0", "15"]
    assert tables[1][2] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    assert tables[1][3] == md.TABLE4_ROWS[3]
    assert tables[1][0] == ["行政复议"] + [None] * 4 + ["行政诉讼"] + [None] * 9


def test_pdf_repeated_header_and_continuation_note_are_joined():
    for pdf in (md.make_report_pdf(repeat_header=True), md.make_report_pdf(page2_heading="续表")):
        tables = extract_pdf(pdf, "u").tables
        assert [len(t) for t in tables] == [28, 4]
        assert tables[0] == T3


def test_pdf_table_after_a_heading_is_not_joined():
    tables = extract_pdf(md.make_report_pdf(page2_heading="表二 另一张表"), "u").tables
    assert [len(t) for t in tables] == [md.PAGE1_ROWS, 28 - md.PAGE1_ROWS, 4]
    assert tables[0] + tables[1] != T3
    assert tables[0] == T3[: md.PAGE1_ROWS]
    assert tables[1][0] == ["", "(四)无法提供", "1.本机关不掌握相关政府信息", "3", "", "0", "0", "1", "0", "4"]
    assert [r[3:] for r in tables[1]] == [r[3:] for r in T3[md.PAGE1_ROWS:]]


def test_pdf_borderless_table_from_text_positions():
    d = extract_pdf(md.make_borderless_pdf(), "u")
    assert d.tables == [md.BORDERLESS_ROWS]


def test_pdf_prose_only_has_no_tables():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    import io

    font = md._font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont(font, 10)
    y = 800
    for line in [md.TITLE, "2021年共收到申请 15 件,办结 13 件,结转 2 件。", "主动公开 3 类 27 件文件。",
                 "一、总体情况", "本年度 共 办理 12 件 其中 5 件 予以公开"]:
        c.drawString(50, y, line)
        y -= 20
    c.showPage()
    c.save()
    d = extract_pdf(buf.getvalue(), "u")
    assert d.tables == []
    assert d.text.split("\n")[0] == md.TITLE


def test_pdf_encrypted(report_pdf):
    with pytest.raises(ParseError) as e:
        extract_pdf(md.make_encrypted_pdf(report_pdf), "u")
    assert str(e.value) == "encrypted PDF (password protected)"


def test_pdf_with_owner_password_only_is_read(report_pdf):
    # permissions-restricted PDFs (no copying/printing) open without a password: not refused
    import io

    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(report_pdf)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(
            user="", owner="owner", allow=pikepdf.Permissions(extract=False)))
    assert extract_pdf(out.getvalue(), "u").tables[0] == T3


def test_pdf_image_only_needs_ocr():
    with pytest.raises(ParseError) as e:
        extract_pdf(md.make_image_only_pdf(), "u")
    assert str(e.value) == "PDF has no text layer: needs OCR"


@pytest.mark.parametrize("make, message", [
    (lambda pdf: b"", "corrupt PDF: empty file"),
    (lambda pdf: b"<html><body>not found</body></html>", "corrupt PDF: no %PDF header"),
    (lambda pdf: pdf[: len(pdf) // 3],
     "corrupt PDF: unable to find trailer dictionary while recovering damaged file"),
    (lambda pdf: b"%PDF-1.4\n" + bytes(range(256)) * 20,
     "corrupt PDF: unable to find trailer dictionary while recovering damaged file"),
])
def test_pdf_corrupt(report_pdf, make, message):
    with pytest.raises(ParseError) as e:
        extract_pdf(make(report_pdf), "u")
    assert str(e.value) == message


def test_pdf_missing_tail_is_repaired(report_pdf):
    # a download cut just before the trailer: qpdf rebuilds it, nothing is lost
    d = extract_pdf(report_pdf[:-200], "u")
    assert d.tables[0] == T3


@pytest.fixture(scope="module")
def office_pdf(report_docx) -> bytes:
    if not HAVE_SOFFICE:
        pytest.fail("LibreOffice (soffice) is not installed (scripts/setup.sh installs it): cannot print to PDF")
    return md.soffice_convert(report_docx, "docx", "pdf")


def test_pdf_printed_by_an_office_suite(office_pdf):
    """The DOCX printed to PDF by LibreOffice, as portals publish them: table 3 runs over
    several pages with no page furniture, and rows are allowed to break across pages, so a
    label is cut in two ("2.其他法律行政法" | "规禁止公开") and its rest opens the next page
    in a row without figures. The pieces come back as the one exact grid."""
    d = extract_pdf(office_pdf, "u")
    assert int(d.meta["pages"]) >= 2
    assert d.title_hint == md.TITLE
    t3 = [t for t in d.tables if len(t[0]) == 10]
    assert t3 == [T3]
    assert [len(t[0]) for t in d.tables] == [4, 10, 15]
    assert d.tables[0][13] == ["行政事业性收费", "251000元", None, None]


# --- DOC ----------------------------------------------------------------------------------------

def test_doc_via_libreoffice(report_doc):
    assert report_doc[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    d = extract_doc(report_doc, "http://127.0.0.1/r.doc")
    assert d.format == "doc"
    assert d.title_hint == md.TITLE
    assert d.text.split("\n")[0] == md.TITLE
    assert "一、本年新收政府信息公开申请数量 | １２ |  | 1 | 0 | 2 | 0 | 15" in d.text
    assert d.meta.get("title") == md.TITLE
    assert len(d.tables) == 3
    assert d.tables[1] == T3
    assert d.tables[0][13] == ["行政事业性收费", "251000元", None, None]
    # LibreOffice leaves a 1-twip sliver column in table 4's grid: folded away
    assert d.tables[2][1][5] == "未经复议直接起诉" and len(d.tables[2][0]) == 15


@pytest.mark.skipif(not HAVE_ANTIWORD, reason="antiword is not installed")
def test_doc_antiword_fallback(report_doc, monkeypatch):
    monkeypatch.setattr(doc_mod, "soffice_path", lambda: None)
    d = extract_doc(report_doc, "u")
    assert d.format == "doc"
    assert d.tables == []
    assert d.title_hint == md.TITLE
    # antiword writes table rows as |cell|cell| lines, left in the text
    assert any(ln.startswith("|行政规范性文件") and "|27" in ln for ln in d.text.split("\n"))
    assert "2022年1月20日" in d.text


def test_doc_neither_converter(report_doc, monkeypatch):
    monkeypatch.setattr(doc_mod.shutil, "which", lambda name: None)
    with pytest.raises(ParseError) as e:
        extract_doc(report_doc, "u")
    assert str(e.value) == "cannot read DOC: LibreOffice (soffice) not installed; antiword not installed"


def test_doc_libreoffice_timeout_is_killed(report_doc):
    with pytest.raises(doc_mod._ConvertError) as e:
        doc_mod.convert_with_soffice(report_doc, "doc", timeout=0.01)
    assert str(e.value) == "LibreOffice timed out after 0.01 s"


def test_doc_encrypted(report_doc):
    # set fEncrypted in the FIB (the WordDocument stream starts on a sector boundary with
    # wIdent 0xA5EC): refused before any converter runs
    data = bytearray(report_doc)
    fib = next(off for off in range(512, len(data), 512) if data[off:off + 2] == b"\xec\xa5")
    data[fib + 0x0B] |= 0x01
    with pytest.raises(ParseError) as e:
        extract_doc(bytes(data), "u")
    assert str(e.value) == "encrypted DOC (password protected)"


def test_doc_not_word():
    with pytest.raises(ParseError) as e:
        extract_doc(b"\x01\x02 binary junk that is no document", "u")
    assert str(e.value) == "corrupt DOC: not a Word file (no OLE header)"


def test_doc_that_is_really_a_docx(report_docx):
    d = extract_doc(report_docx, "u")
    assert d.format == "docx" and d.tables[1] == T3


# --- end to end ------------------------------------------------------------------------------------

def _parse():
    import parsers

    return getattr(parsers, "parse_bytes", None)


def _assert_report(report, fmt, with_table2=True):
    assert report.format == fmt
    assert report.year == 2021
    assert report.template == "2021"
    assert report.title == md.TITLE
    assert report.agency == "某某局"
    t3 = report.table3
    assert t3 is not None
    expected = {}
    for key, values in md.T3.items():
        row = {}
        for col, v in zip(md.COLS, values):
            v = v.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
            row[col] = int(v) if v else None
        expected[key] = row
    for key, row in expected.items():
        assert t3[key] == row, key
    assert t3["new_received"]["natural_person"] == 12
    assert t3["granted"]["natural_person"] == 5
    assert t3["unavailable_not_held"]["legal_service"] == 1
    assert t3["carried_forward"]["total"] == 2
    assert report.table4["review"] == {"upheld": 2, "corrected": 1, "other": 0, "pending": 1, "total": 4}
    assert report.table4["litigation_direct"] == {"upheld": 1, "corrected": 0, "other": 0,
                                                  "pending": 1, "total": 2}
    if with_table2:
        assert report.table2["normative_documents"] == {"made": 5, "repealed": 1, "in_force": 27}
        assert report.table2["licensing"] == {"decisions": 1203}
        assert report.table2["fees"] == {"amount": 251000}
    assert report.failed_checks == []


@pytest.mark.skipif(_parse() is None, reason="parsers.parse_bytes not available yet")
def test_end_to_end_docx(report_docx):
    _assert_report(_parse()(report_docx, "http://127.0.0.1/r.docx"), "docx")


@pytest.mark.skipif(_parse() is None, reason="parsers.parse_bytes not available yet")
def test_end_to_end_pdf(report_pdf):
    _assert_report(_parse()(report_pdf, "http://127.0.0.1/r.pdf"), "pdf", with_table2=False)


@pytest.mark.skipif(_parse() is None, reason="parsers.parse_bytes not available yet")
def test_end_to_end_office_pdf(office_pdf):
    _assert_report(_parse()(office_pdf, "http://127.0.0.1/office.pdf"), "pdf")


@pytest.mark.skipif(_parse() is None, reason="parsers.parse_bytes not available yet")
def test_end_to_end_doc(report_doc):
    _assert_report(_parse()(report_doc, "http://127.0.0.1/r.doc"), "doc")


@pytest.mark.skipif(_parse() is None, reason="parsers.parse_bytes not available yet")
@pytest.mark.parametrize("make, message", [
    (lambda: md.make_encrypted_pdf(md.make_report_pdf()), "encrypted PDF (password protected)"),
    (md.make_image_only_pdf, "PDF has no text layer: needs OCR"),
])
def test_end_to_end_bad_pdfs(make, message):
    with pytest.raises(ParseError) as e:
        _parse()(make(), "u")
    assert str(e.value) == message


# --- helpers --------------------------------------------------------------------------------------

def test_grid_helpers():
    from parsers.extract.grid import SpanCell, build_grid, clean_cell, pipe_lines, title_hint

    cells = [SpanCell(0, 0, 2, 1, "甲"), SpanCell(0, 1, 1, 2, "乙"), SpanCell(1, 1, 1, 1, "1"),
             SpanCell(1, 2, 1, 1, "")]
    assert build_grid(cells) == [["甲", "乙", None], ["甲", "1", ""]]
    assert build_grid([SpanCell(0, 0, 2, 2, "宽")]) == [["宽", None], ["宽", None]]
    assert pipe_lines(cells) == ["甲 | 乙", "1 | "]
    # Kangxi radicals (⼀ ⼆ ⽉) from Word-made PDFs become the ordinary ideographs; full-width
    # digits and parentheses stay as printed; wrapped lines join without a space in Chinese
    assert clean_cell("⼀、本年新收政府信息\n公开申请数量") == "一、本年新收政府信息公开申请数量"
    assert clean_cell("（三）不予公开　１２") == "（三）不予公开 １２"
    assert clean_cell("商 业 企 业", squeeze_cjk_spaces=True) == "商业企业"
    assert clean_cell("18651.\n06") == "18651.06"
    assert clean_cell("\u200b\xa0") == ""
    assert title_hint("\n 首页 > 政务公开\n某县2019年政府信息公开工作年度报告\n正文") == \
        "某县2019年政府信息公开工作年度报告"
    assert title_hint("\n第一行\n第二行") == "第一行"
    assert title_hint("某某局2021年政府信息公开工作\n年度报告\n一、总体情况") == md.TITLE


def test_pdf_page_cap(report_pdf, monkeypatch):
    from parsers.extract import pdf as pdf_mod

    monkeypatch.setattr(pdf_mod, "MAX_PAGES", 1)
    d = extract_pdf(report_pdf, "u")
    assert d.meta["truncated"] == "read the first 1 of 2 pages"
    assert [len(t) for t in d.tables] == [md.PAGE1_ROWS]
    assert "- 2 -" not in d.text
