"""Plain text already taken off a portal (like ../shared/seeds/) → Document."""
from __future__ import annotations

from parsers.model import Document, ParseError


def decode_text(data: bytes) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, "replace")
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise ParseError("not text: undecodable bytes (binary data?)")


def extract_text(data: bytes, url: str) -> Document:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return Document(url=url, format="text", text=text, raw_text=text,
                    title_hint=lines[0] if lines else "", title_hints=lines[:15])
