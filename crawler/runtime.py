"""State shared by the spider, middlewares, pipeline and progress extension of one crawl.

One `CrawlContext` per Scrapy crawler (`context_for(crawler)`): it owns the single `Archive`
connection (one writer: everything runs on the reactor thread), the resume journal, the parse
pool and the counters shown on the progress line.
"""
from __future__ import annotations

import logging
import os
import time
from collections import Counter
from typing import Any

from crawler.parsing import load_callable
from crawler.state import Journal, default_jobdir, run_key
from crawler.urls import host_label

log = logging.getLogger(__name__)

class CrawlContext:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        s = crawler.settings
        self.db_path: str = s.get("ARCHIVE_DB") or "archive.db"
        self.archive_class_path: str = s.get("NIANBAO_ARCHIVE_CLASS")
        self.jobdir: str = s.get("NIANBAO_JOBDIR") or default_jobdir(self.db_path)
        self.counters: Counter[str] = Counter()
        self.seen_reports: set[str] = set()  # report/attachment URLs linked or confirmed this run
        self.discovery_errors: list[str] = []  # failures on listings: no removal check then
        self.started = time.time()
        self.archive: Any = None
        self.crawl_id: int | None = None
        self.journal: Journal | None = None
        self.resumed = False
        self.live: set[str] = set()
        self.hosts: list[str] = []
        self.final_stats: dict[str, Any] | None = None
        self.on_finished: Any = None  # the progress extension prints the summary through this
        self.policy: Any = None  # crawler.policy.CrawlPolicy: set by the spider from its start URLs

    def open(self, start_urls: list[str], settings_summary: dict[str, Any], *,
             journal: bool = True, resume_crawl_id: int | None = None) -> None:
        """Open the archive and begin (or resume) the crawl record. A one-process crawl resumes
        from its journal; the distributed writer keeps its resume state in Redis and the archive
        (journal=False, resume_crawl_id)."""
        if self.archive is not None:
            return
        d = os.path.dirname(os.path.abspath(self.db_path))
        os.makedirs(d, exist_ok=True)
        self.archive = load_callable(self.archive_class_path)(self.db_path)
        if journal:
            self.journal = Journal(self.jobdir, run_key(start_urls))
            if self.journal.resumed_crawl_id is not None:
                resume_crawl_id = self.journal.resumed_crawl_id
                self.counters.update(self.journal.resumed_stats.get("counters", {}))
                log.info("resuming interrupted crawl %s (%d pages already done)", resume_crawl_id,
                         len(self.journal._done))
        if resume_crawl_id is not None:
            self.resumed = True
            self.crawl_id = resume_crawl_id
        else:
            self.crawl_id = self.archive.begin_crawl(start_urls=start_urls, settings=settings_summary)
            if self.journal is not None:
                self.journal.start(self.crawl_id)
        self.hosts = sorted({host_label(u) for u in start_urls if host_label(u)})
        for h in self.hosts:
            self.live |= set(self.archive.live_report_urls(host=h))

    def save_progress(self) -> None:
        if self.journal:
            self.journal.save_stats({"counters": dict(self.counters)})


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
