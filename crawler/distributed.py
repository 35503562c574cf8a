"""Distributed mode, worker side: the `reports` spider as one of N workers sharing one Redis.

    nianbao crawl URL --db archive.db --redis redis://127.0.0.1:6379/0 --workers 2   # one machine
    scrapy crawl reports -a start_urls=URL -s REDIS_URL=redis://host:6379/0 -s NIANBAO_ROLE=worker

`NIANBAO_ROLE=worker` (read by `DistributedAddon`, listed in ADDONS) turns the spider into a
worker:

* the frontier is shared: scrapy-redis' scheduler with a priority queue in Redis
  (`RedisScheduler`, `RedisPriorityQueue`), and a shared duplicate filter (`RedisDupeFilter`) that
  keys a page as the spider's own filter does (`listing/` and `listing/index.html` are one page),
  never filters a redirect hop (a loop must end as "max redirections", as in one process), and
  takes over from the spider's per-process filter (`NIANBAO_SPIDER_DEDUP=False`);
* nothing is written to SQLite: every page record (URL, status, headers, zlib body + sha256, time,
  parse result, links, error) goes to a Redis list (`RedisItemPipeline`), and the single archive
  writer (`crawler.writer`, the `nianbao crawl --redis` process) stores it with the same
  `ArchivePipeline` code as a one-process crawl;
* `WorkerCoordinator` ends the crawl exactly when it is done: a worker leaves the shared "idle"
  set atomically with every pop from the queue (a Lua script), and joins it when its own engine
  is idle and the queue is empty; the crawl is over when every live worker is in the set and the
  queue is empty (checked atomically, then announced in `<prefix>:done`). No timeouts: a worker
  busy on a slow page keeps every other worker waiting, and nobody waits once all are idle.

Redis keys live under `nianbao:<run key of the start URLs>` (or `NIANBAO_REDIS_PREFIX`); the
writer clears them when a crawl starts and deletes them when it ends. Requests are pickled in
Redis (scrapy-redis' default), so Redis must be reachable only by the crawl's machines.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import os
import socket
import sys
import time
import zlib
from typing import Any

log = logging.getLogger(__name__)

ROLE_WORKER = "worker"
ALIVE_TTL = 60  # seconds without a heartbeat before a worker counts as gone


# --- keys ------------------------------------------------------------------------------------
class Keys:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.requests = prefix + ":requests"  # zset: the shared frontier (scrapy-redis format)
        self.dupefilter = prefix + ":dupefilter"  # set: sha1 digests of every requested page
        self.items = prefix + ":items"  # list: page records for the writer
        self.workers = prefix + ":workers"  # set: worker ids that joined
        self.idle = prefix + ":idle"  # set: workers idle since their last pop
        self.alive = prefix + ":alive:"  # + worker id: heartbeat with a TTL
        self.crawl = prefix + ":crawl"  # the writer's crawl id: workers wait for it
        self.done = prefix + ":done"  # set once: the frontier is exhausted
        self.lost = prefix + ":lost"  # why the crawl is incomplete (a worker stopped early)
        self.closed = prefix + ":closed"  # hash: worker id -> its closing record (json)

    def all_pattern(self) -> str:
        return self.prefix + ":*"


def redis_prefix(settings: Any, start_urls: list[str]) -> str:
    from crawler.state import run_key

    return settings.get("NIANBAO_REDIS_PREFIX") or f"nianbao:{run_key(start_urls)}"


def connect(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10,
                                retry_on_timeout=True, health_check_interval=30)


def worker_id(crawler: Any) -> str:
    wid = getattr(crawler, "_nianbao_worker_id", None)
    if wid is None:
        wid = crawler.settings.get("NIANBAO_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"
        crawler._nianbao_worker_id = wid
    return wid


# --- Lua: the two atomic steps of termination detection --------------------------------------
# pop the best request and leave the idle set in one step, so no other worker can see
# "queue empty, everybody idle" while this request is on its way
POP_LUA = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if r[1] then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
  redis.call('SREM', KEYS[2], ARGV[1])
  return r[1]
end
return false
"""

# KEYS: requests, workers, idle, done, lost   ARGV: worker id, alive prefix
IDLE_LUA = """
if redis.call('EXISTS', KEYS[4]) == 1 then return 1 end
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('SADD', KEYS[3], ARGV[1])
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('SISMEMBER', KEYS[3], w) == 0 then
    if redis.call('EXISTS', ARGV[2] .. w) == 1 then return 0 end
    redis.call('SREM', KEYS[2], w)
    redis.call('SET', KEYS[5], 'worker ' .. w .. ' stopped sending heartbeats')
  end
end
redis.call('SET', KEYS[4], '1')
return 1
"""


# --- settings switch -------------------------------------------------------------------------
class DistributedAddon:
    """Listed in ADDONS; does nothing unless NIANBAO_ROLE=worker."""

    def update_settings(self, settings: Any) -> None:
        if str(settings.get("NIANBAO_ROLE") or "single").lower() != ROLE_WORKER:
            return
        if not settings.get("REDIS_URL"):
            raise ValueError("NIANBAO_ROLE=worker needs REDIS_URL (e.g. -s REDIS_URL=redis://host:6379/0)")
        from crawler.pipelines import ArchivePipeline

        forced = {  # what correctness needs: a shared frontier and filter, no per-process filter
            "SCHEDULER": "crawler.distributed.RedisScheduler",
            "DUPEFILTER_CLASS": "crawler.distributed.RedisDupeFilter",
            "SCHEDULER_PERSIST": True,  # a worker that ends must not clear the others' queue
            "NIANBAO_SPIDER_DEDUP": False,
        }
        for k, v in forced.items():
            settings.set(k, v, "cmdline")
        settings.set("NIANBAO_PROGRESS", False, "project")  # the writer shows progress
        settings.set_in_component_priority_dict("ITEM_PIPELINES", ArchivePipeline, None)
        settings.set_in_component_priority_dict("ITEM_PIPELINES", RedisItemPipeline, 300)
        settings.set_in_component_priority_dict("EXTENSIONS", WorkerCoordinator, 400)


# --- scheduler, queue, duplicate filter ------------------------------------------------------
def _scrapy_redis() -> Any:
    from scrapy_redis import dupefilter, queue, scheduler

    return scheduler, queue, dupefilter


class RedisPriorityQueue(_scrapy_redis()[1].PriorityQueue):
    """scrapy-redis' priority queue (zset, score = -priority), popped by POP_LUA."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any, idle_key: str, wid: str):
        super().__init__(server=server, spider=spider, key="%(spider)s", serializer=serializer)
        self.key = key
        self.idle_key = idle_key
        self.wid = wid
        self._pop = server.register_script(POP_LUA)

    def pop(self, timeout: int = 0) -> Any:
        data = self._pop(keys=[self.key, self.idle_key], args=[self.wid])
        return self._decode_request(data) if data else None


class RedisDupeFilter(_scrapy_redis()[2].RFPDupeFilter):
    """The shared filter: the spider's page key (`_dedup_key`), 20-byte digests; redirect hops
    always pass (in one process they are never filtered either)."""

    def request_seen(self, request: Any) -> bool:
        if request.meta.get("redirect_times"):
            return False
        return bool(super().request_seen(request))

    def request_fingerprint(self, request: Any) -> bytes:  # type: ignore[override]
        from crawler.spiders.reports import _dedup_key

        return hashlib.sha1(f"{request.method} {_dedup_key(request.url)}".encode()).digest()


class RedisScheduler(_scrapy_redis()[0].Scheduler):
    @classmethod
    def from_crawler(cls, crawler: Any) -> "RedisScheduler":
        o = super().from_crawler(crawler)
        o.crawler = crawler
        return o

    def open(self, spider: Any) -> None:
        self.spider = spider
        # Scrapy creates the spider before add-ons update the settings, so the spider read
        # NIANBAO_SPIDER_DEDUP before DistributedAddon turned it off: turn it off here, before
        # the first request (its requests must reach the shared filter, not bypass it)
        if hasattr(spider, "spider_dedup"):
            spider.spider_dedup = False
        keys = Keys(redis_prefix(spider.settings, spider.start_url_list))
        self.queue = RedisPriorityQueue(self.server, spider, keys.requests, self.serializer,
                                        keys.idle, worker_id(self.crawler))
        self.df = RedisDupeFilter(self.server, keys.dupefilter,
                                  debug=spider.settings.getbool("DUPEFILTER_DEBUG"))

    # as scrapy-redis', without the `spider=` argument Scrapy 2.19's stats deprecate
    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Any:
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def close(self, reason: str) -> None:
        pass  # the keys belong to the writer: it clears them when the crawl ends


# --- page records through Redis --------------------------------------------------------------
def encode_page(item: Any) -> bytes:
    """A PageItem as bytes: JSON of every field but the body, NUL, the zlib'd body (level 1:
    the writer re-compresses for the archive). Not pickle: the writer never runs code from Redis."""
    meta = {f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.name != "body"}
    body = item.body or b""
    meta["_sha256"] = hashlib.sha256(body).hexdigest()
    head = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return head + b"\0" + (zlib.compress(body, 1) if body else b"")


def decode_page(data: bytes) -> Any:
    from crawler.items import PageItem

    head, _, packed = data.partition(b"\0")
    meta = json.loads(head)
    body = zlib.decompress(packed) if packed else b""
    if hashlib.sha256(body).hexdigest() != meta.pop("_sha256", None):
        raise ValueError(f"page record for {meta.get('url')}: body does not match its sha256")
    names = {f.name for f in dataclasses.fields(PageItem)}
    return PageItem(body=body, **{k: v for k, v in meta.items() if k in names})


class RedisItemPipeline:
    """Worker side of the archive: pushes each page record to `<prefix>:items` for the writer.
    When the writer falls behind (more than NIANBAO_REDIS_MAX_ITEMS records waiting), the
    worker waits, and Scrapy's backpressure pauses its downloads: Redis memory stays bounded."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.cap = crawler.settings.getint("NIANBAO_REDIS_MAX_ITEMS", 2000)
        self.key = ""
        self.pushed = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RedisItemPipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.key = Keys(redis_prefix(spider.settings, spider.start_url_list)).items

    async def process_item(self, item: Any) -> Any:
        from scrapy.exceptions import DropItem

        from crawler.items import PageItem

        if not isinstance(item, PageItem):
            return item
        n = self.server.rpush(self.key, encode_page(item))
        self.pushed += 1
        while n > self.cap:
            await asyncio.sleep(0.2)
            n = self.server.llen(self.key)
        raise DropItem(f"sent to the archive writer: {item.url}", log_level="DEBUG")


# --- termination, heartbeats, closing record -------------------------------------------------
class WorkerCoordinator:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.wait = crawler.settings.getfloat("NIANBAO_WRITER_WAIT", 300)
        self.keys: Keys | None = None
        self.wid = worker_id(crawler)
        self.loop: Any = None
        self._ticks = 0
        self._idle = self.server.register_script(IDLE_LUA)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "WorkerCoordinator":
        from scrapy import signals

        o = cls(crawler)
        crawler.signals.connect(o.opened, signal=signals.spider_opened)
        crawler.signals.connect(o.idle, signal=signals.spider_idle)
        crawler.signals.connect(o.closed, signal=signals.spider_closed)
        return o

    def opened(self, spider: Any) -> None:
        from twisted.internet import task

        k = self.keys = Keys(redis_prefix(spider.settings, spider.start_url_list))
        deadline = time.monotonic() + self.wait
        said = False
        while not self.server.exists(k.crawl):  # the writer clears the keys, then announces the crawl
            if time.monotonic() > deadline:
                raise RuntimeError(f"no archive writer announced a crawl at {k.crawl} within {self.wait:.0f}s "
                                   "(start `nianbao crawl --redis ... --workers 0` first)")
            if not said:
                log.warning("waiting for the archive writer (%s)", k.crawl)
                said = True
            time.sleep(0.2)
        if self.server.exists(k.done):
            log.warning("this crawl is already finished (%s): nothing to do", k.done)
        self.server.set(k.alive + self.wid, "1", ex=ALIVE_TTL)
        self.server.sadd(k.workers, self.wid)
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(0.5, now=False)
        log.info("worker %s joined crawl %s", self.wid, self.server.get(k.crawl))

    def tick(self) -> None:
        """Heartbeat, and a nudge: Scrapy only re-polls an empty scheduler every 5 s."""
        self._ticks += 1
        assert self.keys is not None
        if self._ticks % 10 == 1:
            self.server.set(self.keys.alive + self.wid, "1", ex=ALIVE_TTL)
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    def idle(self, spider: Any) -> None:
        from scrapy.exceptions import DontCloseSpider

        k = self.keys
        assert k is not None
        if self._idle(keys=[k.requests, k.workers, k.idle, k.done, k.lost], args=[self.wid, k.alive]):
            return  # every worker idle and nothing queued: the crawl is complete
        raise DontCloseSpider

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        k = self.keys
        if k is None:
            return
        from crawler.runtime import context_for

        stats = self.crawler.stats
        record = {"reason": reason, "pages": stats.get_value("response_received_count", 0),
                  "counters": dict(context_for(self.crawler).counters),
                  "items": stats.get_value("item_dropped_count", 0)}
        pipe = self.server.pipeline()
        pipe.hset(k.closed, self.wid, json.dumps(record))
        if reason != "finished":  # its requests in flight are lost: the crawl is incomplete
            pipe.set(k.lost, f"worker {self.wid} stopped: {reason}", nx=True)
        pipe.srem(k.workers, self.wid)
        pipe.srem(k.idle, self.wid)
        pipe.delete(k.alive + self.wid)
        pipe.execute()


# --- `python -m crawler.distributed worker CONFIG` (started by the writer) --------------------
def run_worker(config: dict[str, Any]) -> int:
    from scrapy.crawler import CrawlerProcess

    from crawler.cli import crawler_settings
    from crawler.spiders.reports import ReportsSpider

    ov = dict(config.get("overrides") or {})
    ov.update(NIANBAO_ROLE=ROLE_WORKER, REDIS_URL=config["redis"])
    if config.get("worker_id"):
        ov["NIANBAO_WORKER_ID"] = config["worker_id"]
    settings = crawler_settings(config.get("db") or "archive.db", ov)
    process = CrawlerProcess(settings)
    kwargs: dict[str, Any] = {}
    if config.get("urls"):
        kwargs["start_urls"] = ",".join(config["urls"])
    elif config.get("portals"):
        kwargs["portals"] = config["portals"]
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, **kwargs)
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    return 0 if reason == "finished" else 1


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "worker":
        raise SystemExit("usage: python -m crawler.distributed worker JSON")
    raise SystemExit(run_worker(json.loads(sys.argv[2])))
