"""Scanned PDF pages (no text layer, a picture per page) → OCR'd text and tables.

A page is rendered at the resolution of the scan it holds (150-300 dpi: finer adds nothing
but time, coarser loses digits), then read like any picture (parsers/extract/ocr.py). Pages
that do have a text layer keep it; the Document lists both in page order.
"""
from __future__ import annotations

import cv2
import numpy as np

from parsers.extract.grid import clean_text_block, title_hint
from parsers.extract.ocr import Picture, add_pictures, ocr_cache_dir, picture_text, read_picture
from parsers.extract.pdf_pieces import pdf_tables
from parsers.model import Document, ParseError


def scan_dpi(page) -> int:
    """The dpi of the largest picture on the page, within 150..300."""
    best = 0.0
    for im in page.images:
        w_pt = float(im.get("width") or 0)
        src = im.get("srcsize") or (0, 0)
        if w_pt > 0 and src[0]:
            best = max(best, src[0] / (w_pt / 72.0))
    return int(min(max(best or 200, 150), 300))


def render_page(page) -> bytes:
    """A pdfplumber page → PNG bytes of the page at its scan's resolution (pdfium)."""
    img = page.to_image(resolution=scan_dpi(page)).original.convert("RGB")
    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - encoding an array never fails
        raise ParseError("scanned PDF page could not be rendered")
    return buf.tobytes()


def ocr_scanned_pages(scans: list[tuple[int, bytes]], texts: list[str], pieces, meta: dict,
                      url: str) -> Document:
    cache = ocr_cache_dir()
    pics = []
    texts = list(texts)
    for i, png in scans:
        pic = read_picture(png, f"page {i + 1}", cache)
        pics.append(pic)
        body = "\n".join(pic.lines)  # the tables go to Document.tables, their pipe rows below
        if i < len(texts):
            texts[i] = clean_text_block(body + "\n" + picture_text_tables(pic))
    join_page_breaks(pics)
    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        # the scan held nothing OCR could read: the same verdict as before OCR existed
        raise ParseError("PDF has no text layer: needs OCR")
    meta["ocr_pages"] = str(len(scans))
    doc = Document(url=url, format="pdf", text=text, tables=pdf_tables(pieces), meta=meta,
                   raw_text=text, title_hint=title_hint(text))
    add_pictures(doc, pics, "scanned PDF")
    return doc


def _union(a: list[int], b: list[int], tol: float) -> list[int]:
    out: list[int] = []
    for x in sorted(a + b):
        if out and x - out[-1] <= tol:
            continue
        out.append(x)
    return out


def _onto(grid: list, xs: list[int], union: list[int]) -> tuple[list, list[int]]:
    """Lay a grid out on finer column rules: a column that covers several union columns
    becomes a colspan (text in the first, None after). Returns the grid and, per old column,
    its new index."""
    def at(x):
        return min(range(len(union)), key=lambda i: abs(union[i] - x))

    starts = [at(x) for x in xs]
    out = []
    for row in grid:
        new = [None] * (len(union) - 1)
        for j, v in enumerate(row[:len(xs) - 1]):
            a, b = starts[j], max(starts[j + 1], starts[j] + 1)
            if a < len(new):
                new[a] = v
        out.append(new)
    return out, starts


def join_page_breaks(pics: list) -> None:
    """A table cut by a page break: the last table of a page and the first of the next page,
    with the same outer edges, become one grid (on the union of their column rules: the part
    above the break may lack the sub-columns the part below has). Moves the lower part and its
    OCR cells into the upper picture."""
    for up, down in zip(pics, pics[1:]):
        if not (up.tables and down.tables and up.columns and down.columns):
            continue
        xa, xb = up.columns[-1], down.columns[0]
        tol = 0.012 * max(up.width, down.width, 1)
        if abs(xa[0] - xb[0]) > tol or abs(xa[-1] - xb[-1]) > tol:
            continue
        union = _union(xa, xb, tol)
        ta, tb = len(up.tables) - 1, 0
        ga, sa = _onto(up.tables[ta], xa, union)
        gb, sb = _onto(down.tables[tb], xb, union)
        offset = len(ga)
        up.tables[ta] = ga + gb
        up.columns[ta] = union
        for c in up.cells:
            if c.table == ta and c.col < len(sa):
                c.col = sa[c.col]
        moved = [c for c in down.cells if c.table == tb]
        down.cells = [c for c in down.cells if c.table != tb]
        for c in moved:
            c.table, c.row, c.col = ta, c.row + offset, sb[c.col] if c.col < len(sb) else c.col
        up.cells.extend(moved)
        for c in down.cells:
            c.table -= 1
        del down.tables[tb]
        del down.columns[tb]


def picture_text_tables(pic) -> str:
    return picture_text(Picture(pic.name, pic.sha256, [], pic.tables, []))
