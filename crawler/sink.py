"""The archive sink: the only code that writes a crawl into the archive (one SQLite writer).

Used by the Scrapy pipeline of a one-process crawl (`crawler.pipelines.ArchivePipeline`, on the
reactor thread) and by the distributed writer (`crawler.distributed.writer`, which stores the
workers' page records) alike, so both modes archive a page the same way. No Scrapy here.

Per page (`store`): `Archive.record_page` (raw body, headers, time, sha256), then
`Archive.add_report` for a parsed report (new / changed / unchanged), `mark_removed` for a known
report that now answers 404/410, `record_error` for failures; then the page is journaled so a
killed crawl resumes after it, and the counters go to the journal at most once a second (the
resume state: a crawl stopped at any point resumes with its counters). At the end (`finish`),
after a complete crawl, reports that vanished from every listing are marked removed, and the run
is closed with `finish_crawl`.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import Counter
from typing import Any

from archive.feed import current_report
from crawler.items import PageItem, ReportItem
from crawler.parsing import load_callable
from crawler.state import Journal, default_jobdir, run_key
from crawler.urls import host_label

log = logging.getLogger(__name__)

SAVE_EVERY = 1.0  # seconds between two saves of the resume state while storing
GROUP_SECONDS = 0.5  # with group_commit: pages stored in one transaction at most this long


class ArchiveSink:
    """One crawl's writes: `open`, then `store` per page, then `finish` once."""

    def __init__(self, db_path: str, archive_class: str | None = None,
                 jobdir: str | None = None, group_commit: bool = False):
        """`group_commit`: pages stored within GROUP_SECONDS share one SQLite transaction, and are
        journaled only once it is committed (a commit per page cost the one-process crawl ~6 ms
        of its reactor per page). A crawl killed mid-group loses that group from the archive and
        the journal alike: the resumed crawl fetches those pages again."""
        self.group_commit = group_commit
        self._group: contextlib.ExitStack | None = None  # the open transaction of the group
        self._group_started = 0.0
        self._pending: list[tuple] = []  # journal entries of the group, written after its commit
        self.db_path = db_path or "archive.db"
        self.archive_class = archive_class or "archive.store:Archive"
        self.jobdir = jobdir or default_jobdir(self.db_path)
        self.counters: Counter[str] = Counter()
        self.seen_reports: set[str] = set()  # report/attachment URLs linked or confirmed this run
        self.discovery_errors: list[str] = []  # failures on listings: no removal check then
        self.archive: Any = None
        self.crawl_id: int | None = None
        self.journal: Journal | None = None
        self.resumed = False
        self.live: set[str] = set()  # the archive's live report URLs of the start hosts
        self.hosts: list[str] = []
        self._saved_at = 0.0

    # --- opening ---------------------------------------------------------------------------------
    def open(self, start_urls: list[str], settings_summary: dict[str, Any], *,
             journal: bool = True, resume_crawl_id: int | None = None) -> None:
        """Open the archive and begin (or resume) the crawl record. A one-process crawl resumes
        from its journal; the distributed writer keeps its resume state in Redis and the archive
        (journal=False, resume_crawl_id)."""
        if self.archive is not None:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self.db_path)), exist_ok=True)
        self.archive = load_callable(self.archive_class)(self.db_path)
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

    # --- storing ---------------------------------------------------------------------------------
    def store(self, item: PageItem) -> ReportItem | None:
        """Archive one fetched (or failed) page; the report it carries, with its archive facts,
        or None for anything that is not a report."""
        if self.group_commit and self._group is None:
            self._group = contextlib.ExitStack()
            self._group.enter_context(self.archive.db.atomic())
            self._group_started = time.monotonic()
        try:
            out = self._store(item)
        except BaseException:
            if self._group is not None and not self.archive.conn.in_transaction:
                # the error ended the group's transaction: its pages are not in the archive, so
                # they are not journaled either (a resumed or later crawl fetches them again)
                log.error("storing %s failed and undid %d pages stored with it", item.url, len(self._pending))
                self._group.pop_all()
                self._group, self._pending = None, []
            raise
        if self.journal is not None and item.status is not None:
            entry = (item.request_url, item.url, item.kind, item.links, out is not None, item.status,
                     item.not_modified)
            if self._group is not None:
                self._pending.append(entry)
            else:
                self._journal(entry)
        if self._group is not None and time.monotonic() - self._group_started >= GROUP_SECONDS:
            self.commit()
        return out

    def commit(self) -> None:
        """Commit the open group (if any), then journal its pages and save the counters: the
        journal never names a page the archive does not hold."""
        if self._group is not None:
            group, self._group = self._group, None
            group.close()  # COMMIT
        pending, self._pending = self._pending, []
        for entry in pending:
            self._journal(entry)

    def _store(self, item: PageItem) -> ReportItem | None:
        db, c = self.archive, self.counters
        out: ReportItem | None = None
        page_id = None
        if item.kind == "start":  # did any start URL answer? (the exit status says)
            c["start_ok" if item.status is not None and item.status not in (404, 410) else "start_failed"] += 1
        if item.status is None:
            c["errors"] += 1
            db.record_error(crawl_id=self.crawl_id, url=item.url, reason=item.error or "no response")
            if item.kind in ("start", "listing"):
                self.discovery_errors.append(item.url)
        else:
            c["pages"] += 1
            body: dict[str, Any] = {"body": item.body} if item.body_zlib is None else {
                "body_zlib": item.body_zlib, "sha256": item.body_sha256, "size": item.body_size}
            page_id = db.record_page(
                url=item.url, status=item.status, headers=item.headers, fetched_at=item.fetched_at,
                crawl_id=self.crawl_id, content_type=item.content_type, error=item.error, **body,
            )
            if item.status in (404, 410):
                c["not_found"] += 1
                db.record_error(crawl_id=self.crawl_id, url=item.url, reason=f"HTTP {item.status}")
                if item.url in self.live:
                    if db.mark_removed(item.url, when=item.fetched_at, crawl_id=self.crawl_id):
                        c["removed"] += 1
                    self.live.discard(item.url)
                if item.kind in ("start", "listing"):
                    self.discovery_errors.append(item.url)
            elif item.not_modified:
                c["not_modified"] += 1
                if item.url in self.live:
                    c["unchanged"] += 1
                    c["found"] += 1
                    # still there (reached through a redirect, its own URL was never linked)
                    self.seen_reports.add(item.url)
                    # a feed (-O) lists every report seen: the stored version stands in for the unsent body
                    stored = current_report(db.conn, item.url)
                    if stored is not None:
                        out = ReportItem(stored)
                        out.update(archive_status="unchanged", page_id=None, portal=item.portal,
                                   fetched_at=item.fetched_at)
            elif item.report is not None:
                c["found"] += 1
                extra = {"portal_region": item.portal_region} if item.portal_region else {}
                status, report_id = db.add_report(
                    item.report, page_id=page_id, crawl_id=self.crawl_id, portal=item.portal, **extra)
                c[status] += 1
                self.seen_reports.add(item.url)
                out = ReportItem(item.report)
                out.update(archive_status=status, report_id=report_id, page_id=page_id,
                           portal=item.portal, fetched_at=item.fetched_at)
            elif item.parse_status == "error":
                c["parse_errors"] += 1
                db.record_error(crawl_id=self.crawl_id, url=item.url,
                                reason=f"parse failed: {item.parse_error}")
            elif item.parse_status == "not_report":
                c["not_reports"] += 1
        return out

    def record_failure(self, url: str, reason: str) -> None:
        """Something that could not be archived as a page (e.g. a distributed page record that
        does not decode): an `errors` row, counted among the errors."""
        self.counters["errors"] += 1
        self.archive.record_error(crawl_id=self.crawl_id, url=url, reason=reason)

    def _journal(self, entry: tuple) -> None:
        request_url, url, kind, links, reported, status, not_modified = entry
        journal = self.journal
        assert journal is not None
        reports = [url] if reported else []
        journal.mark_done(request_url or url, kind, links, reports)
        if request_url and request_url != url:
            journal.mark_done(url, kind, links, reports)
        if kind == "detail" and status == 200 and not not_modified:
            journal.set_page_links(url, [lk for lk in links if lk[1] == "attachment"])
        now = time.monotonic()
        if now - self._saved_at >= SAVE_EVERY:  # the counters a resumed crawl starts from
            self._saved_at = now
            self.save_progress()

    def save_progress(self) -> None:
        if self.journal is not None:
            self.journal.save_stats({"counters": dict(self.counters)})

    # --- finishing -------------------------------------------------------------------------------
    def finish(self, reason: str, now: str) -> dict[str, Any]:
        """Close the crawl record (`reason`: Scrapy's finish reason; `now`: the closing time for
        removals) and the archive; returns the closing stats."""
        if self.archive is None:
            return {}
        self.commit()
        c = self.counters
        if reason == "finished" and not self.discovery_errors:
            for h in self.hosts:
                live = set(self.archive.live_report_urls(host=h))
                for url in sorted(live - self.seen_reports):
                    if self.archive.mark_removed(url, when=now, crawl_id=self.crawl_id):
                        c["removed"] += 1
                        log.info("removed (gone from its listing): %s", url)
        else:
            why = (f"crawl ended: {reason}" if reason != "finished" else
                   "listing errors" if self.discovery_errors else "page limit reached")
            c["removal_check_skipped"] = 1
            log.info("removal check skipped (%s): nothing marked removed from listings", why)
        stats = {
            "pages": c["pages"],
            "reports_found": c["found"],
            "reports_new": c["new"],
            "reports_changed": c["changed"],
            "reports_unchanged": c["unchanged"],
            "reports_removed": c["removed"],
            "not_modified": c["not_modified"],
            # every row of `errors` (404/410 answers are errors too, counted apart as well)
            "errors": c["errors"] + c["parse_errors"] + c["not_found"],
            "not_found": c["not_found"],
            "start_ok": c["start_ok"],
            "start_failed": c["start_failed"],
            "resumed_skipped": c["resumed_skipped"],
            "crawl_id": self.crawl_id,
            "offsite_blocked": c["offsite_blocked"],
            "robots_forbidden": c["robots_forbidden"],
            "finish_reason": reason,
            "resumed": self.resumed,
        }
        status = "finished" if reason == "finished" else "interrupted" if reason == "shutdown" else str(reason)
        self.archive.finish_crawl(self.crawl_id, stats=stats, status=status)
        if self.journal is not None:
            if reason == "finished":
                self.journal.finish()  # the next run is a fresh (incremental) crawl
            else:  # interrupted, or --max-pages: the next run continues this crawl
                self.save_progress()
            self.journal.close()
        self.archive.close()
        self.archive = None
        return stats
