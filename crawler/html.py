"""Decoding and link extraction for discovery (lxml; no Scrapy selectors on the hot path)."""
from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

import lxml.html

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80", "euc-cn"}


def _norm(enc: str) -> str:
    e = enc.strip().lower()
    return "gb18030" if e in _GB else e


def charset_of(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type)
    return m.group(1) if m else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Text of an HTML page and the encoding used: the header's charset, then <meta charset>, then
    UTF-8, then GB18030 — each tried strictly, so a declaration that lies is skipped. (Scrapy's
    own guess for an undeclared page is not GB-aware.)"""
    tried: list[str] = []
    for enc in (charset_of(content_type), None, "utf-8", "gb18030"):
        if enc is None:
            m = _META_CHARSET.search(body[:4096])
            enc = m.group(1).decode("ascii", "ignore") if m else None
        if not enc:
            continue
        enc = _norm(enc)
        if enc in tried:
            continue
        tried.append(enc)
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("gb18030", errors="replace"), "gb18030"


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
