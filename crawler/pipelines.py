"""Item pipelines: parse (ParsePipeline, 200), then store (ArchivePipeline, 300).

The archive pipeline is the only code that writes (one SQLite writer, on the reactor thread).

Per fetched page: `Archive.record_page` (raw body, headers, time, sha256), then
`Archive.add_report` for a parsed report (new / changed / unchanged), `mark_removed` for a known
report that now answers 404/410, `record_error` for failures; then the page is journaled so a
killed crawl resumes after it. At the end of a complete crawl, reports that vanished from every
listing are marked removed, and the run is closed with `finish_crawl`.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem

from archive.feed import current_report
from crawler.items import PageItem, ReportItem
from crawler.parsing import ParseLimits, ParsePool, ParseStopped
from crawler.runtime import context_for

log = logging.getLogger(__name__)


class ParsePipeline:
    """Parsing as a pipeline stage: a page the spider marked as a report candidate
    (`PageItem.to_parse`) is parsed in the process pool (crawler/parsing.py, both cores, off the
    reactor) and gets its report, or the reason it is not one. The spider only fetches and
    follows links; a distributed worker runs this stage too, before sending the record to Redis.

    A parse cut short by Ctrl-C (`ParseStopped`) drops the page quietly: neither archived nor
    journaled, so the resumed crawl fetches and parses it again (recording it as an error would
    lose the report for good)."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.pool: ParsePool | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ParsePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        s = self.crawler.settings
        # stopping: a Ctrl-C ends parses in progress instead of waiting for them
        self.pool = ParsePool(s.getint("NIANBAO_PARSE_WORKERS", 0), s.get("NIANBAO_PARSER"),
                              ParseLimits.from_settings(s),
                              stopping=lambda: not getattr(self.crawler.engine, "running", False))
        # a forced stop (second Ctrl-C) stops the reactor without closing the pipelines: the parse
        # workers are killed then too, or the interpreter's exit would wait for a running parse
        from twisted.internet import reactor

        reactor.addSystemEventTrigger("before", "shutdown", self.pool.close)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem) or not item.to_parse or self.pool is None:
            return item
        try:
            status, data = await self.pool.parse(item.body, item.url, item.content_type)
        except ParseStopped:
            raise DropItem(f"not parsed (the crawl is stopping): {item.url}", log_level="INFO") from None
        item.to_parse = False
        item.parse_status = status
        if status == "ok":
            item.report = data
        else:
            item.parse_error = data
            # the page is archived with the reason (pages.error); parse errors also go to `errors`
            item.error = (f"not a report: {data}" if status == "not_report" else f"parse failed: {data}")[:500]
        return item


class ArchivePipeline:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.ctx = context_for(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ArchivePipeline":
        o = cls(crawler)
        # spider_closed (not close_spider): it runs after every item is stored and knows why the
        # crawl ended, which decides whether "gone from the listing" may be concluded.
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.ctx.open(list(spider.start_url_list), spider.settings_summary())

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        ctx, db = self.ctx, self.ctx.archive
        c = ctx.counters
        out: ReportItem | None = None
        page_id = None
        if item.kind == "start":  # did any start URL answer? (the exit status says)
            c["start_ok" if item.status is not None and item.status not in (404, 410) else "start_failed"] += 1
        if item.status is None:
            c["errors"] += 1
            db.record_error(crawl_id=ctx.crawl_id, url=item.url, reason=item.error or "no response")
            if item.kind in ("start", "listing"):
                ctx.discovery_errors.append(item.url)
        else:
            c["pages"] += 1
            body: dict[str, Any] = {"body": item.body} if item.body_zlib is None else {
                "body_zlib": item.body_zlib, "sha256": item.body_sha256, "size": item.body_size}
            page_id = db.record_page(
                url=item.url, status=item.status, headers=item.headers, fetched_at=item.fetched_at,
                crawl_id=ctx.crawl_id, content_type=item.content_type, error=item.error, **body,
            )
            if item.status in (404, 410):
                c["not_found"] += 1
                db.record_error(crawl_id=ctx.crawl_id, url=item.url, reason=f"HTTP {item.status}")
                if item.url in ctx.live:
                    if db.mark_removed(item.url, when=item.fetched_at, crawl_id=ctx.crawl_id):
                        c["removed"] += 1
                    ctx.live.discard(item.url)
                if item.kind in ("start", "listing"):
                    ctx.discovery_errors.append(item.url)
            elif item.not_modified:
                c["not_modified"] += 1
                if item.url in ctx.live:
                    c["unchanged"] += 1
                    c["found"] += 1
                    # still there (reached through a redirect, its own URL was never linked)
                    ctx.seen_reports.add(item.url)
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
                    item.report, page_id=page_id, crawl_id=ctx.crawl_id, portal=item.portal, **extra)
                c[status] += 1
                ctx.seen_reports.add(item.url)
                out = ReportItem(item.report)
                out.update(archive_status=status, report_id=report_id, page_id=page_id,
                           portal=item.portal, fetched_at=item.fetched_at)
            elif item.parse_status == "error":
                c["parse_errors"] += 1
                db.record_error(crawl_id=ctx.crawl_id, url=item.url,
                                reason=f"parse failed: {item.parse_error}")
            elif item.parse_status == "not_report":
                c["not_reports"] += 1
        if ctx.journal is not None and item.status is not None:
            reports = [item.url] if out is not None else []
            ctx.journal.mark_done(item.request_url or item.url, item.kind, item.links, reports)
            if item.request_url and item.request_url != item.url:
                ctx.journal.mark_done(item.url, item.kind, item.links, reports)
            if item.kind == "detail" and item.status == 200 and not item.not_modified:
                ctx.journal.set_page_links(item.url, [l for l in item.links if l[1] == "attachment"])
        if out is None:
            raise DropItem(f"page stored, not a report: {item.url}", log_level="DEBUG")
        return out

    def spider_closed(self, spider: Any, reason: str) -> None:
        ctx = self.ctx
        if ctx.archive is None:
            return
        complete = reason == "finished" and not ctx.discovery_errors
        if complete:
            for h in ctx.hosts:
                live = set(ctx.archive.live_report_urls(host=h))
                for url in sorted(live - ctx.seen_reports):
                    if ctx.archive.mark_removed(url, when=spider.now(), crawl_id=ctx.crawl_id):
                        ctx.counters["removed"] += 1
                        log.info("removed (gone from its listing): %s", url)
        else:
            why = (f"crawl ended: {reason}" if reason != "finished" else
                   "listing errors" if ctx.discovery_errors else "page limit reached")
            ctx.counters["removal_check_skipped"] = 1
            log.info("removal check skipped (%s): nothing marked removed from listings", why)
        stats = {
            "pages": ctx.counters["pages"],
            "reports_found": ctx.counters["found"],
            "reports_new": ctx.counters["new"],
            "reports_changed": ctx.counters["changed"],
            "reports_unchanged": ctx.counters["unchanged"],
            "reports_removed": ctx.counters["removed"],
            "not_modified": ctx.counters["not_modified"],
            # every row of `errors` (404/410 answers are errors too, counted apart as well)
            "errors": ctx.counters["errors"] + ctx.counters["parse_errors"] + ctx.counters["not_found"],
            "not_found": ctx.counters["not_found"],
            "start_ok": ctx.counters["start_ok"],
            "start_failed": ctx.counters["start_failed"],
            "resumed_skipped": ctx.counters["resumed_skipped"],
            "crawl_id": ctx.crawl_id,
            "offsite_blocked": ctx.counters["offsite_blocked"],
            "robots_forbidden": ctx.counters["robots_forbidden"],
            "finish_reason": reason,
            "resumed": ctx.resumed,
        }
        status = "finished" if reason == "finished" else "interrupted" if reason == "shutdown" else str(reason)
        ctx.archive.finish_crawl(ctx.crawl_id, stats=stats, status=status)
        ctx.final_stats = stats
        if ctx.journal is not None:
            if reason == "finished":
                ctx.journal.finish()  # the next run is a fresh (incremental) crawl
            else:  # interrupted, or --max-pages: the next run continues this crawl
                ctx.save_progress()
            ctx.journal.close()
        ctx.archive.close()
        ctx.archive = None
        if ctx.on_finished is not None:
            ctx.on_finished(stats)
