"""PDF → Document with pdfplumber: page text in reading order and every table as a grid.

Tables are found from ruling lines first (pdfplumber's "lines" strategy, which also reads the
edges of filled rectangles); a page without any ruled table is tried with the "text" strategy
and the result kept only when it looks like a table of figures. Merged cells are read from the
cell boxes (a box that covers several columns/rows of the finest grid), so colspans give
`None` slots and rowspans repeat their text downward (see parsers/extract/grid.py).

A table cut by a page break comes back as one grid when that is safe (parsers/extract/
pdf_pieces.py); otherwise the pieces come back in order. Pages without a text layer are
rendered and read by OCR (parsers/extract/ocr_pdf.py, imported only then: OpenCV).
"""
from __future__ import annotations

import io
import re
from typing import Optional

from parsers.extract.grid import SpanCell, clean_cell, clean_text_block, is_numberish, title_hint
from parsers.extract.pdf_pieces import TOL, Piece, pdf_tables
from parsers.model import Document, Doubt, ParseError

MAX_BYTES = 150 * 1024 * 1024
MAX_PAGES = 200
MAX_OCR_PAGES = 30  # scanned pages read by OCR per PDF (about half a minute each on one core)

LINES = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
    "edge_min_length": 3,
}
TEXT = {
    "vertical_strategy": "text",
    "horizontal_strategy": "text",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "min_words_vertical": 2,
    "min_words_horizontal": 1,
}
_PAGE_NO = re.compile(r"^[\s\-—－–·.]*(第\s*)?[\d０-９一二三四五六七八九十]+\s*(页|/\s*\d+)?(\s*共\s*\d+\s*页)?[\s\-—－–·.]*$"
                      r"|^[\s\-—－–]*\d+\s*/\s*\d+[\s\-—－–]*$|^page\s*\d+", re.I)


_CONTINUED = re.compile(r"^[(（]?(续表|续上表|接上表)[)）]?\s*\S{0,12}$")  # 续表 / 续表3 above a continuation


def extract_pdf(data: bytes, url: str) -> Document:
    try:
        import pdfplumber
        from pdfminer.pdfdocument import PDFPasswordIncorrect
    except ImportError as e:  # pragma: no cover - dependency is declared
        raise ParseError(f"cannot read PDF: {e}") from None

    if len(data) > MAX_BYTES:
        raise ParseError(f"refused: PDF is {len(data) // (1024 * 1024)} MB "
                         f"(limit {MAX_BYTES // (1024 * 1024)} MB)")
    head = data[:1024]
    if b"%PDF-" not in head:
        raise ParseError("corrupt PDF: no %PDF header" if data else "corrupt PDF: empty file")
    _check_encryption(data)

    repaired_from = ""
    try:
        pdf, pages = _open(pdfplumber, data)
    except PDFPasswordIncorrect:
        raise ParseError("encrypted PDF (password protected)") from None
    except Exception as e:  # pdfminer raises many types on broken files
        # qpdf rebuilds what pdfminer cannot (a truncated download without its trailer):
        # read qpdf's repaired copy before giving up
        repaired = _repaired(data)
        if repaired is None:
            raise ParseError(f"corrupt PDF: {_reason(e)}") from None
        try:
            pdf, pages = _open(pdfplumber, repaired)
        except Exception:
            raise ParseError(f"corrupt PDF: {_reason(e)}") from None
        repaired_from = _reason(e)

    with pdf:
        if not pages:
            raise ParseError("corrupt PDF: no pages")
        meta = _meta(pdf)
        texts: list[str] = []
        pieces: list[Piece] = []
        nchars = 0
        ncid = 0
        failed = 0
        scans: list[tuple[int, bytes]] = []  # pages without a text layer, rendered for OCR
        for i, page in enumerate(pages[:MAX_PAGES]):
            try:
                p = page.dedupe_chars()
                nchars += len(p.chars)
                if not p.chars and p.images and len(scans) < MAX_OCR_PAGES:
                    from parsers.extract.ocr_pdf import render_page
                    scans.append((i, render_page(page)))
                text = p.extract_text() or ""
                ncid += text.count("(cid:")
                texts.append(clean_text_block(text))
                pieces.extend(_page_tables(p, i))
            except Exception:  # one broken page must not lose the others
                failed += 1
            finally:
                page.close()
        if failed == min(len(pages), MAX_PAGES):
            raise ParseError("corrupt PDF: no page could be read")
        if len(pages) > MAX_PAGES:
            meta["truncated"] = f"read the first {MAX_PAGES} of {len(pages)} pages"
        meta["pages"] = str(len(pages))
        if failed:
            meta["unreadable_pages"] = str(failed)

    text = "\n".join(t for t in texts if t.strip())
    if scans:
        from parsers.extract.ocr_pdf import ocr_scanned_pages
        return ocr_scanned_pages(scans, texts, pieces, meta, url)
    if nchars == 0 or not text.strip():
        raise ParseError("PDF has no text layer: needs OCR")
    if ncid * 8 > len(text):
        raise ParseError("PDF text layer is not decodable (fonts without Unicode map): needs OCR")

    tables = pdf_tables(pieces)
    doubts = []
    if "truncated" in meta:
        doubts.append(Doubt("truncated_source", "pdf", meta["truncated"]))
    if failed:
        doubts.append(Doubt("unreadable_page", "pdf", f"{failed} of {len(pages)} pages could not be read"))
    if repaired_from:
        doubts.append(Doubt("truncated_source", "pdf", f"damaged file read from qpdf's repair ({repaired_from})"))
    elif b"%%EOF" not in data[-8192:]:  # a download cut short: later pages may be missing
        doubts.append(Doubt("truncated_source", "pdf", "no %EOF marker at the end of the file"))
    return Document(url=url, format="pdf", text=text, tables=tables, meta=meta,
                    raw_text=text, title_hint=title_hint(text), doubts=doubts)


def _open(pdfplumber, data: bytes):
    pdf = pdfplumber.open(io.BytesIO(data))
    try:
        return pdf, pdf.pages
    except BaseException:
        pdf.close()
        raise


def _repaired(data: bytes) -> Optional[bytes]:
    try:
        import pikepdf

        out = io.BytesIO()
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pdf.save(out)
        return out.getvalue()
    except Exception:
        return None


def _reason(e: Exception) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    msg = re.sub(r"^(stream )?<[^>]*>:\s*", "", msg)  # qpdf names the (in-memory) input
    return msg[:160]


def _check_encryption(data: bytes) -> None:
    """pikepdf (qpdf) tells a password-protected file apart from a broken one more reliably
    than pdfminer; it is also stricter about files that are not PDFs at all."""
    try:
        import pikepdf
    except ImportError:  # pragma: no cover
        return
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            n = len(pdf.pages)
    except pikepdf.PasswordError:
        raise ParseError("encrypted PDF (password protected)") from None
    except Exception as e:
        raise ParseError(f"corrupt PDF: {_reason(e)}") from None
    if n == 0:
        raise ParseError("corrupt PDF: no pages")


def _meta(pdf) -> dict[str, str]:
    meta: dict[str, str] = {}
    info = pdf.metadata or {}
    title = info.get("Title")
    if isinstance(title, bytes):
        title = title.decode("utf-8", "replace")
    if isinstance(title, str):
        title = re.sub(r"^Microsoft (Word|PowerPoint|Excel) - ", "", title.strip())
        title = re.sub(r"\.(docx?|wps|pdf|xlsx?)$", "", title, flags=re.I).strip()
        if re.search(r"[\u4e00-\u9fff]", title):
            meta["title"] = title
    created = info.get("CreationDate")
    if isinstance(created, bytes):
        created = created.decode("latin-1")
    if isinstance(created, str):
        m = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", created.strip())
        if m and 1990 <= int(m.group(1)) <= 2100:
            meta["created"] = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return meta


# --- tables on one page ---------------------------------------------------------------------

def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= TOL:
            continue
        out.append(v)
    return out


def _index(bounds: list[float], v: float) -> int:
    """Index of the grid line nearest to v."""
    return min(range(len(bounds)), key=lambda i: abs(bounds[i] - v))


def _cells_from_boxes(page, boxes: list[tuple], squeeze: bool = True):
    """pdfplumber cell boxes → SpanCells on the finest grid the boxes define."""
    xs = _cluster([b[0] for b in boxes] + [max(b[2] for b in boxes)])
    ys = _cluster([b[1] for b in boxes] + [max(b[3] for b in boxes)])
    x0, top, x1, bottom = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                           max(b[2] for b in boxes), max(b[3] for b in boxes))
    chars = [c for c in page.chars
             if x0 <= (c["x0"] + c["x1"]) / 2 < x1 and top <= (c["top"] + c["bottom"]) / 2 < bottom]
    from pdfplumber.utils import extract_text

    cells = []
    for b in boxes:
        c0, c1 = _index(xs, b[0]), _index(xs, b[2])
        r0, r1 = _index(ys, b[1]), _index(ys, b[3])
        if c1 <= c0 or r1 <= r0:
            continue
        inside = [c for c in chars
                  if b[0] <= (c["x0"] + c["x1"]) / 2 < b[2] and b[1] <= (c["top"] + c["bottom"]) / 2 < b[3]]
        text = extract_text(inside) if inside else ""
        cells.append(SpanCell(r0, c0, r1 - r0, c1 - c0, clean_cell(text, squeeze_cjk_spaces=squeeze)))
    return cells, len(ys) - 1, len(xs) - 1, xs


def _plausible_text_table(cells: list[SpanCell], nrows: int, ncols: int) -> bool:
    """A borderless table found from word positions is kept only if it is a table of figures:
    at least 3 rows and 3 columns, and at least 3 rows holding two or more figures."""
    if nrows < 3 or ncols < 3:
        return False
    filled = [c for c in cells if c.text]
    nums = [c for c in filled if is_numberish(c.text)]
    if not filled or len(nums) < 0.25 * len(filled):
        return False
    per_row: dict[int, int] = {}
    for c in nums:
        per_row[c.row] = per_row.get(c.row, 0) + 1
    return sum(1 for n in per_row.values() if n >= 2) >= 3


def _figure_bands(page) -> list[tuple[float, float, float, float]]:
    """Regions of a page without ruled tables that look like a borderless table: runs of
    lines split into 3+ separate words, 3+ of them holding two or more figures (a single-word
    line, e.g. a wrapped label, may sit inside a run). The text strategy is run on each band
    alone, so that prose aligned on the page margin does not pass for a table column."""
    words = page.extract_words(x_tolerance=2, y_tolerance=2)
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= 2.5:
            lines[-1].append(w)
        else:
            lines.append([w])
    bands = []
    run: list[list[dict]] = []
    gap = 0

    def close():
        table_lines = [ln for ln in run if len(ln) >= 3]
        if sum(1 for ln in table_lines if sum(is_numberish(w["text"]) for w in ln) >= 2) >= 3:
            ws = [w for ln in run for w in ln]
            bands.append((max(min(w["x0"] for w in ws) - 2, 0), max(min(w["top"] for w in ws) - 2, 0),
                          min(max(w["x1"] for w in ws) + 2, page.width),
                          min(max(w["bottom"] for w in ws) + 2, page.height)))

    for ln in lines:
        if len(ln) >= 3:
            run.append(ln)
            gap = 0
        elif run and gap == 0 and len(ln) <= 2:
            run.append(ln)
            gap = 1
        else:
            close()
            run, gap = [], 0
    if run:
        while run and len(run[-1]) < 3:
            run.pop()
        close()
    return bands


def _text_of(chars) -> str:
    from pdfplumber.utils import extract_text

    return extract_text(chars) if chars else ""


def _furniture(text: str) -> bool:
    """Only page numbers / blank between a table and the page edge."""
    return all(not ln.strip() or _PAGE_NO.match(ln.strip()) or _CONTINUED.match(ln.strip())
               for ln in text.split("\n"))


def _page_tables(page, pageno: int) -> list[Piece]:
    found = []
    for t in page.find_tables(LINES):
        boxes = list(t.cells)
        if len(boxes) < 2:
            continue
        cells, nrows, ncols, xs = _cells_from_boxes(page, boxes)
        if nrows < 2 or ncols < 2:
            continue
        found.append((t.bbox, cells, nrows, ncols, xs))
    if not found and page.chars:
        for band in _figure_bands(page):
            region = page.crop(band)
            for t in region.find_tables(TEXT):
                boxes = list(t.cells)
                if len(boxes) < 4:
                    continue
                cells, nrows, ncols, xs = _cells_from_boxes(region, boxes, squeeze=False)
                if _plausible_text_table(cells, nrows, ncols):
                    found.append((t.bbox, cells, nrows, ncols, xs))
    found.sort(key=lambda f: (f[0][1], f[0][0]))
    pieces = []
    for k, (bbox, cells, nrows, ncols, xs) in enumerate(found):
        piece = Piece(pageno, cells, nrows, ncols, xs, bbox[1], bbox[3],
                       first_on_page=k == 0, last_on_page=k == len(found) - 1)
        # what lies above / below the table, by character centre (text of a row cut by the
        # page break can stick out of the ruled box by a point or two)
        if piece.first_on_page:
            piece.clear_above = _furniture(_text_of(
                [c for c in page.chars if (c["top"] + c["bottom"]) / 2 < bbox[1]]))
        if piece.last_on_page:
            piece.clear_below = _furniture(_text_of(
                [c for c in page.chars if (c["top"] + c["bottom"]) / 2 > bbox[3]]))
        pieces.append(piece)
    return pieces
