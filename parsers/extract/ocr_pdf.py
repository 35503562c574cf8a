"""Scanned PDF pages (no text layer, a picture per page) → OCR'd text and tables.

A page is rendered at the resolution of the scan it holds (150-300 dpi: finer adds nothing
but time, coarser loses digits), then read like any picture (parsers/extract/ocr.py). Pages
that do have a text layer keep it; the Document lists both in page order.
"""
from __future__ import annotations

import cv2
import numpy as np

from parsers.extract.grid import clean_text_block, title_hint
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
    from parsers.extract.ocr import add_pictures, ocr_cache_dir, picture_text, read_picture
    from parsers.extract.pdf import pdf_tables

    cache = ocr_cache_dir()
    pics = []
    texts = list(texts)
    for i, png in scans:
        pic = read_picture(png, f"page {i + 1}", cache)
        pics.append(pic)
        body = "\n".join(pic.lines)  # the tables go to Document.tables, their pipe rows below
        if i < len(texts):
            texts[i] = clean_text_block(body + "\n" + picture_text_tables(pic))
    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        raise ParseError("PDF has no text layer and OCR found no text in its pages")
    meta["ocr_pages"] = str(len(scans))
    doc = Document(url=url, format="pdf", text=text, tables=pdf_tables(pieces), meta=meta,
                   raw_text=text, title_hint=title_hint(text))
    add_pictures(doc, pics, "scanned PDF")
    return doc


def picture_text_tables(pic) -> str:
    from parsers.extract.ocr import Picture, picture_text

    return picture_text(Picture(pic.name, pic.sha256, [], pic.tables, []))
