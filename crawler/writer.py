"""Distributed mode, writer side: the one process that writes the SQLite archive.

`nianbao crawl URL --db archive.db --redis redis://127.0.0.1:6379/0 --workers 2`:

1. clears the run's Redis keys (`nianbao:<run key>:*`), opens the archive and begins a crawl
   record, then announces it (`<prefix>:crawl`): workers wait for that before they start;
2. starts N local workers (`python -m crawler.distributed worker ...`), or none with
   `--workers 0` (workers on other machines: `scrapy crawl reports -s NIANBAO_ROLE=worker ...`);
3. pops page records from `<prefix>:items` and stores each with the same `ArchivePipeline` code
   a one-process crawl uses (record_page, add_report, record_error, mark_removed);
4. when the workers are done (local: all exited; remote: `<prefix>:done`), drains the list, adds
   the workers' own counters, and finishes the crawl record exactly as `ArchivePipeline` does at
   the end of a crawl (removals only after a complete crawl; a worker that stopped early makes
   the crawl incomplete); then deletes the run's keys.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace
from typing import Any, Callable

from crawler.distributed import Keys, connect, decode_page, redis_prefix

log = logging.getLogger(__name__)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BATCH = 200


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get_value(self, k: str, default: Any = None) -> Any:
        return self.values.get(k, default)

    def set_value(self, k: str, v: Any) -> None:
        self.values[k] = v

    def inc_value(self, k: str, n: int = 1, start: int = 0) -> None:
        self.values[k] = self.values.get(k, start) + n


def _start_urls(urls: list[str], portals: str | None) -> tuple[list[str], list[str | None]]:
    from crawler.spiders.reports import BUNDLED_PORTALS, load_portals

    if urls:
        return list(urls), [None]
    entries = load_portals(portals or BUNDLED_PORTALS)
    return [u for e in entries for u in e["start_urls"]], [e.get("name") for e in entries]


def _clear(server: Any, keys: Keys) -> None:
    batch = list(server.scan_iter(match=keys.all_pattern(), count=1000))
    for i in range(0, len(batch), 500):
        server.delete(*batch[i:i + 500])


def _worker_cmd(config: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "crawler.distributed", "worker", json.dumps(config)]


def run_distributed(urls: list[str], db: str, redis_url: str, workers: int, portals: str | None = None,
                    overrides: dict[str, Any] | None = None, output: str | None = None,
                    worker_overrides: dict[str, Any] | None = None,
                    on_progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run a distributed crawl with this process as the archive writer; returns the closing
    stats (as `run_crawl` does, plus `workers`: each worker's closing record)."""
    from crawler.cli import crawler_settings
    from crawler.pipelines import ArchivePipeline
    from crawler.spiders.reports import ReportsSpider

    ov = dict(overrides or {})
    start_urls, portal_names = _start_urls(urls, portals)
    server = connect(redis_url)
    try:
        server.ping()
    except Exception as e:  # noqa: BLE001
        raise SystemExit(f"nianbao crawl: cannot reach Redis at {_safe_url(redis_url)}: {e}") from None
    # the writer never resumes: the shared frontier starts afresh with the crawl record
    jobdir = tempfile.mkdtemp(prefix="nianbao-writer-")
    settings = crawler_settings(db, {**ov, "NIANBAO_JOBDIR": jobdir})
    keys = Keys(redis_prefix(settings, start_urls))
    _clear(server, keys)

    fake_spider = SimpleNamespace(now=ReportsSpider.now, settings=settings)
    crawler = SimpleNamespace(settings=settings, spider=fake_spider, stats=_Stats(), signals=None)
    pipeline = ArchivePipeline(crawler)
    ctx = pipeline.ctx
    summary = {k: settings.get(k) for k in (
        "ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
        "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "RETRY_TIMES", "NIANBAO_JS", "USER_AGENT")}
    summary.update(portals=portal_names, redis=_safe_url(redis_url), workers=workers)
    ctx.open(start_urls, summary)
    if ctx.journal is not None:  # the resume journal is for one-process crawls
        ctx.journal.close()
        ctx.journal = None
    shutil.rmtree(jobdir, ignore_errors=True)
    server.set(keys.crawl, str(ctx.crawl_id))

    procs: list[subprocess.Popen] = []
    wids: list[str] = []
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for i in range(workers):
        wids.append(f"{os.uname().nodename}:{os.getpid()}:w{i + 1}")
        config = {"redis": redis_url, "urls": urls, "portals": portals, "db": db, "worker_id": wids[-1],
                  "overrides": {**ov, **(worker_overrides or {})}}
        # own process group: a Ctrl-C reaches the writer only, which forwards one SIGINT (a second
        # one would make Scrapy stop without closing cleanly)
        procs.append(subprocess.Popen(_worker_cmd(config), env=env, process_group=0))

    feed = open(output, "w", encoding="utf-8") if output else None  # noqa: SIM115
    stop = {"signal": None}

    def _on_signal(signum: int, frame: Any) -> None:
        stop["signal"] = signum

    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    t0 = last = time.monotonic()
    written = 0
    reason = "finished"
    try:
        while True:
            n = _drain(server, keys, pipeline, ctx, feed)
            written += n
            now = time.monotonic()
            if on_progress and now - last >= 10:
                last = now
                on_progress(_line(ctx, written, server, keys, now - t0))
            if n:
                continue
            if stop["signal"] is not None:
                reason = "shutdown"
                for p in procs:
                    if p.poll() is None:
                        p.send_signal(signal.SIGINT)  # workers close, recording why
                for p in procs:
                    p.wait()
                written += _drain_all(server, keys, pipeline, ctx, feed)
                break
            if procs:
                for p, wid in zip(procs, wids):
                    if p.poll() not in (None, 0) and not server.hexists(keys.closed, wid):
                        # died without closing (kill -9, crash): its requests in flight are lost
                        server.srem(keys.workers, wid)
                        server.set(keys.lost, f"worker {wid} exited with status {p.returncode}", nx=True)
                if all(p.poll() is not None for p in procs):
                    written += _drain_all(server, keys, pipeline, ctx, feed)
                    break
            elif server.exists(keys.done) and not server.scard(keys.workers):
                written += _drain_all(server, keys, pipeline, ctx, feed)
                break
            got = server.blpop([keys.items], timeout=0.5)
            if got is not None:
                written += _store([got[1]], pipeline, ctx, feed)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if feed is not None:
            feed.close()

    closed = {k.decode(): json.loads(v) for k, v in server.hgetall(keys.closed).items()}
    for rec in closed.values():  # what only the workers counted (links ignored, robots.txt …)
        for k, v in (rec.get("counters") or {}).items():
            ctx.counters[k] += v
    lost = server.get(keys.lost)
    if reason == "finished":
        bad = [r["reason"] for r in closed.values() if r.get("reason") != "finished"]
        if lost or bad or (procs and any(p.returncode for p in procs)):
            reason = bad[0] if bad else "worker_lost"
            log.warning("crawl incomplete: %s", (lost or b"").decode() or reason)
    pages_fetched = sum(r.get("pages", 0) for r in closed.values())
    pipeline.spider_closed(fake_spider, reason)
    stats = dict(ctx.final_stats or {})
    stats.update(workers=closed, pages_fetched=pages_fetched, records_written=written,
                 elapsed=round(time.monotonic() - t0, 1))
    if lost:
        stats["incomplete"] = lost.decode()
    _clear(server, keys)  # the next run starts afresh (the writer never resumes a frontier)
    return stats


def _drain(server: Any, keys: Keys, pipeline: Any, ctx: Any, feed: Any) -> int:
    batch = server.lpop(keys.items, _BATCH)
    return _store(batch, pipeline, ctx, feed) if batch else 0


def _drain_all(server: Any, keys: Keys, pipeline: Any, ctx: Any, feed: Any) -> int:
    total = 0
    while n := _drain(server, keys, pipeline, ctx, feed):
        total += n
    return total


def _store(batch: list[bytes], pipeline: Any, ctx: Any, feed: Any) -> int:
    from scrapy.exceptions import DropItem

    noted: set[str] = ctx.__dict__.setdefault("_refused_links_noted", set())
    for data in batch:
        try:
            item = decode_page(data)
        except Exception as e:  # noqa: BLE001 - a bad record is an error, never a crash
            ctx.counters["errors"] += 1
            log.error("bad page record: %s", e)
            continue
        if item.status is None and item.kind == "link":
            # a refused link is noted once per worker; once in the archive, as in one process
            if item.url in noted:
                continue
            noted.add(item.url)
        for spec in item.links or ():  # what the spider marks as linked (removal check)
            if len(spec) > 1 and spec[1] in ("detail", "attachment"):
                ctx.seen_reports.add(spec[0])
        try:
            out = pipeline.process_item(item)
        except DropItem:
            continue
        if feed is not None:
            feed.write(json.dumps(dict(out), ensure_ascii=False, default=str) + "\n")
    return len(batch)


def _line(ctx: Any, written: int, server: Any, keys: Keys, el: float) -> str:
    c = ctx.counters
    return (f"nianbao (writer): {written} pages stored ({written / max(el, 1e-6):.1f}/s) | reports found "
            f"{c['found']} new {c['new']} changed {c['changed']} unchanged {c['unchanged']} | errors "
            f"{c['errors'] + c['parse_errors']} | queued {server.zcard(keys.requests)} | "
            f"workers {server.scard(keys.workers)} | {el:.0f}s")


def _safe_url(url: str) -> str:
    from urllib.parse import urlsplit

    p = urlsplit(url)
    if p.password:
        return url.replace(":" + p.password + "@", ":***@")
    return url


def summary_lines(stats: dict[str, Any]) -> list[str]:
    el = stats.get("elapsed") or 1e-6
    fetched = stats.get("pages_fetched", 0)
    lines = [
        f"nianbao crawl {stats.get('finish_reason')} in {el:.1f}s "
        f"({len(stats.get('workers') or {})} workers, one archive writer)",
        f"  pages fetched   {fetched} ({fetched / el:.1f}/s), stored {stats.get('pages', 0)}",
        f"  reports found   {stats.get('reports_found', 0)}: new {stats.get('reports_new', 0)}, changed "
        f"{stats.get('reports_changed', 0)}, unchanged {stats.get('reports_unchanged', 0)}, "
        f"removed {stats.get('reports_removed', 0)}",
        f"  errors          {stats.get('errors', 0)} (404/410: {stats.get('not_found', 0)}),"
        f" robots.txt forbade {stats.get('robots_forbidden', 0)}",
    ]
    for wid, rec in sorted((stats.get("workers") or {}).items()):
        lines.append(f"  worker {wid}: {rec.get('pages', 0)} pages, {rec.get('reason')}")
    if stats.get("incomplete"):
        lines.append(f"  incomplete: {stats['incomplete']} (removal check skipped)")
    return lines
