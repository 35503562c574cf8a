"""The archive pipeline: the only code that writes (one SQLite writer, on the reactor thread).

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

from crawler.items import PageItem
from crawler.runtime import context_for

log = logging.getLogger(__name__)


class ArchivePipeline:
    """The Scrapy side of the archive sink (`crawler.sink.ArchiveSink`): a report page goes on
    as a `ReportItem` (feeds), any other page stops here (DropItem); the closing stats go to
    `CrawlContext.final_stats` and the summary callback."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.ctx = context_for(crawler)
        self.sink = self.ctx.sink

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ArchivePipeline":
        o = cls(crawler)
        # spider_closed (not close_spider): it runs after every item is stored and knows why the
        # crawl ended, which decides whether "gone from the listing" may be concluded.
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.sink.open(list(spider.start_url_list), spider.settings_summary())

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        out = self.sink.store(item)
        if out is None:
            raise DropItem(f"page stored, not a report: {item.url}", log_level="DEBUG")
        return out

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.sink.archive is None:
            return
        stats = self.sink.finish(reason, spider.now())
        self.ctx.final_stats = stats
        if self.ctx.on_finished is not None:
            self.ctx.on_finished(stats)
