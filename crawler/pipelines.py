"""Item pipelines: parse (ParsePipeline, 200), then store (ArchivePipeline, 300).

The archive pipeline is the Scrapy side of the one archive writer (`crawler.sink.ArchiveSink`,
on the reactor thread): the sink stores each page, its report, errors and removals and journals
the page for a resume; the distributed writer uses the same sink without Scrapy.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem

from crawler.items import PageItem
from crawler.parsing import ParseLimits, ParsePool, ParseStopped
from crawler.runtime import context_for
from crawler.sink import GROUP_SECONDS

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
        # the sink groups pages into one transaction; a quiet spell must not hold a group open
        from twisted.internet import task

        self._commits = task.LoopingCall(self.sink.commit)
        self._commits.start(GROUP_SECONDS, now=False)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        out = self.sink.store(item)
        if out is None:
            raise DropItem(f"page stored, not a report: {item.url}", log_level="DEBUG")
        return out

    def spider_closed(self, spider: Any, reason: str) -> None:
        commits = getattr(self, "_commits", None)
        if commits is not None and commits.running:
            commits.stop()
        if self.sink.archive is None:
            return
        stats = self.sink.finish(reason, spider.now())
        self.ctx.final_stats = stats
        if self.ctx.on_finished is not None:
            self.ctx.on_finished(stats)
