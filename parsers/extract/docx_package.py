"""A DOCX package (zip) → Document with python-docx: body paragraphs and tables in document order.

The body is walked at the XML level (w:p, w:tbl, and the w:sdt / w:customXml wrappers Word
puts around blocks), so text and tables keep their order. Tables are read from the cells'
w:gridSpan / w:vMerge (and the legacy w:hMerge), plus w:gridBefore / w:gridAfter, into the
grid convention of parsers/extract/grid.py: a wide cell's text in its first slot and `None`
in the slots it covers, a vertically merged cell's text repeated downward.

Nested tables: a one-column table is a layout box (Word users frame whole reports in one), so
its contents are read as body: paragraphs into the text, inner tables as tables. A nested table
in a real multi-column table gives its text to the outer cell (rows joined by " | ") and is
also returned as a grid of its own, after the outer table.

The text holds the tables as pipe rows ("a | b | c", each merged cell written once), as the
HTML extractor's text does. Automatic list numbering (一、 (一) 1. made by Word, not typed) is
rendered into the text where numbering.xml defines it.

Zip bombs are refused from the zip directory before anything is inflated.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Optional

from lxml import etree

from parsers.extract.grid import SpanCell, build_grid, clean_cell, clean_text_block, pipe_lines, title_hint
from parsers.extract.ocr_sources import is_picture, tables_missing
from parsers.model import Document, Doubt, ParseError

MAX_TOTAL = 200 * 1024 * 1024  # sum of the uncompressed member sizes
MAX_RATIO = 200  # compression ratio refused on a big member ...
BIG_MEMBER = 5 * 1024 * 1024  # ... i.e. one inflating to more than this
MAX_INPUT = 100 * 1024 * 1024

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS = {"w": W_NS, "mc": MC_NS}


_ROWS_XP = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr", namespaces=NS)
_TCS_XP = etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=NS)
_GRIDCOL_XP = etree.XPath("./w:tblGrid/w:gridCol", namespaces=NS)


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def check_zip(data: bytes, what: str = "DOCX") -> zipfile.ZipFile:
    """Open the zip and refuse it if it would inflate absurdly. Raises ParseError."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise ParseError(f"corrupt {what}: {e}") from None
    total = sum(i.file_size for i in infos)
    bomb = total > MAX_TOTAL or any(
        i.file_size > BIG_MEMBER and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos)
    if bomb:
        raise ParseError(f"refused: {what} expands to {round(total / (1024 * 1024))} MB (zip bomb?)")
    return zf


def read_docx(data: bytes, url: str) -> Document:
    """A Word package's bytes (a zip, not the OLE files portals also serve as .docx: see
    parsers/extract/docx.py) → Document. Raises ParseError."""
    if len(data) > MAX_INPUT:
        raise ParseError(f"refused: DOCX is {len(data) // (1024 * 1024)} MB "
                         f"(limit {MAX_INPUT // (1024 * 1024)} MB)")
    zf = check_zip(data)
    names = set(zf.namelist())
    if "[Content_Types].xml" not in names:
        raise ParseError("corrupt DOCX: no [Content_Types].xml (not an Office document)")
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as e:  # pragma: no cover
        raise ParseError(f"cannot read DOCX: {e}") from None
    try:
        d = docx.Document(io.BytesIO(data))
    except PackageNotFoundError:
        raise ParseError("corrupt DOCX: not a Word package") from None
    except KeyError as e:
        raise ParseError(f"corrupt DOCX: missing part {e}") from None
    except Exception as e:  # lxml syntax errors, bad relationships, a .xlsx/.pptx ...
        msg = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise ParseError(f"corrupt DOCX: {msg}") from None

    numbering = _Numbering(d)
    walker = _Walker(numbering)
    try:
        walker.blocks(d.element.body)
    except RecursionError:
        raise ParseError("corrupt DOCX: tables nested too deep") from None
    text = clean_text_block("\n".join(walker.lines))
    meta = _meta(d)
    doubts = []
    if numbering.failed or numbering.lost:
        doubts.append(Doubt("numbering_lost", "docx",
                            numbering.failed or f"{numbering.lost} numbered paragraph(s) without their number"))
    doc = Document(url=url, format="docx", text=text, tables=walker.tables, meta=meta,
                   raw_text=text, title_hint=title_hint(text), doubts=doubts)
    _read_pictures(d, doc)
    return doc


_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_IMAGEDATA = "{urn:schemas-microsoft-com:vml}imagedata"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _read_pictures(d, doc: Document) -> None:
    """Tables pasted into Word as pictures: OCR the body's pictures, in document order, when
    the document's own tables do not hold the report tables."""
    if not tables_missing(doc.tables):
        return
    items, seen = [], set()
    for el in d.element.body.iter(_BLIP, _IMAGEDATA):
        rid = el.get(f"{_R}embed") if el.tag == _BLIP else el.get(f"{_R}id")
        if not rid or rid in seen:
            continue
        seen.add(rid)
        try:
            part = d.part.related_parts[rid]
            blob = part.blob
        except (KeyError, AttributeError):
            continue
        if is_picture(blob):  # EMF/WMF drawings are not pictures of tables
            items.append((str(part.partname).rsplit("/", 1)[-1], blob))
    if items:
        from parsers.extract.ocr import read_pictures  # numpy and the OCR model: only for pictures

        read_pictures(items, doc, "DOCX picture")


def _meta(d) -> dict[str, str]:
    meta: dict[str, str] = {}
    try:
        cp = d.core_properties
        title = (cp.title or "").strip()
        created = cp.created
    except Exception:  # malformed core.xml must not lose the document
        return meta
    if title and title not in ("Word Document", "Untitled", "无标题") and not title.startswith("Microsoft Word"):
        meta["title"] = title
    # 2013-12-23 23:15 is the date in python-docx's own default template, not the report's
    if created is not None and not (created.year == 2013 and created.month == 12 and created.day == 23) \
            and 1990 <= created.year <= 2100:
        meta["pubdate"] = created.strftime("%Y-%m-%d")
        meta["created"] = meta["pubdate"]
    return meta


# --- body walk ---------------------------------------------------------------------------------

class _Walker:
    def __init__(self, numbering: "_Numbering"):
        self.lines: list[str] = []
        self.tables: list[list] = []
        self.numbering = numbering
        self.depth = 0

    def blocks(self, parent) -> None:
        """Paragraphs to text lines, tables to grids (and pipe rows), in document order."""
        for el in parent.iterchildren():
            tag = el.tag
            if tag == _w("p"):
                self.lines.append(self.paragraph(el))
            elif tag == _w("tbl"):
                self.table(el)
            elif tag in (_w("sdt"), _w("customXml"), _w("ins"), _w("smartTag")):
                content = el.find(_w("sdtContent")) if tag == _w("sdt") else el
                if content is not None:
                    self.blocks(content)

    def paragraph(self, p) -> str:
        prefix = self.numbering.label(p)
        return prefix + paragraph_text(p)

    def table(self, tbl) -> None:
        self.depth += 1
        if self.depth > 20:
            self.depth -= 1
            return
        try:
            cells, ncols, nested = self.table_cells(tbl)
            if ncols <= 1:
                # a layout box: read what it holds as body
                for tc in _cells_of(tbl):
                    self.blocks(tc)
                return
            grid = build_grid(cells, ncols=ncols)
            if grid:
                self.tables.append(grid)
                self.lines.extend(pipe_lines(cells))
            self.tables.extend(nested)
        finally:
            self.depth -= 1

    def table_cells(self, tbl):
        """SpanCells of one table, its column count, and the grids of tables nested in it."""
        cells: list[SpanCell] = []
        nested: list[list] = []
        open_v: dict[int, SpanCell] = {}  # grid column → cell that a vMerge may continue
        ncols = 0
        rows = _ROWS_XP(tbl)
        for r, tr in enumerate(rows):
            col = _tr_int(tr, "gridBefore")
            prev: Optional[SpanCell] = None
            for tc in _TCS_XP(tr):
                tcpr = tc.find(_w("tcPr"))
                span = max(_int_val(tcpr, "gridSpan", 1), 1) if tcpr is not None else 1
                vmerge = _merge_val(tcpr, "vMerge")
                hmerge = _merge_val(tcpr, "hMerge")
                if hmerge == "continue" and prev is not None:
                    prev.colspan += span
                    col += span
                    continue
                above = open_v.get(col)
                if vmerge == "continue" and above is not None and above.row + above.rowspan == r \
                        and above.colspan == span:
                    above.rowspan += 1
                    prev = above
                    col += span
                    continue
                text, inner = self.cell_content(tc)
                nested.extend(inner)
                cell = SpanCell(r, col, 1, span, text)
                cells.append(cell)
                open_v[col] = cell
                prev = cell
                col += span
            ncols = max(ncols, col + _tr_int(tr, "gridAfter"))
        grid_cols = _GRIDCOL_XP(tbl)
        if cells and len(grid_cols) > ncols and ncols > 1:
            ncols = len(grid_cols)
        if cells and len(grid_cols) == ncols:
            cells, ncols = _drop_slivers(cells, ncols, grid_cols)
        return cells, ncols, nested

    def cell_content(self, tc) -> tuple[str, list]:
        parts: list[str] = []
        nested: list[list] = []
        for el in tc.iterchildren():
            if el.tag == _w("p"):
                parts.append(self.paragraph(el))
            elif el.tag == _w("tbl"):
                sub = _Walker(self.numbering)
                sub.depth = self.depth
                sub.table(el)
                # the inner table's rows inside the outer cell: cells joined by spaces, so
                # the outer table's pipe row keeps its own cell boundaries
                parts.extend(line.replace(" | ", " ") for line in sub.lines)
                nested.extend(sub.tables)
            elif el.tag in (_w("sdt"), _w("customXml")):
                sub = _Walker(self.numbering)
                sub.depth = self.depth
                sub.blocks(el.find(_w("sdtContent")) if el.tag == _w("sdt") else el)
                parts.extend(sub.lines)
                nested.extend(sub.tables)
        return clean_cell("\n".join(parts)), nested


MIN_COL_TWIPS = 60  # ≈ 1 mm: narrower grid columns are rounding slivers, not columns


def _drop_slivers(cells: list[SpanCell], ncols: int, grid_cols) -> tuple[list[SpanCell], int]:
    """Word and LibreOffice leave 1-twip grid columns where cell edges almost line up; fold
    them into the column to their left so the grid has the table's real columns."""
    widths = []
    for gc in grid_cols:
        try:
            widths.append(max(int(float(gc.get(_w("w")) or 0)), 0))
        except ValueError:
            return cells, ncols
    if sum(widths) <= 0 or not any(0 < w < MIN_COL_TWIPS for w in widths) \
            or sum(1 for w in widths if w <= 0) > 0:
        return cells, ncols
    pos = [0]
    for w in widths:
        pos.append(pos[-1] + w)
    new_index = [0] * (ncols + 1)
    k, last = 0, pos[0]
    for i in range(1, ncols + 1):
        if pos[i] - last >= MIN_COL_TWIPS:
            k += 1
            last = pos[i]
        new_index[i] = k
    if k < 1:
        return cells, ncols
    out = []
    for c in cells:
        c0 = new_index[min(c.col, ncols)]
        c1 = new_index[min(c.col + c.colspan, ncols)]
        if c1 <= c0:
            if not c.text:
                continue
            c1 = c0 + 1
        out.append(SpanCell(c.row, c0, c.rowspan, c1 - c0, c.text))
    return out, max(k, max(c.col + c.colspan for c in out) if out else k)


def _cells_of(tbl):
    return [tc for tr in _ROWS_XP(tbl) for tc in _TCS_XP(tr)]


def _int_val(parent, tag: str, default: int) -> int:
    el = parent.find(_w(tag)) if parent is not None else None
    if el is None:
        return default
    try:
        return int(el.get(_w("val")))
    except (TypeError, ValueError):
        return default


def _tr_int(tr, tag: str) -> int:
    trpr = tr.find(_w("trPr"))
    return max(_int_val(trpr, tag, 0), 0) if trpr is not None else 0


def _merge_val(tcpr, tag: str) -> Optional[str]:
    """"restart", "continue" (the element without a val), or None (no element)."""
    if tcpr is None:
        return None
    el = tcpr.find(_w(tag))
    if el is None:
        return None
    return el.get(_w("val")) or "continue"


_TEXT_XP = etree.XPath(
    ".//w:t[not(ancestor::mc:Fallback)] | .//w:tab[not(ancestor::w:pPr)][not(ancestor::mc:Fallback)]"
    " | .//w:br[not(ancestor::mc:Fallback)] | .//w:cr[not(ancestor::mc:Fallback)]"
    " | .//w:p[not(ancestor::mc:Fallback)] | .//w:noBreakHyphen",
    namespaces=NS)


def paragraph_text(p) -> str:
    """Visible text of a w:p: runs, hyperlinks, fields' results, inserted text, text boxes
    (each nested paragraph on its own line); not deleted text, not the VML fallback copy of
    a text box, not tab-stop definitions."""
    out: list[str] = []
    for el in _TEXT_XP(p):
        tag = el.tag
        if tag == _w("t"):
            out.append(el.text or "")
        elif tag == _w("tab"):
            out.append(" ")
        elif tag in (_w("br"), _w("cr")):
            if el.get(_w("type")) in (None, "textWrapping"):
                out.append("\n")
        elif tag == _w("p"):
            out.append("\n")
        elif tag == _w("noBreakHyphen"):
            out.append("-")
    return "".join(out)


# --- automatic numbering ---------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"


def _chinese_counting(n: int) -> str:
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def _roman(n: int) -> str:
    vals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for v, s in vals:
        while n >= v:
            out += s
            n -= v
    return out


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional",
               "japaneseCounting", "chineseLegalSimplified", "taiwaneseCounting",
               "taiwaneseCountingThousand", "ideographLegalTraditional"):
        s = _chinese_counting(n)
        if fmt == "chineseLegalSimplified":
            s = s.translate(str.maketrans("一二三四五六七八九十", "壹贰叁肆伍陆柒捌玖拾"))
        if fmt == "ideographTraditional" and 1 <= n <= 10:
            s = "甲乙丙丁戊己庚辛壬癸"[n - 1]
        return s
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt in ("bullet", "none"):
        return ""
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


class _Numbering:
    """Renders Word's automatic paragraph numbers (w:numPr → numbering.xml) as text."""

    def __init__(self, d):
        self.levels: dict[tuple[str, int], tuple[int, str, str]] = {}
        self.num_to_abs: dict[str, str] = {}
        self.overrides: dict[tuple[str, int], int] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        self.counters: dict[str, list[int]] = {}
        self.seen: set[str] = set()
        self.failed = ""  # why numbering.xml could not be read
        self.lost = 0  # numbered paragraphs whose number could not be rendered
        try:
            part = d.part.numbering_part
            root = part.element
        except Exception:
            return
        try:
            for absn in root.findall(_w("abstractNum")):
                aid = absn.get(_w("abstractNumId"))
                for lvl in absn.findall(_w("lvl")):
                    ilvl = int(lvl.get(_w("ilvl"), "0"))
                    start = _int_val(lvl, "start", 1)
                    fmt_el = lvl.find(_w("numFmt"))
                    fmt = fmt_el.get(_w("val"), "decimal") if fmt_el is not None else "decimal"
                    txt_el = lvl.find(_w("lvlText"))
                    txt = txt_el.get(_w("val"), "") if txt_el is not None else ""
                    self.levels[(aid, ilvl)] = (start, fmt, txt)
            for num in root.findall(_w("num")):
                nid = num.get(_w("numId"))
                a = num.find(_w("abstractNumId"))
                if a is not None:
                    self.num_to_abs[nid] = a.get(_w("val"))
                for ov in num.findall(_w("lvlOverride")):
                    so = ov.find(_w("startOverride"))
                    if so is not None:
                        try:
                            self.overrides[(nid, int(ov.get(_w("ilvl"), "0")))] = int(so.get(_w("val")))
                        except (TypeError, ValueError):
                            pass
            styles = d.styles.element
            for st in styles.findall(_w("style")):
                numpr = st.find(f"{_w('pPr')}/{_w('numPr')}")
                if numpr is not None:
                    nid = numpr.find(_w("numId"))
                    ilvl = numpr.find(_w("ilvl"))
                    if nid is not None:
                        self.style_num[st.get(_w("styleId"))] = (
                            nid.get(_w("val")), int(ilvl.get(_w("val"), "0")) if ilvl is not None else 0)
        except Exception as e:
            self.levels = {}
            self.failed = f"numbering.xml unreadable ({type(e).__name__})"

    def label(self, p) -> str:
        ppr = p.find(_w("pPr"))
        if not self.levels:
            if ppr is not None and ppr.find(_w("numPr")) is not None:
                n = ppr.find(f"{_w('numPr')}/{_w('numId')}")
                if n is not None and n.get(_w("val")) not in (None, "0"):
                    self.lost += 1
            return ""
        if ppr is None:
            return ""
        numpr = ppr.find(_w("numPr"))
        nid, ilvl = None, 0
        if numpr is not None:
            n = numpr.find(_w("numId"))
            lv = numpr.find(_w("ilvl"))
            nid = n.get(_w("val")) if n is not None else None
            ilvl = int(lv.get(_w("val"), "0")) if lv is not None else 0
        else:
            ps = ppr.find(_w("pStyle"))
            if ps is not None and ps.get(_w("val")) in self.style_num:
                nid, ilvl = self.style_num[ps.get(_w("val"))]
        if not nid or nid == "0":
            return ""
        if nid not in self.num_to_abs or (self.num_to_abs[nid], ilvl) not in self.levels:
            self.lost += 1
            return ""
        aid = self.num_to_abs[nid]
        if not 0 <= ilvl < 9:
            return ""
        # Word counts per abstract list: instances (numIds) sharing one continue each other,
        # unless an instance restarts a level with a startOverride
        counters = self.counters.setdefault(aid, [0] * 9)
        if nid not in self.seen:
            self.seen.add(nid)
            for (onid, k), _ in self.overrides.items():
                if onid == nid:
                    counters[k] = 0
        for k in range(9):
            if k == ilvl:
                if counters[k] == 0:
                    counters[k] = self.overrides.get((nid, k), self.levels[(aid, k)][0])
                else:
                    counters[k] += 1
            elif k > ilvl:
                counters[k] = 0
        _, fmt, txt = self.levels[(aid, ilvl)]
        if fmt in ("bullet", "none") or not txt:
            return ""

        def repl(m):
            k = int(m.group(1)) - 1
            lv = self.levels.get((aid, k))
            if lv is None:
                return ""
            value = counters[k] or lv[0]
            return _format_number(value, lv[1] if k != ilvl else fmt)

        label = re.sub(r"%(\d)", repl, txt)
        return label if label.strip() else ""
