"""The shared frontier: scrapy-redis' scheduler, priority queue and duplicate filter, adapted.

Synchronous Redis (scrapy-redis' client): Scrapy calls the scheduler and the filter
synchronously (`enqueue_request`, `next_request`, `has_pending_requests`, `request_seen`).
"""
from __future__ import annotations

from typing import Any

from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.keys import POP_LUA, Keys, redis_prefix, worker_id
from crawler.dupefilter import loops_back, page_fingerprint


class RedisPriorityQueue(PriorityQueue):
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


class RedisDupeFilter(RFPDupeFilter):
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
        return page_fingerprint(request)


class RedisScheduler(Scheduler):
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
