"""State shared by the spider, middlewares, pipeline and progress extension of one crawl.

One `CrawlContext` per Scrapy crawler (`context_for(crawler)`): it holds the crawl's
`ArchiveSink` (the single `Archive` connection, the resume journal, the counters shown on the
progress line; one writer: everything runs on the reactor thread) and the crawl's policy.
"""
from __future__ import annotations

import logging
import os
import time
from collections import Counter
from typing import Any

from crawler.sink import ArchiveSink
from crawler.state import Journal

log = logging.getLogger(__name__)

class CrawlContext:
    """The crawl's archive sink plus what only the Scrapy side needs (policy, summary callback).
    The archive-facing attributes delegate to the sink, which owns them."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        s = crawler.settings
        self.sink = ArchiveSink(s.get("ARCHIVE_DB") or "archive.db", s.get("NIANBAO_ARCHIVE_CLASS"),
                                s.get("NIANBAO_JOBDIR") or None, group_commit=True)
        self.started = time.time()
        self.final_stats: dict[str, Any] | None = None
        self.on_finished: Any = None  # the progress extension prints the summary through this
        self.policy: Any = None  # crawler.policy.CrawlPolicy: set by the spider from its start URLs

    # the sink's state, read (and, for the collections, updated in place) by the spider,
    # middlewares and progress extension
    @property
    def db_path(self) -> str:
        return self.sink.db_path

    @property
    def jobdir(self) -> str:
        return self.sink.jobdir

    @property
    def counters(self) -> Counter[str]:
        return self.sink.counters

    @property
    def seen_reports(self) -> set[str]:
        return self.sink.seen_reports

    @property
    def discovery_errors(self) -> list[str]:
        return self.sink.discovery_errors

    @property
    def archive(self) -> Any:
        return self.sink.archive

    @property
    def crawl_id(self) -> int | None:
        return self.sink.crawl_id

    @property
    def journal(self) -> Journal | None:
        return self.sink.journal


def context_for(crawler: Any) -> CrawlContext:
    ctx = getattr(crawler, "_nianbao_ctx", None)
    if ctx is None:
        ctx = CrawlContext(crawler)
        crawler._nianbao_ctx = ctx
    return ctx


def failure_lines(db_path: str, crawl_id: int | None, first: int = 5) -> list[str]:
    """The summary's list of failed pages: the first few of this crawl's `errors` rows (pages that
    failed before links refused), and the query that lists them all."""
    import sqlite3
    from pathlib import Path

    if crawl_id is None or not os.path.exists(db_path):
        return []
    try:
        con = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            total = con.execute("SELECT count(*) FROM errors WHERE crawl_id = ?", (crawl_id,)).fetchone()[0]
            rows = con.execute(
                "SELECT url, reason FROM errors WHERE crawl_id = ? "
                "ORDER BY reason LIKE 'not fetched (%', id LIMIT ?", (crawl_id, first)).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []
    if not total:
        return []
    lines = [f"  failed          {total} page(s)" + (f", the first {len(rows)}:" if total > len(rows) else ":")]
    lines += [f"    {url}  {reason[:160]}" for url, reason in rows]
    stem = Path(db_path).stem
    lines.append(f'  all of them: sqlite3 {db_path} "SELECT url, reason FROM errors WHERE crawl_id = {crawl_id}"'
                 f"  (Datasette: /{stem}/errors?crawl_id={crawl_id})")
    return lines
