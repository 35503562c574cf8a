"""Distributed mode, worker side: the `reports` spider as one of N workers sharing one Redis.

    nianbao crawl URL --db archive.db --redis redis://127.0.0.1:6379/0 --workers 2   # one machine
    scrapy crawl reports -a start_urls=URL -s REDIS_URL=redis://host:6379/0 -s NIANBAO_ROLE=worker

`NIANBAO_ROLE=worker` (read by `DistributedAddon`, listed in ADDONS) turns the spider into a
worker:

* the frontier is shared: scrapy-redis' scheduler with a priority queue in Redis
  (`RedisScheduler`, `RedisPriorityQueue`), and a shared duplicate filter (`RedisDupeFilter`) that
  keys a page exactly as a one-process crawl does (`crawler.dupefilter.page_fingerprint`:
  `listing/` and `listing/index.html` are one page) and lets a redirect loop's hops through (a
  loop must end as "max redirections", as in one process);
* nothing is written to SQLite: every page record (URL, status, headers, zlib body + sha256, time,
  parse result, links, error) goes to a Redis list (`RedisItemPipeline`), and the single archive
  writer (`crawler.writer`, the `nianbao crawl --redis` process) stores it with the same
  `ArchivePipeline` code as a one-process crawl;
* nothing popped is lost when a worker dies: the pop moves the request into the worker's
  in-flight hash (`<prefix>:inflight:<worker>`, same Lua step), and it leaves that hash only once
  Scrapy is done with it (its page record and the links it led to are in Redis). A worker that
  dies (kill -9, crash, lost machine: no heartbeat for ALIVE_TTL seconds, or its local process
  exited) has its in-flight requests put back in the queue by whoever notices first (an idle
  worker, or the writer): at-least-once fetching, and the archive's idempotence makes a second
  fetch of the same page "unchanged";
* `WorkerCoordinator` ends the crawl exactly when it is done: a worker leaves the shared "idle"
  set atomically with every pop from the queue (a Lua script), and joins it when its own engine
  is idle and the queue is empty; the crawl is over when every live worker is in the set and the
  queue is empty (checked atomically, then announced in `<prefix>:done`). No timeouts: a worker
  busy on a slow page keeps every other worker waiting, and nobody waits once all are idle.

Redis keys live under `nianbao:<run key of the start URLs>` (or `NIANBAO_REDIS_PREFIX`); the
writer deletes them when a crawl has finished, and keeps them when it was interrupted, so the
same command resumes it (the frontier, the filter and the records not yet stored are all in
Redis). Requests are pickled in Redis (scrapy-redis' default), so Redis must be reachable only
by the crawl's machines.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import os
import signal
import socket
import sys
import time
import zlib
from typing import Any, Iterable

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
        self.inflight = prefix + ":inflight:"  # + worker id: hash, request popped -> its score
        self.closed = prefix + ":closed"  # hash: worker id -> its closing record (json)
        self.writer = prefix + ":writer"  # the live writer (TTL): a second writer is refused
        self.seen = prefix + ":seen"  # set: report URLs linked this crawl (writer's removal check)
        self.discovery_errors = prefix + ":discovery_errors"  # set: listings that failed
        self.validators = prefix + ":validators"  # hash: report URL -> archived ETag/Last-Modified
        self.gate = prefix + ":gate:"  # + host: the next time any worker may send to it (ms)

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


# --- Lua: the atomic steps of the shared frontier ----------------------------------------------
# pop the best request into this worker's in-flight hash and leave the idle set in one step, so
# no other worker can see "queue empty, everybody idle" while this request is on its way, and a
# worker killed right after the pop still has the request on record
# KEYS: requests, idle, inflight hash   ARGV: worker id
POP_LUA = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if r[1] then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
  redis.call('HSET', KEYS[3], r[1], r[2])
  redis.call('SREM', KEYS[2], ARGV[1])
  return r[1]
end
return false
"""

# put a dead worker's in-flight requests back in the queue (a Lua function shared by the scripts)
_REQUEUE = """
local function requeue(requests, inflight)
  local kv = redis.call('HGETALL', inflight)
  for i = 1, #kv, 2 do redis.call('ZADD', requests, kv[i + 1], kv[i]) end
  redis.call('DEL', inflight)
  return #kv / 2
end
"""

# every registered worker without a heartbeat is dead: requeue its requests, forget it
# KEYS: requests, workers, idle   ARGV: alive prefix, inflight prefix   -> requests put back
REAP_LUA = _REQUEUE + """
local n = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[1] .. w) == 0 then
    n = n + requeue(KEYS[1], ARGV[2] .. w)
    redis.call('SREM', KEYS[2], w)
    redis.call('SREM', KEYS[3], w)
  end
end
return n
"""

# this worker is idle: is the whole crawl done?  (dead workers' requests go back in the queue)
# KEYS: requests, workers, idle, done   ARGV: worker id, alive prefix, inflight prefix
IDLE_LUA = _REQUEUE + """
if redis.call('EXISTS', KEYS[4]) == 1 then return 1 end
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('SADD', KEYS[3], ARGV[1])
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('SISMEMBER', KEYS[3], w) == 0 then
    if redis.call('EXISTS', ARGV[2] .. w) == 1 then return 0 end
    local n = requeue(KEYS[1], ARGV[3] .. w)
    redis.call('SREM', KEYS[2], w)
    if n > 0 then return 0 end
  end
end
redis.call('SET', KEYS[4], '1')
return 1
"""


def reap_dead_workers(server: Any, keys: Keys, dead: Iterable[str] = ()) -> int:
    """Requeue the in-flight requests of workers without a heartbeat (and of `dead`, workers
    known to have exited: their heartbeat is dropped first). Returns how many were requeued."""
    for w in dead:
        server.delete(keys.alive + w)
    n = server.register_script(REAP_LUA)(keys=[keys.requests, keys.workers, keys.idle],
                                         args=[keys.alive, keys.inflight])
    if n:
        log.warning("requeued %d requests of workers that stopped", n)
    return int(n)


# spacing of requests to one host across all workers: reserve the next send time (Redis' clock,
# so machines need not agree on theirs); returns the milliseconds to wait
# KEYS: the host's gate   ARGV: gap in ms
HOST_GATE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gap = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], slot + gap, 'PX', slot + gap - now + 60000)
return slot - now
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

        forced = {  # what correctness needs: a shared frontier and filter
            "SCHEDULER": "crawler.distributed.RedisScheduler",
            "DUPEFILTER_CLASS": "crawler.distributed.RedisDupeFilter",
            "SCHEDULER_PERSIST": True,  # a worker that ends must not clear the others' queue
        }
        for k, v in forced.items():
            settings.set(k, v, "cmdline")
        settings.set("NIANBAO_PROGRESS", False, "project")  # the writer shows progress
        settings.set_in_component_priority_dict("ITEM_PIPELINES", ArchivePipeline, None)
        settings.set_in_component_priority_dict("ITEM_PIPELINES", RedisItemPipeline, 300)
        settings.set_in_component_priority_dict("EXTENSIONS", WorkerCoordinator, 400)
        # after the host guard, before robots.txt: every request to a host passes the gate
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", SharedHostGate, 60)


# --- scheduler, queue, duplicate filter ------------------------------------------------------
def _scrapy_redis() -> Any:
    from scrapy_redis import dupefilter, queue, scheduler

    return scheduler, queue, dupefilter


class RedisPriorityQueue(_scrapy_redis()[1].PriorityQueue):
    """scrapy-redis' priority queue (zset, score = -priority), popped by POP_LUA into this
    worker's in-flight hash; `pop_with_member` also returns the raw member (the ack's key)."""

    def __init__(self, server: Any, spider: Any, keys: Keys, serializer: Any, wid: str):
        super().__init__(server=server, spider=spider, key="%(spider)s", serializer=serializer)
        self.key = keys.requests
        self.idle_key = keys.idle
        self.inflight_key = keys.inflight + wid
        self.wid = wid
        self._pop = server.register_script(POP_LUA)

    def pop_with_member(self) -> tuple[Any, bytes] | None:
        data = self._pop(keys=[self.key, self.idle_key, self.inflight_key], args=[self.wid])
        return (self._decode_request(data), data) if data else None

    def pop(self, timeout: int = 0) -> Any:
        got = self.pop_with_member()
        return got[0] if got else None


class RedisDupeFilter(_scrapy_redis()[2].RFPDupeFilter):
    """The shared filter: `page_fingerprint` (as in one process), 20-byte digests; a redirect
    loop's hops pass (as in one process).

    Every page this worker has already asked about is remembered locally (the shared set never
    forgets within a crawl, so "asked before" means "seen"): a TRS listing page names every page
    of its column again, and each of those would otherwise cost a Redis round trip."""

    LOCAL_MAX = 200_000  # fingerprints remembered per worker (≈ 18 MB at most), then started afresh

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.asked: set[bytes] = set()

    def request_seen(self, request: Any) -> bool:
        from crawler.dupefilter import loops_back

        if loops_back(request):
            return False
        fp = self.request_fingerprint(request)
        if fp in self.asked:
            return True
        if len(self.asked) >= self.LOCAL_MAX:
            self.asked.clear()
        self.asked.add(fp)
        return self.server.sadd(self.key, fp) == 0

    def request_fingerprint(self, request: Any) -> bytes:  # type: ignore[override]
        from crawler.dupefilter import page_fingerprint

        return page_fingerprint(request)


class RedisScheduler(_scrapy_redis()[0].Scheduler):
    @classmethod
    def from_crawler(cls, crawler: Any) -> "RedisScheduler":
        o = super().from_crawler(crawler)
        o.crawler = crawler
        return o

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.keys = keys = Keys(redis_prefix(spider.settings, spider.start_url_list))
        self.queue = RedisPriorityQueue(self.server, spider, keys, self.serializer, worker_id(self.crawler))
        self.df = RedisDupeFilter(self.server, keys.dupefilter,
                                  debug=spider.settings.getbool("DUPEFILTER_DEBUG"))
        self.handed: dict[Any, bytes] = {}  # requests given to the engine -> their queue member
        self.max_waiting = spider.settings.getint("NIANBAO_WORKER_MAX_WAITING", 4)

    # as scrapy-redis', without the `spider=` argument Scrapy 2.19's stats deprecate
    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Any:
        self.ack_finished()  # keeps the in-flight hash at what is really in progress
        if self.max_waiting and self._waiting() >= self.max_waiting:
            # requests already wait in this worker's download slots (per-host concurrency, delay):
            # leave the rest in the shared queue for a worker that can start them now
            return None
        got = self.queue.pop_with_member()
        if got is None:
            return None
        request, member = got
        self.handed[request] = member
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _waiting(self) -> int:
        downloader = getattr(self.crawler.engine, "downloader", None)
        return sum(len(slot.queue) for slot in getattr(downloader, "slots", {}).values())

    def ack_finished(self) -> int:
        """Take the requests the engine is done with out of the in-flight hash.

        Done = handed out and no longer in the engine's in-progress set: the engine removes a
        request from it only after its response went through the spider and every output was
        handled (page record pushed, links enqueued) or after its redirect was enqueued. Scrapy
        has no signal for that moment, hence the look at `engine._slot.inprogress`."""
        slot = getattr(self.crawler.engine, "_slot", None)
        inprogress = slot.inprogress if slot is not None else set()
        done = [r for r in self.handed if r not in inprogress]
        if not done:
            return 0
        members = [self.handed.pop(r) for r in done]
        self.server.hdel(self.queue.inflight_key, *members)
        return len(members)

    def close(self, reason: str) -> None:
        # the engine has finished every request by now; whatever is still on record as in
        # flight (nothing, normally) goes back to the queue. The other keys belong to the writer.
        self.ack_finished()
        left = self.server.hgetall(self.queue.inflight_key)
        if left:
            self.server.zadd(self.queue.key, {m: float(sc) for m, sc in left.items()})
        self.server.delete(self.queue.inflight_key)


# --- page records through Redis --------------------------------------------------------------
def encode_page(item: Any, record_id: str = "") -> bytes:
    """A PageItem as bytes: JSON of every field but the body, NUL, the zlib'd body. Compressed
    here at the archive's level, so the writer stores the stream as it is (`record_page(
    body_zlib=…)` checks it against the sha256 and size sent with it): the one writer's CPU is
    what limits how many workers it serves. Not pickle: the writer never runs code from Redis."""
    meta = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)
            if f.name not in ("body", "body_zlib", "body_sha256", "body_size")}
    body = item.body or b""
    meta["_sha256"] = hashlib.sha256(body).hexdigest()
    meta["_size"] = len(body)
    meta["_rid"] = record_id
    head = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return head + b"\0" + (zlib.compress(body, 6) if body else b"")


def record_id(data: bytes) -> str:
    """The `<worker id>#<n>` of an encoded page record, without decoding the rest."""
    head = data.partition(b"\0")[0]
    i = head.rfind(b'"_rid":"')
    return head[i + 8:head.index(b'"', i + 8)].decode() if i >= 0 else ""


def decode_page(data: bytes) -> Any:
    """The PageItem of a record, its body still compressed (`body_zlib`; checked when stored)."""
    from crawler.items import PageItem

    head, _, packed = data.partition(b"\0")
    meta = json.loads(head)
    meta.pop("_rid", None)
    sha, size = meta.pop("_sha256", None), meta.pop("_size", None)
    names = {f.name for f in dataclasses.fields(PageItem)}
    item = PageItem(**{k: v for k, v in meta.items() if k in names})
    if packed:
        item.body_zlib, item.body_sha256, item.body_size = packed, sha, size
    return item


class RedisItemPipeline:
    """Worker side of the archive: pushes each page record to `<prefix>:items` for the writer,
    numbered `<worker id>#<n>` (the writer uses the number to store a record exactly once).
    When the writer falls behind (more than NIANBAO_REDIS_MAX_ITEMS records waiting), the
    worker waits, and Scrapy's backpressure pauses its downloads: Redis memory stays bounded."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.cap = crawler.settings.getint("NIANBAO_REDIS_MAX_ITEMS", 2000)
        self.writer_pid = crawler.settings.getint("NIANBAO_WRITER_PID", 0)
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
        self.pushed += 1
        n = self.server.rpush(self.key, encode_page(item, f"{worker_id(self.crawler)}#{self.pushed}"))
        while n > self.cap and not writer_gone(self.writer_pid):
            await asyncio.sleep(0.2)
            n = self.server.llen(self.key)
        raise DropItem(f"sent to the archive writer: {item.url}", log_level="DEBUG")


def writer_gone(writer_pid: int) -> bool:
    """A local worker's writer (its parent) has died: the worker stops (records still go to
    Redis for the writer that resumes the crawl)."""
    return bool(writer_pid) and os.getppid() != writer_pid


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
        self.server = connect(s.get("REDIS_URL")) if self.gap_ms > 0 else None
        self._gate = self.server.register_script(HOST_GATE_LUA) if self.server is not None else None
        self.prefix = ""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SharedHostGate":
        return cls(crawler)

    async def process_request(self, request: Any) -> None:
        if self._gate is None:
            return None
        from crawler.urls import host_label

        if not self.prefix:
            spider = self.crawler.spider
            self.prefix = Keys(redis_prefix(spider.settings, spider.start_url_list)).gate
        wait_ms = int(self._gate(keys=[self.prefix + host_label(request.url)], args=[self.gap_ms]))
        if wait_ms > 0:
            self.crawler.stats.inc_value("nianbao/host_gate/waited_ms", wait_ms)
            await asyncio.sleep(wait_ms / 1000)
        return None


# --- termination, heartbeats, closing record -------------------------------------------------
class WorkerCoordinator:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.wait = crawler.settings.getfloat("NIANBAO_WRITER_WAIT", 300)
        self.writer_pid = crawler.settings.getint("NIANBAO_WRITER_PID", 0)
        self.stopping = False
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
        self._heartbeat()
        self.server.sadd(k.workers, self.wid)
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(0.5, now=False)
        log.info("worker %s joined crawl %s", self.wid, self.server.get(k.crawl))

    def _heartbeat(self) -> None:
        """alive:<worker> = "host pid" for ALIVE_TTL seconds (a writer on the same host can also
        tell at once whether that process still exists)."""
        assert self.keys is not None
        self.server.set(self.keys.alive + self.wid, f"{socket.gethostname()} {os.getpid()}", ex=ALIVE_TTL)

    def _scheduler(self) -> Any:
        slot = getattr(self.crawler.engine, "_slot", None)
        sched = getattr(slot, "scheduler", None)
        return sched if isinstance(sched, RedisScheduler) else None

    def tick(self) -> None:
        """Heartbeat, acks, and a nudge: Scrapy only re-polls an empty scheduler every 5 s."""
        self._ticks += 1
        assert self.keys is not None
        if self._ticks % 10 == 1:
            self._heartbeat()
        if (sched := self._scheduler()) is not None:
            sched.ack_finished()
        if writer_gone(self.writer_pid) and not self.stopping:
            # the local writer died (kill -9?): stop cleanly; `nianbao crawl` again resumes
            self.stopping = True
            log.warning("the archive writer (pid %d) is gone: stopping this worker", self.writer_pid)
            os.kill(os.getpid(), signal.SIGINT)
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    def idle(self, spider: Any) -> None:
        from scrapy.exceptions import DontCloseSpider

        k = self.keys
        assert k is not None
        if (sched := self._scheduler()) is not None:
            sched.ack_finished()  # an idle engine has finished everything it was handed
        if self._idle(keys=[k.requests, k.workers, k.idle, k.done], args=[self.wid, k.alive, k.inflight]):
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
        # the scheduler has put back anything still in flight: a worker that stops early loses
        # nothing, the others (or the resumed crawl) carry on
        pipe = self.server.pipeline()
        pipe.hset(k.closed, self.wid, json.dumps(record))
        pipe.srem(k.workers, self.wid)
        pipe.srem(k.idle, self.wid)
        pipe.delete(k.alive + self.wid)
        pipe.execute()


# --- `python -m crawler.distributed worker CONFIG` (started by the writer) --------------------
def run_worker(config: dict[str, Any]) -> int:
    from crawler.launch import run_crawl

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
    if len(sys.argv) != 3 or sys.argv[1] != "worker":
        raise SystemExit("usage: python -m crawler.distributed worker JSON")
    raise SystemExit(run_worker(json.loads(sys.argv[2])))
