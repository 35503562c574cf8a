"""One way to read bytes as text: for the crawler (links), the parser and the archived view.

Order (w3lib.encoding does the reading of BOMs, headers and <meta>/<?xml?> declarations, as in Scrapy):

1. a byte-order mark;
2. the bytes as UTF-8, if they are valid UTF-8;
3. the bytes as GB18030, if they are valid GB18030 (a superset of GB2312 and GBK);
4. the declared charset (HTTP header, then the page's own declaration), if the bytes are valid in it;
5. w3lib's `html_to_unicode` with that declaration, undecodable bytes replaced.

A declaration never beats valid UTF-8 or GB18030: portals serve UTF-8 pages labelled iso-8859-1 (a
Content-Type left at a server's default) and GBK pages labelled UTF-8 (a template copied), while
Chinese text in a single-byte encoding does not exist, and random GBK bytes are almost never valid
UTF-8. No Scrapy here: parsers/ must run without it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, read_bom


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec used (Python's name)
    declared: Optional[str] = None  # what the header or the page said, normalised by w3lib; None if silent


def declared_encoding(body: bytes, content_type: Optional[str] = None) -> Optional[str]:
    """The charset the HTTP header, else the page itself, declares (gb2312/gbk → gb18030, as w3lib maps)."""
    header = http_content_type_encoding(content_type) if content_type else None
    return header or html_body_declared_encoding(body[:4096])


def decode(body: bytes, content_type: Optional[str] = None) -> Decoded:
    """Bytes of an HTML (or text) page → its text; never raises."""
    body = bytes(body or b"")
    declared = declared_encoding(body, content_type)
    bom, mark = read_bom(body)
    if bom:
        return Decoded(body[len(mark):].decode(bom, "replace"), bom, declared)
    for codec in ("utf-8", "gb18030"):
        try:
            return Decoded(body.decode(codec), codec, declared)
        except UnicodeDecodeError:
            continue
    if declared:
        try:
            return Decoded(body.decode(declared), declared, declared)
        except (UnicodeDecodeError, LookupError):
            pass
    encoding, text = html_to_unicode(content_type, body, default_encoding="gb18030")
    return Decoded(text, encoding, declared)


def decode_text(body: bytes, content_type: Optional[str] = None) -> str:
    return decode(body, content_type).text
