"""The Redis keys of one distributed crawl, the Lua scripts of its atomic steps, and the clients."""
from __future__ import annotations

import logging
import os
import socket
from typing import Any, Iterable
from urllib.parse import urlsplit

from crawler.state import run_key

log = logging.getLogger(__name__)

ROLE_WORKER = "worker"
ALIVE_TTL = 60  # seconds without a heartbeat before a worker counts as gone


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
    return settings.get("NIANBAO_REDIS_PREFIX") or f"nianbao:{run_key(start_urls)}"


def crawl_keys(crawler: Any) -> Keys:
    """The keys of the crawl a worker's spider is part of."""
    spider = crawler.spider
    return Keys(redis_prefix(spider.settings, spider.start_url_list))


_CLIENT_OPTIONS = dict(socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True,
                       health_check_interval=30)


def connect(url: str) -> Any:
    """A synchronous client (the writer; the scheduler and filter, whose Scrapy interface is
    synchronous)."""
    import redis

    return redis.Redis.from_url(url, **_CLIENT_OPTIONS)


def async_connect(url: str) -> Any:
    """A `redis.asyncio` client, for worker code on the reactor (Scrapy's asyncio reactor runs
    the event loop): it connects on first use, in that loop."""
    import redis.asyncio

    return redis.asyncio.Redis.from_url(url, **_CLIENT_OPTIONS)


def safe_url(url: str) -> str:
    """A Redis URL fit for messages and the crawl record: its password masked."""
    p = urlsplit(url)
    if p.password:
        return url.replace(":" + p.password + "@", ":***@")
    return url


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
    known to have exited: their heartbeat is dropped first). Returns how many were requeued.
    Synchronous: the writer's loop calls it."""
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
