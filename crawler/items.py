"""Items. The spider yields one `PageItem` per fetch (raw page, discovered links, whether it is a
report candidate); the parse pipeline adds the parse result, the archive pipeline stores it and passes on a `ReportItem` (the report dict of
report-schema.md plus archive facts) for each report, which is what feed exports (`-O x.jsonl`)
write. Pages that are not reports stop at the pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class PageItem:
    url: str
    kind: str  # start, nav, listing, detail, attachment
    status: Optional[int]  # None: no response (timeout, connection error, blocked)
    fetched_at: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: Optional[str] = None
    error: Optional[str] = None
    portal: Optional[str] = None
    portal_region: Optional[str] = None
    request_url: Optional[str] = None  # before redirects
    to_parse: bool = False  # a report candidate: the parse pipeline (crawler.pipelines.ParsePipeline) reads it
    report: Optional[dict[str, Any]] = None
    parse_status: Optional[str] = None  # ok, not_report, error
    parse_error: Optional[str] = None
    links: list = field(default_factory=list)  # follow specs for the journal: [url, kind, extra]
    not_modified: bool = False
    rendered: bool = False
    # the body as a distributed worker sends it (zlib): stored as is, `body` stays empty
    body_zlib: Optional[bytes] = None
    body_sha256: Optional[str] = None
    body_size: Optional[int] = None


class ReportItem(dict):
    """A report as report-schema.md describes it, plus `archive_status` (new/changed/unchanged),
    `report_id`, `page_id`, `portal` and `fetched_at`."""
