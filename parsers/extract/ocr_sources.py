"""Where the pictures of a report page come from: `<img src>` → bytes, or None; and whether
a report needs its pictures read at all (`tables_missing`, asked before OCR is imported).

    local_pictures(path)      next to a local HTML file (relative src resolved from its folder)
    web_pictures(page_url)    from the page's own host only, over http(s), through parsers.fetch
    data: URIs                 decoded inline, whatever the source

A source is a plain callable, so `parse_bytes` stays free of I/O unless it is handed one:
`nianbao parse FILE` and `parse URL` hand one, the crawler's parse workers hand `web_pictures`
(they fetch a report's few pictures themselves: see crawler/README.md, "Pictures").
"""
from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import unquote, urljoin, urlsplit

from parsers.model import ParseError, Row

PictureSource = Callable[[str], Optional[bytes]]  # src attribute → bytes, or None if unavailable

MAX_PICTURE_BYTES = 20 * 1024 * 1024
_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
_TABLE_MARKS = (("第二十条", "信息内容"), ("自然人",), ("行政复议",))  # table 2, 3, 4 headers


def tables_missing(grids: list[list[Row]]) -> bool:
    """True unless the source's own (text) tables already hold all three report tables:
    pictures are read only where there is no text for that part of the report."""
    cells = " ".join(v for g in grids for row in g for v in row if v)
    return not all(any(m in cells for m in marks) for marks in _TABLE_MARKS)


def is_picture(data: Optional[bytes]) -> bool:
    if not data:
        return False
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def data_uri(src: str) -> Optional[bytes]:
    m = re.match(r"data:image/[\w.+-]+;base64,(.*)$", src.strip(), re.S | re.I)
    if not m:
        return None
    try:
        data = base64.b64decode(m.group(1), validate=False)
    except ValueError:
        return None
    return data if is_picture(data) and len(data) <= MAX_PICTURE_BYTES else None


def local_pictures(path: str | Path) -> PictureSource:
    folder = Path(path).resolve().parent

    def get(src: str) -> Optional[bytes]:
        if src.startswith("data:"):
            return data_uri(src)
        parts = urlsplit(src)
        if parts.scheme or parts.netloc:
            return None  # a saved page pointing back to the web: not fetched for a local file
        rel = unquote(parts.path).lstrip("/")
        for p in (folder / rel, folder / Path(rel).name):  # "images/t1.png", or saved flat beside it
            try:
                if p.is_file() and p.stat().st_size <= MAX_PICTURE_BYTES:
                    data = p.read_bytes()
                    if is_picture(data):
                        return data
            except OSError:
                continue
        return None

    return get


def web_pictures(page_url: str, timeout: float = 20.0) -> PictureSource:
    """Pictures of `page_url`, fetched from the same host (a report's tables live beside
    it; a picture on another host is an advert or a tracker, not the report)."""
    host = (urlsplit(page_url).hostname or "").lower()

    def get(src: str) -> Optional[bytes]:
        if src.startswith("data:"):
            return data_uri(src)
        url = urljoin(page_url, src.strip())
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != host:
            return None
        from parsers.fetch import fetch

        try:
            got = fetch(url, timeout=timeout)
        except ParseError:
            return None
        body = got.body
        return body if is_picture(body) and len(body) <= MAX_PICTURE_BYTES else None

    return get
