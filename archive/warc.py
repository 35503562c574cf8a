"""`nianbao export-warc`: every archived fetch as a WARC response record (warcio), for web-archive tools.

One `warcinfo` record, then per `pages` row with a body: a `response` record carrying a
reconstructed HTTP/1.1 status line and the stored headers (Content-Encoding / Transfer-Encoding
dropped: the stored body is decoded), with WARC-Date = fetched_at and WARC-Payload-Digest of the
body. Fetches without a body (errors) are skipped and counted.
"""
from __future__ import annotations

import datetime as _dt
import json
from http.client import responses
from io import BytesIO
from typing import Optional

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .store import decompress

_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


def _warc_date(value: Optional[str]) -> str:
    if not value:
        return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        d = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if d.tzinfo is None:
            d = d.replace(tzinfo=_dt.timezone.utc)
        return d.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return value


def export_warc(db_path: str, out_path: str) -> dict:
    """Write `out_path` (gzip per record when it ends in .gz). Returns counts."""
    from sqlite_utils.utils import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    written = skipped = 0
    try:
        with open(out_path, "wb") as fh:
            writer = WARCWriter(fh, gzip=out_path.endswith(".gz"))
            info = writer.create_warcinfo_record(
                out_path.rsplit("/", 1)[-1], {"software": "nianbao export-warc", "format": "WARC File Format 1.0"})
            writer.write_record(info)
            for pid, url, status, fetched_at, ctype, headers, body, comp in conn.execute(
                    "SELECT id, url, status, fetched_at, content_type, headers, body, compression FROM pages ORDER BY id"):
                data = decompress(body, comp)
                if data is None or not url:
                    skipped += 1
                    continue
                hdrs = [(k, v) for k, v in (json.loads(headers) if headers else {}).items()
                        if k.lower() not in _HOP_HEADERS]
                if ctype and not any(k.lower() == "content-type" for k, _ in hdrs):
                    hdrs.append(("Content-Type", ctype))
                hdrs.append(("Content-Length", str(len(data))))
                code = int(status or 200)
                http = StatusAndHeaders(f"{code} {responses.get(code, 'Unknown')}", hdrs, protocol="HTTP/1.1")
                rec = writer.create_warc_record(
                    url, "response", payload=BytesIO(data), http_headers=http,
                    warc_headers_dict={"WARC-Date": _warc_date(fetched_at), "WARC-Nianbao-Page-Id": str(pid)})
                writer.write_record(rec)
                written += 1
    finally:
        conn.close()
    return {"records": written, "skipped": skipped}
