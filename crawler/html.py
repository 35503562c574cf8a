"""Decoding and link extraction for discovery (lxml; no Scrapy selectors on the hot path)."""
from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

import lxml.html

from parsers.decode import decode

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Text of an HTML page and the encoding used, by the shared decoder (parsers/decode.py): valid
    UTF-8, then valid GB18030, beat the header's or the page's declaration (a UTF-8 page served as
    iso-8859-1 keeps its Chinese link texts)."""
    decoded = decode(body, content_type)
    return decoded.text, decoded.encoding


def parse_html(text: str):
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except Exception:  # noqa: BLE001 - broken markup: no links rather than a crash
        return None


def extract_links(doc, page_url: str) -> list[tuple[str, str]]:
    """(absolute URL without fragment, anchor text or title) for every <a href>/<area href>."""
    if doc is None:
        return []
    base = page_url
    for b in doc.iter("base"):
        if b.get("href"):
            base = urljoin(page_url, b.get("href").strip())
            break
    out: list[tuple[str, str]] = []
    for a in doc.iter("a", "area"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        try:
            url = urldefrag(urljoin(base, href))[0]
        except ValueError:
            continue
        title = (a.get("title") or "").strip()
        text = re.sub(r"\s+", " ", a.text_content() or "").strip()
        # listings often cut the text short and keep the full title in @title
        label = title if title and len(title) >= len(text) else text
        out.append((url, label))
    return out


def page_title(doc) -> str:
    if doc is None:
        return ""
    t = doc.find(".//title")
    return re.sub(r"\s+", " ", t.text_content()).strip() if t is not None else ""
