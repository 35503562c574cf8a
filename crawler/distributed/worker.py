"""Distributed mode, worker side: what `NIANBAO_ROLE=worker` switches on in a `reports` crawl.

The worker stores nothing: every page record goes to `<prefix>:items` for the one archive
writer. Everything here that runs on the reactor and talks to Redis uses `redis.asyncio`.

    python -m crawler.distributed.worker JSON     # one worker (the writer starts them)
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, DropItem
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.distributed.frontier import RedisScheduler
from crawler.distributed.keys import (ALIVE_TTL, HOST_GATE_LUA, IDLE_LUA, ROLE_WORKER, Keys,
                                      async_connect, connect, crawl_keys, safe_url, worker_id)
from crawler.distributed.records import encode_page
from crawler.items import PageItem
from crawler.launch import run_crawl
from crawler.runtime import context_for
from crawler.urls import host_label

log = logging.getLogger(__name__)

ARCHIVE_PIPELINE = "crawler.pipelines.ArchivePipeline"  # named, not imported: a worker stores nothing


# --- settings switch -------------------------------------------------------------------------
class DistributedAddon:
    """Listed in ADDONS; does nothing unless NIANBAO_ROLE=worker."""

    def update_settings(self, settings: Any) -> None:
        if str(settings.get("NIANBAO_ROLE") or "single").lower() != ROLE_WORKER:
            return
        if not settings.get("REDIS_URL"):
            raise ValueError("NIANBAO_ROLE=worker needs REDIS_URL (e.g. -s REDIS_URL=redis://host:6379/0)")
        forced = {  # what correctness needs: a shared frontier and filter
            "SCHEDULER": "crawler.distributed.frontier.RedisScheduler",
            "DUPEFILTER_CLASS": "crawler.distributed.frontier.RedisDupeFilter",
            "SCHEDULER_PERSIST": True,  # a worker that ends must not clear the others' queue
        }
        for k, v in forced.items():
            settings.set(k, v, "cmdline")
        settings.set("NIANBAO_PROGRESS", False, "project")  # the writer shows progress
        pipelines = settings.getdict("ITEM_PIPELINES")
        for k in list(pipelines):  # the archive pipeline is off: the writer stores
            if (k if isinstance(k, str) else f"{k.__module__}.{k.__qualname__}") == ARCHIVE_PIPELINE:
                pipelines[k] = None
        settings.set("ITEM_PIPELINES", pipelines, settings.getpriority("ITEM_PIPELINES") or 0)
        settings.set_in_component_priority_dict("ITEM_PIPELINES", RedisItemPipeline, 300)
        settings.set_in_component_priority_dict("EXTENSIONS", WorkerCoordinator, 400)
        # after the host guard, before robots.txt: every request to a host passes the gate
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", SharedHostGate, 60)


def writer_gone(writer_pid: int) -> bool:
    """A local worker's writer (its parent) has died: the worker stops (records still go to
    Redis for the writer that resumes the crawl)."""
    return bool(writer_pid) and os.getppid() != writer_pid


# --- page records to the writer --------------------------------------------------------------
class RedisItemPipeline:
    """Worker side of the archive: pushes each page record to `<prefix>:items` for the writer,
    numbered `<worker id>#<n>` (the writer uses the number to store a record exactly once).
    When the writer falls behind (more than NIANBAO_REDIS_MAX_ITEMS records waiting), the
    worker waits, and Scrapy's backpressure pauses its downloads: Redis memory stays bounded."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.redis = async_connect(crawler.settings.get("REDIS_URL"))
        self.cap = crawler.settings.getint("NIANBAO_REDIS_MAX_ITEMS", 2000)
        self.writer_pid = crawler.settings.getint("NIANBAO_WRITER_PID", 0)
        self.key = ""
        self.pushed = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RedisItemPipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        self.key = crawl_keys(self.crawler).items

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        self.pushed += 1
        n = await self.redis.rpush(self.key, encode_page(item, f"{worker_id(self.crawler)}#{self.pushed}"))
        while n > self.cap and not writer_gone(self.writer_pid):
            await asyncio.sleep(0.2)
            n = await self.redis.llen(self.key)
        raise DropItem(f"sent to the archive writer: {item.url}", log_level="DEBUG")

    async def close_spider(self) -> None:
        await self.redis.aclose()


# --- politeness across workers ---------------------------------------------------------------
class SharedHostGate:
    """Politeness shared by all workers: requests to one host are sent at least
    NIANBAO_HOST_GAP seconds apart *in all* (default: DOWNLOAD_DELAY, the spacing of one
    process), whichever worker sends them. Each worker's own slots, AutoThrottle and delay still
    apply on top; this keeps N workers on N machines from hitting a small county portal N times
    as hard. A gap of 0 turns it off (no Redis call)."""

    def __init__(self, crawler: Any):
        s = crawler.settings
        self.crawler = crawler
        gap = s.get("NIANBAO_HOST_GAP")
        self.gap_ms = round(1000 * float(s.getfloat("DOWNLOAD_DELAY") if gap in (None, "") else gap))
        self.redis = async_connect(s.get("REDIS_URL")) if self.gap_ms > 0 else None
        self._gate = self.redis.register_script(HOST_GATE_LUA) if self.redis is not None else None
        self.prefix = ""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SharedHostGate":
        o = cls(crawler)
        crawler.signals.connect(o.closed, signal=signals.spider_closed)
        return o

    async def process_request(self, request: Any) -> None:
        if self._gate is None:
            return None
        if not self.prefix:
            self.prefix = crawl_keys(self.crawler).gate
        wait_ms = int(await self._gate(keys=[self.prefix + host_label(request.url)], args=[self.gap_ms]))
        if wait_ms > 0:
            self.crawler.stats.inc_value("nianbao/host_gate/waited_ms", wait_ms)
            await asyncio.sleep(wait_ms / 1000)
        return None

    async def closed(self, spider: Any, reason: str) -> None:
        if self.redis is not None:
            await self.redis.aclose()


# --- termination, heartbeats, closing record -------------------------------------------------
class WorkerCoordinator:
    """Joins the crawl once the writer announced it, sends heartbeats, decides (with the other
    workers, through IDLE_LUA) when the crawl is over, and leaves a closing record."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.redis = async_connect(crawler.settings.get("REDIS_URL"))
        self.wait = crawler.settings.getfloat("NIANBAO_WRITER_WAIT", 300)
        self.writer_pid = crawler.settings.getint("NIANBAO_WRITER_PID", 0)
        self.stopping = False
        self.keys: Keys | None = None  # set once the worker has joined
        self.wid = worker_id(crawler)
        self.loop: task.LoopingCall | None = None
        self._ticks = 0
        self._idle = self.redis.register_script(IDLE_LUA)
        self.complete = False  # IDLE_LUA said: every worker idle, nothing queued
        self._idle_check: asyncio.Task | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "WorkerCoordinator":
        o = cls(crawler)
        crawler.signals.connect(o.opened, signal=signals.spider_opened)
        crawler.signals.connect(o.idle, signal=signals.spider_idle)
        crawler.signals.connect(o.closed, signal=signals.spider_closed)
        return o

    async def opened(self, spider: Any) -> None:
        """Wait for the writer (it clears the keys, then announces the crawl), then join.
        Scrapy awaits this before the crawl starts; the reactor keeps running meanwhile."""
        k = crawl_keys(self.crawler)
        deadline = time.monotonic() + self.wait
        said = False
        while not await self.redis.exists(k.crawl):
            if time.monotonic() > deadline:
                log.error("no archive writer announced a crawl at %s within %.0fs "
                          "(start `nianbao crawl --redis ... --workers 0` first)", k.crawl, self.wait)
                raise CloseSpider("no_writer")
            if not said:
                log.warning("waiting for the archive writer (%s)", k.crawl)
                said = True
            await asyncio.sleep(0.2)
        self.keys = k
        if await self.redis.exists(k.done):
            log.warning("this crawl is already finished (%s): nothing to do", k.done)
        await self._heartbeat()
        await self.redis.sadd(k.workers, self.wid)
        self.loop = task.LoopingCall(lambda: deferred_from_coro(self.tick()))
        self.loop.start(0.5, now=False)
        log.info("worker %s joined crawl %s", self.wid, await self.redis.get(k.crawl))

    async def _heartbeat(self) -> None:
        """alive:<worker> = "host pid" for ALIVE_TTL seconds (a writer on the same host can also
        tell at once whether that process still exists)."""
        assert self.keys is not None
        await self.redis.set(self.keys.alive + self.wid, f"{socket.gethostname()} {os.getpid()}", ex=ALIVE_TTL)

    def _scheduler(self) -> RedisScheduler | None:
        slot = getattr(self.crawler.engine, "_slot", None)
        sched = getattr(slot, "scheduler", None)
        return sched if isinstance(sched, RedisScheduler) else None

    def _nudge(self) -> None:
        """Scrapy only re-polls an empty scheduler (and asks "idle?") every 5 s."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    async def tick(self) -> None:
        """Heartbeat, acks, the writer's health, and a nudge."""
        self._ticks += 1
        try:
            if self._ticks % 10 == 1:
                await self._heartbeat()
        except Exception as e:  # noqa: BLE001 - Redis away for a moment: the next tick retries
            log.warning("heartbeat failed: %s", e)
        if (sched := self._scheduler()) is not None:
            sched.ack_finished()
        if writer_gone(self.writer_pid) and not self.stopping:
            # the local writer died (kill -9?): stop cleanly; `nianbao crawl` again resumes
            self.stopping = True
            log.warning("the archive writer (pid %d) is gone: stopping this worker", self.writer_pid)
            os.kill(os.getpid(), signal.SIGINT)
        self._nudge()

    def idle(self, spider: Any) -> None:
        """spider_idle (a synchronous signal): close only once IDLE_LUA said the whole crawl is
        done; the check itself runs as a task, and its answer is used at the next idle call."""
        if self.complete:
            return
        if self.keys is not None and (self._idle_check is None or self._idle_check.done()):
            if (sched := self._scheduler()) is not None:
                sched.ack_finished()  # an idle engine has finished everything it was handed
            self._idle_check = asyncio.ensure_future(self._check_idle())
        raise DontCloseSpider

    async def _check_idle(self) -> None:
        k = self.keys
        assert k is not None
        try:
            done = await self._idle(keys=[k.requests, k.workers, k.idle, k.done],
                                    args=[self.wid, k.alive, k.inflight])
        except Exception as e:  # noqa: BLE001 - asked again at the next idle call
            log.warning("idle check failed: %s", e)
            return
        if done:
            self.complete = True  # every worker idle and nothing queued: the crawl is complete
            self._nudge()

    async def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        k = self.keys
        try:
            if k is None:
                return
            stats = self.crawler.stats
            record = {"reason": reason, "pages": stats.get_value("response_received_count", 0),
                      "counters": dict(context_for(self.crawler).counters),
                      "items": stats.get_value("item_dropped_count", 0)}
            # the scheduler has put back anything still in flight: a worker that stops early loses
            # nothing, the others (or the resumed crawl) carry on
            pipe = self.redis.pipeline()
            pipe.hset(k.closed, self.wid, json.dumps(record))
            pipe.srem(k.workers, self.wid)
            pipe.srem(k.idle, self.wid)
            pipe.delete(k.alive + self.wid)
            await pipe.execute()
        finally:
            await self.redis.aclose()


# --- `python -m crawler.distributed.worker CONFIG` (started by the writer) -------------------
def run_worker(config: dict[str, Any]) -> int:
    try:  # Scrapy's scheduler would fail on it with a page of tracebacks: one line instead
        connect(config["redis"]).ping()
    except Exception as e:  # noqa: BLE001
        raise SystemExit(f"nianbao worker: cannot reach Redis at {safe_url(config['redis'])}: {e}") from None
    ov = dict(config.get("overrides") or {})
    ov.update(NIANBAO_ROLE=ROLE_WORKER, REDIS_URL=config["redis"])
    if config.get("worker_id"):
        ov["NIANBAO_WORKER_ID"] = config["worker_id"]
    if config.get("writer_pid"):
        ov["NIANBAO_WRITER_PID"] = config["writer_pid"]
    stats = run_crawl(config.get("urls") or [], config.get("db") or "archive.db", config.get("portals"),
                      overrides=ov)
    return 0 if stats.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m crawler.distributed.worker JSON")
    raise SystemExit(run_worker(json.loads(sys.argv[1])))
