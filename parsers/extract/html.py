"""HTML pages → Document: decoded text, trafilatura body text, lxml table grids, <meta> facts."""
from __future__ import annotations

import re
from typing import Optional

import lxml.html
import trafilatura
from lxml import etree

from parsers.decode import decode
from parsers.extract.ocr_sources import tables_missing
from parsers.model import Document, ParseError, Row

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
               "article", "ul", "ol", "dd", "dt", "center", "blockquote", "pre", "hr", "form"}
_META_NAMES = {
    "articletitle": "title", "og:title": "title", "title": "title",
    "pubdate": "pubdate", "publishdate": "pubdate", "firstpublishedtime": "pubdate",
    "article:published_time": "pubdate", "dc.date": "pubdate", "date": "pubdate",
    "contentsource": "source", "source": "source", "author": "author",
    "siteidcode": "site_code", "sitename": "site_name", "columnname": "column",
}
MAX_HTML_BYTES = 40 * 1024 * 1024


def decode_html(data: bytes, content_type: Optional[str] = None) -> str:
    """Bytes → text by the one shared decoder (parsers/decode.py): valid UTF-8, then valid GB18030,
    beat any declaration."""
    return decode(data, content_type).text


def _cell_text(cell) -> str:
    return re.sub(r"[ \t\r\n\u00a0\u3000]+", " ", cell.text_content()).strip()


def table_grid(table) -> list[Row]:
    """A <table> → grid rows, rowspan text repeated down, colspan slots as None."""
    grid: list[Row] = []
    carried: dict[int, list] = {}  # grid column → [text, rows still covered] from a rowspan above
    for tr in table.iter("tr"):
        if _owning_table(tr) is not table:
            continue
        row: Row = []

        def take_carried(upto: Optional[int] = None) -> None:
            while len(row) in carried and (upto is None or len(row) < upto):
                col = len(row)
                row.append(carried[col][0])
                carried[col][1] -= 1
                if carried[col][1] == 0:
                    del carried[col]

        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            take_carried()
            text = _cell_text(td)
            colspan, rowspan = _span(td.get("colspan")), _span(td.get("rowspan"))
            start = len(row)
            row.append(text)
            row.extend([None] * (colspan - 1))
            if rowspan > 1:
                for k in range(colspan):
                    carried[start + k] = [text if k == 0 else None, rowspan - 1]
        take_carried()
        for col in sorted(c for c in carried if c > len(row)):  # rowspans past a short row
            row.extend([""] * (col - len(row)))
            take_carried()
        grid.append(row)
    return grid


def _span(value: Optional[str]) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", value or "1") or 1), 60))
    except ValueError:
        return 1


def _owning_table(el):
    parent = el.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def leaf_tables(root) -> list:
    """Tables holding no other table: data tables, not layout ones."""
    return [t for t in root.iter("table") if not t.xpath(".//table")]


def _meta(root) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        key = _META_NAMES.get(name)
        content = (el.get("content") or "").strip()
        if key and content and key not in out:
            out[key] = content
    if "pubdate" not in out:  # UCAP CMS: <publishtime>2024-01-17</publishtime>
        for el in root.iter("publishtime"):
            if (el.text or "").strip():
                out["pubdate"] = el.text.strip()
                break
    return out


def _title_hints(root) -> list[str]:
    hints = []
    for xp in ("//meta[@name='ArticleTitle']/@content", "//h1", "//h2", "//h3",
               "//*[contains(@class,'title') or contains(@id,'title')]", "//title"):
        for el in root.xpath(xp)[:6]:
            text = el if isinstance(el, str) else el.text_content()
            text = re.sub(r"\s+", " ", str(text)).strip()
            if text:
                hints.append(text)
    return hints


def block_text(el) -> str:
    """Text of an element with line breaks at block boundaries and tables as pipe rows."""
    parts: list[str] = []

    def walk(node):
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in ("script", "style", "noscript", "template") or not isinstance(node.tag, str):
            if node.tail:
                parts.append(node.tail)
            return
        if tag == "table" and not node.xpath(".//table"):
            parts.append("\n")
            for row in table_grid(node):
                parts.append(" | ".join(c for c in row if c is not None) + " |\n")
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
            if tag in _BLOCK_TAGS:
                parts.append("\n")
        if node.tail:
            parts.append(node.tail)

    walk(el)
    text = "".join(parts).replace("\u00a0", " ")
    text = re.sub(r"[ \t\r\f\v]+\n", "\n", text)
    return re.sub(r"\n{2,}", "\n", text).strip()


def extract_html(data: bytes, url: str, content_type: Optional[str] = None,
                 pictures=None) -> Document:
    """`pictures`: a callable src → bytes (parsers/extract/ocr_sources.py); when given, tables
    that the page shows only as pictures are read by OCR."""
    if len(data) > MAX_HTML_BYTES:
        raise ParseError(f"page too large ({len(data) // 1048576} MB)")
    html = _XML_DECL.sub("", decode_html(data, content_type))
    if not html.strip():
        raise ParseError("empty page")
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    meta = _meta(root)
    hints = _title_hints(root)
    tables = [table_grid(t) for t in leaf_tables(root)]
    body = root.find("body")
    raw_text = block_text(body if body is not None else root)
    # the report's own element (the smallest one holding its first and last sections) is the
    # body without the chrome: read directly, it spares trafilatura (half the parse time); a page
    # where no such element stands out goes through trafilatura
    container = report_container(root)
    own = block_text(container) if container is not None else ""
    if container is not None and container.tag not in ("html", "body") and _has_report_body(own):
        text = own
    else:
        text = trafilatura.extract(html, include_tables=True, include_comments=False,
                                   favor_recall=True, deduplicate=False) or ""
        if not _has_report_body(text) or _inside_layout_table(text):
            # trafilatura lost the report, or kept a whole table-layout page as one table
            own = own or raw_text
            if _has_report_body(own):
                text = own
    doc = Document(url=url, format="html", text=text, tables=tables, meta=meta,
                   raw_text=raw_text, title_hint=hints[0] if hints else "",
                   title_hints=hints)
    if pictures is not None:
        _read_body_pictures(root, doc, pictures)
    return doc


def _legacy_title(hints: list[str]) -> bool:
    """A report for a year before 2019 has no standard tables to find in its pictures."""
    for h in hints[:4]:
        if m := re.search(r"(20[0-2]\d)\s*年", h or ""):
            return int(m.group(1)) < 2019
    return False


def _read_body_pictures(root, doc: Document, pictures) -> None:
    """OCR the <img>s of the report body when its tables are not on the page as text."""
    if not tables_missing(doc.tables) or _legacy_title(doc.title_hints):
        return
    container = report_container(root)
    scope = container if container is not None else (root.find("body") if root.find("body") is not None else root)
    items, seen = [], set()
    for img in scope.iter("img"):
        src = (img.get("src") or img.get("data-src") or img.get("original-src") or "").strip()
        if not src or src in seen:
            continue
        seen.add(src)
        sizes = [int(v) if (v := (img.get(a) or "").strip()).isdigit() else 0 for a in ("width", "height")]
        if any(0 < v < 120 for v in sizes):  # icons, badges, spacer gifs
            continue
        data = pictures(src)
        if data:
            items.append((src[:200] if not src.startswith("data:") else "data: URI", data))
    if items:
        from parsers.extract.ocr import read_pictures  # numpy and the OCR model: only for pictures

        read_pictures(items, doc, "picture")


def report_container(root):
    """The smallest element holding the report's first and last sections."""
    first = root.xpath("//body//*[contains(text(),'总体情况') or contains(text(),'根据《中华人民共和国政府信息公开条例')]")
    last = root.xpath("//body//*[contains(text(),'其他需要报告') or contains(text(),'存在的主要问题')]")
    if not first or not last:
        return None
    ancestors = set(first[0].iterancestors())
    ancestors.add(first[0])
    node = last[-1]
    while node is not None and node not in ancestors:
        node = node.getparent()
    return node


def _inside_layout_table(text: str) -> bool:
    return any(ln.lstrip().startswith("|") and h in ln for ln in text.splitlines() for h in ("总体情况", "其他需要报告"))


_HEADINGS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请", "行政复议", "存在的主要问题",
             "其他需要报告")


def _has_report_body(text: str) -> bool:
    return sum(1 for h in _HEADINGS if h in text) >= 3
