"""Live progress line on stderr and the closing summary (which names the pages that failed)."""
from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.runtime import context_for, failure_lines


class ProgressExtension:
    def __init__(self, crawler: Any):
        if not crawler.settings.getbool("NIANBAO_PROGRESS", True):
            raise NotConfigured
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 1.0)
        self.tty = sys.stderr.isatty()
        self.live = crawler.settings.getbool("NIANBAO_PROGRESS_LINE", True)  # -q: the summary only
        self.loop: task.LoopingCall | None = None
        self.t0 = time.monotonic()
        self._last_line = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ProgressExtension":
        o = cls(crawler)
        crawler.signals.connect(o.opened, signal=signals.spider_opened)
        crawler.signals.connect(o.closed, signal=signals.spider_closed)
        return o

    def opened(self, spider: Any) -> None:
        self.t0 = time.monotonic()
        ctx = context_for(self.crawler)
        ctx.on_finished = self.summary
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def line(self) -> str:
        c = context_for(self.crawler).counters
        el = max(1e-6, time.monotonic() - self.t0)
        fetched = self.crawler.stats.get_value("response_received_count", 0)
        return (f"nianbao: {fetched} pages fetched ({fetched / el:.1f}/s) | reports found "
                f"{c['found']} new {c['new']} changed {c['changed']} unchanged {c['unchanged']} "
                f"removed {c['removed']} | errors {c['errors'] + c['parse_errors'] + c['not_found']} "
                f"404 {c['not_found']} | {el:.0f}s")

    def tick(self) -> None:
        now = time.monotonic()
        if not self.live:
            return
        if self.tty:
            sys.stderr.write("\r\x1b[K" + self.line())
            sys.stderr.flush()
        elif now - self._last_line >= max(10.0, self.interval):  # logs: one line per 10 s
            self._last_line = now
            sys.stderr.write(self.line() + "\n")
            sys.stderr.flush()

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.tty and self.live:
            sys.stderr.write("\r\x1b[K")

    def summary(self, stats: dict[str, Any]) -> None:
        el = max(1e-6, time.monotonic() - self.t0)
        c = context_for(self.crawler).counters
        fetched = self.crawler.stats.get_value("response_received_count", 0)
        lines = [
            f"nianbao crawl {stats.get('finish_reason')} in {el:.1f}s"
            + (" (resumed)" if stats.get("resumed") else ""),
            f"  pages fetched   {fetched} ({fetched / el:.1f}/s), 304 not modified {c['not_modified']},"
            f" skipped as already done {c['resumed_skipped']}",
            f"  reports found   {c['found']}: new {c['new']}, changed {c['changed']},"
            f" unchanged {c['unchanged']}, removed {c['removed']}",
            f"  not reports     {c['not_reports']} pages parsed and refused",
            f"  errors          {stats.get('errors', 0)} (404/410: {c['not_found']}),"
            f" robots.txt forbade {c['robots_forbidden']},"
            f" links to other hosts ignored {c['offsite_links']} (+{c['offsite_blocked']} redirects/requests refused)",
        ]
        if c["rendered"]:
            lines.append(f"  JS listings rendered with Chromium: {c['rendered']}")
        if c["removal_check_skipped"]:
            lines.append("  removal check skipped: the crawl was incomplete")
        ctx = context_for(self.crawler)
        lines += failure_lines(ctx.db_path, stats.get("crawl_id"))
        if not stats.get("start_ok") and not stats.get("resumed_skipped"):
            lines.append("  no start URL could be crawled")
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()
