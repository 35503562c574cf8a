"""Archived pages shown safely: an allow-list HTML sanitizer (lxml) and the headers to serve it with.

Nothing active survives: only the listed tags and attributes are kept (no <script>, <style>,
<iframe>, <object>, <embed>, <form>, <svg>, <base>, <meta>, <link>; no on* handlers; no
javascript:/data:/vbscript: URLs; images become their alt text, since loading them would reach
the original site). The result is served with a Content-Security-Policy that forbids scripts,
frames, plugins and every network load, and sandboxes the document — a second wall should the
first ever miss something.
"""
from __future__ import annotations

import html
import re
from typing import Optional
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from parsers.decode import decode

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'; "
       "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
       "sandbox allow-popups allow-popups-to-escape-sandbox")
SAFE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, max-age=0",
}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "tt", "u", "ul", "article", "section", "header", "footer", "main", "nav", "figure",
    "figcaption", "label", "time", "mark",
}
# dropped together with everything inside them
DROP_WITH_CONTENT = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript", "template",
    "svg", "math", "canvas", "audio", "video", "source", "track", "head", "title", "meta", "link", "base",
    "form", "input", "button", "select", "textarea", "option", "param", "portal", "dialog",
}
ALLOWED_ATTRS = {
    "align", "valign", "colspan", "rowspan", "width", "height", "border", "cellpadding", "cellspacing",
    "style", "title", "lang", "dir", "href", "color", "face", "size", "bgcolor", "nowrap", "span",
}
# a style that loads something, runs something, or lifts the content out of its box (a fixed
# overlay over the "archived copy" banner with a fake login link): dropped whole
_BAD_STYLE_RE = re.compile(r"url\s*\(|expression|javascript|behavior|@import|-moz-binding|"
                           r"position\s*:\s*(?:fixed|sticky|absolute)|z-index|\\|/\*", re.I)
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def decode_body(body: bytes, content_type: Optional[str] = None) -> str:
    """Bytes → text by the shared decoder (parsers/decode.py), as the parser and the crawler read them."""
    return decode(body, content_type).text


def _safe_url(value: str, base: Optional[str]) -> Optional[str]:
    v = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(value or ""))
    if not v or v.startswith("#"):
        return None
    if base and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", v) and not v.startswith("//"):
        v = urljoin(base, v)
    if v.startswith("//"):
        v = "https:" + v
    return v if v.lower().startswith(_SAFE_SCHEMES) else None


def sanitize_html(markup: str, base_url: Optional[str] = None) -> str:
    """Untrusted HTML → inert HTML fragment (the body's content)."""
    if not markup or not markup.strip():
        return ""
    try:
        doc = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return "<pre>" + html.escape(markup) + "</pre>"
    body = doc.find("body")
    root = body if body is not None else doc
    for el in list(root.iter()):
        if el is root:
            continue
        if not isinstance(el.tag, str):  # comments, processing instructions
            el.drop_tree() if el.getparent() is not None else None
            continue
    for el in list(root.iter()):
        if el is root or el.getparent() is None or not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag in DROP_WITH_CONTENT:
            el.drop_tree()
            continue
        if tag == "img":
            alt = (el.get("alt") or "").strip()
            tail = el.tail
            span = etree.Element("span")
            span.text = f"[图片: {alt}]" if alt else "[图片]"
            span.tail = tail
            el.getparent().replace(el, span)
            continue
        if tag not in ALLOWED_TAGS:
            el.drop_tag()  # keep its text and children, lose the element
            continue
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in list(el.attrib):
            lname = name.lower()
            value = el.attrib[name]
            if lname not in ALLOWED_ATTRS or lname.startswith("on"):
                del el.attrib[name]
            elif lname == "href":
                safe = _safe_url(value, base_url)
                if safe:
                    el.attrib[name] = safe
                else:
                    del el.attrib[name]
            elif lname == "style" and _BAD_STYLE_RE.search(value):
                del el.attrib[name]
        if el.tag == "a" and el.get("href"):
            el.set("rel", "noopener noreferrer nofollow")
            el.set("target", "_blank")
    parts = [html.escape(root.text or "")] if root.text else []
    for child in root:
        parts.append(lxml.html.tostring(child, encoding="unicode"))
    return "".join(parts)


# Sanitizing is lxml work proportional to the element count: a dense page (`<i>x</i>` × 2 M)
# took 14.8 s and 600 MB per view. Beyond these it is not rendered (the raw bytes stay available).
MAX_SHOWN_BYTES = 4 * 1024 * 1024
MAX_SHOWN_ELEMENTS = 50_000


def too_large_to_show(body: bytes) -> Optional[str]:
    if len(body) > MAX_SHOWN_BYTES:
        return f"{len(body) // 1048576} MB, limit {MAX_SHOWN_BYTES // 1048576} MB"
    n = body.count(b"<") - body.count(b"</")
    if n > MAX_SHOWN_ELEMENTS:
        return f"{n:,} elements, limit {MAX_SHOWN_ELEMENTS:,}"
    return None


class ArchivedCopies:
    """The last rendered archived copies (an archived page never changes under its id), bounded
    by count and total size, so a page viewed again costs nothing."""

    def __init__(self, max_items: int = 64, max_chars: int = 32 * 1024 * 1024):
        from collections import OrderedDict
        import threading

        self.max_items, self.max_chars = max_items, max_chars
        self._docs: "OrderedDict[tuple, str]" = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple, make) -> str:  # noqa: ANN001 - make() -> str
        with self._lock:
            if key in self._docs:
                self._docs.move_to_end(key)
                self.hits += 1
                return self._docs[key]
        doc = make()
        with self._lock:
            self.misses += 1
            if len(doc) <= self.max_chars // 4:
                self._docs[key] = doc
                while len(self._docs) > self.max_items or sum(map(len, self._docs.values())) > self.max_chars:
                    self._docs.popitem(last=False)
        return doc


def archived_page(body: Optional[bytes], content_type: Optional[str], url: str, fetched_at: Optional[str],
                  page_id: int, back_href: Optional[str] = None, fallback_text: Optional[str] = None) -> str:
    """A whole HTML document showing the archived copy, sanitized, with a banner saying what it is."""
    ctype = (content_type or "").lower()
    looks_html = "html" in ctype or (body or b"")[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))
    if body is not None and looks_html and (why := too_large_to_show(body)):
        content = (f"<p>原页面过大，未显示（{html.escape(why)}）；原始字节可下载。 The original page is too large to "
                   "display; its raw bytes can be downloaded.</p>")
        if fallback_text:
            content += "<pre>" + html.escape(fallback_text) + "</pre>"
    elif body is not None and looks_html:
        content = sanitize_html(decode_body(body, content_type), base_url=url)
    elif body is not None and ("text/" in ctype or not ctype):
        content = "<pre>" + html.escape(decode_body(body, content_type)) + "</pre>"
    else:
        content = ("<p>原件为二进制文件（%s），下面是解析出的正文。 The original is a binary file; its extracted text follows.</p>"
                   % html.escape(content_type or "unknown")) + "<pre>" + html.escape(fallback_text or "") + "</pre>"
    safe_url = _safe_url(url, None)
    link = (f'<a href="{html.escape(safe_url)}" rel="noopener noreferrer nofollow" target="_blank">{html.escape(url)}</a>'
            if safe_url else html.escape(url))
    back = f' · <a href="{html.escape(back_href)}">返回报告 back to the report</a>' if back_href else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>存档副本 Archived copy #{page_id}</title>
<style>
body {{ font-family: "WenQuanYi Micro Hei", sans-serif; margin: 0; }}
.nianbao-banner {{ background: #fff6d5; border-bottom: 2px solid #d9b400; padding: .6em 1em; font-size: 14px;
  position: relative; z-index: 2147483647; }}
/* the archived content is painted inside its own box only (CSS containment): nothing in it can
   cover the banner, whatever the sanitizer let through */
.nianbao-archived {{ padding: 1em; contain: layout paint; position: relative; overflow: auto; isolation: isolate; }}
.nianbao-archived table {{ border-collapse: collapse; }}
.nianbao-archived td, .nianbao-archived th {{ border: 1px solid #999; padding: 2px 4px; }}
</style></head>
<body>
<div class="nianbao-banner" id="nianbao-banner">存档副本（已移除脚本与外部资源） Archived copy, scripts and external resources removed ·
原始网址 original: {link} · 抓取时间 fetched: {html.escape(fetched_at or "?")}{back}</div>
<div class="nianbao-archived" id="nianbao-archived">{content}</div>
</body></html>"""
