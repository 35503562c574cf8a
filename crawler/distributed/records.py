"""Page records through Redis: a worker's PageItem as bytes, and back in the writer."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib

from crawler.items import PageItem


def encode_page(item: PageItem, record_id: str = "") -> bytes:
    """A PageItem as bytes: JSON of every field but the body, NUL, the zlib'd body. Compressed
    here at the archive's level, so the writer stores the stream as it is (`record_page(
    body_zlib=…)` checks it against the sha256 and size sent with it): the one writer's CPU is
    what limits how many workers it serves. Not pickle: the writer never runs code from Redis."""
    meta = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)
            if f.name not in ("body", "body_zlib", "body_sha256", "body_size")}
    body = item.body or b""
    meta["_sha256"] = hashlib.sha256(body).hexdigest()
    meta["_size"] = len(body)
    meta["_rid"] = record_id
    head = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return head + b"\0" + (zlib.compress(body, 6) if body else b"")


def record_id(data: bytes) -> str:
    """The `<worker id>#<n>` of an encoded page record, without decoding the rest ("" when the
    record has none, or is too damaged to show it)."""
    head = data.partition(b"\0")[0]
    i = head.rfind(b'"_rid":"')
    if i < 0:
        return ""
    j = head.find(b'"', i + 8)
    return head[i + 8:j].decode("utf-8", "replace") if j >= 0 else ""


def decode_page(data: bytes) -> PageItem:
    """The PageItem of a record, its body still compressed (`body_zlib`; checked when stored).
    Raises ValueError (or TypeError) for a record that is not one."""
    head, sep, packed = data.partition(b"\0")
    if not sep:
        raise ValueError("no NUL between the record's head and its body")
    meta = json.loads(head)
    if not isinstance(meta, dict):
        raise ValueError("the record's head is not a JSON object")
    meta.pop("_rid", None)
    sha, size = meta.pop("_sha256", None), meta.pop("_size", None)
    names = {f.name for f in dataclasses.fields(PageItem)}
    item = PageItem(**{k: v for k, v in meta.items() if k in names})
    if packed:
        item.body_zlib, item.body_sha256, item.body_size = packed, sha, size
    return item
