"""Extractors: each turns one kind of source into a `Document`. `extract()` picks by content."""
from __future__ import annotations

import re
from typing import Optional

from parsers.model import Document, ParseError

_HTML_MARK = re.compile(rb"<\s*(!doctype\s+html|html|head|body|table|div|p|meta|title)[\s>]", re.I)


def sniff(data: bytes, url: str = "", content_type: Optional[str] = None) -> str:
    head = data[:4096]
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") or head.startswith(b"{\\rtf"):
        return "doc"  # RTF served as .doc goes through LibreOffice too
    if _HTML_MARK.search(head) or (content_type or "").lower().startswith(("text/html", "application/xhtml")):
        return "html"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head and controls / len(head) > 0.05:
        return "binary"
    return "text"


def extract(data: bytes, url: str, content_type: Optional[str] = None, pictures=None) -> Document:
    """`pictures` (src → bytes, parsers/extract/ocr_sources.py) lets an HTML page's pictured
    tables be read by OCR; PDF and DOCX carry their pictures inside."""
    if not data or not data.strip():
        raise ParseError("empty file")
    kind = sniff(data, url, content_type)
    if kind == "html":
        from parsers.extract.html import extract_html
        return extract_html(data, url, content_type, pictures)
    if kind == "text":
        from parsers.extract.text import extract_text
        return extract_text(data, url)
    if kind == "pdf":
        from parsers.extract.pdf import extract_pdf
        return extract_pdf(data, url)
    if kind == "docx":
        from parsers.extract.docx import extract_docx
        return extract_docx(data, url)
    if kind == "doc":
        from parsers.extract.doc import extract_doc
        return extract_doc(data, url)
    raise ParseError("binary data, not a document this tool reads (HTML, text, PDF, DOC, DOCX)")
