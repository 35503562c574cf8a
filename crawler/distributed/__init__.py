"""Distributed mode: the `reports` spider as one of N workers sharing one Redis, and one writer.

    nianbao crawl URL --db archive.db --redis redis://127.0.0.1:6379/0 --workers 2   # one machine
    scrapy crawl reports -a start_urls=URL -s REDIS_URL=redis://host:6379/0 -s NIANBAO_ROLE=worker

Modules (imports run downwards; none imports crawler.cli, crawler.spiders or crawler.pipelines):

* `keys`: the Redis key names of one crawl (`nianbao:<run key of the start URLs>`, or
  NIANBAO_REDIS_PREFIX), the Lua scripts of the atomic steps, the clients;
* `records`: a page record (PageItem) as bytes in Redis and back;
* `frontier`: the shared frontier: scrapy-redis' scheduler with a priority queue popped into the
  worker's in-flight hash (`RedisScheduler`, `RedisPriorityQueue`), and the shared duplicate
  filter (`RedisDupeFilter`, keyed as in one process by `crawler.dupefilter.page_fingerprint`);
* `worker`: what `NIANBAO_ROLE=worker` switches on (`DistributedAddon`, in ADDONS): the page
  records go to Redis (`RedisItemPipeline`), politeness per host across workers
  (`SharedHostGate`), heartbeats and the end of the crawl (`WorkerCoordinator`);
  `python -m crawler.distributed.worker JSON` runs one worker (the writer starts them);
* `writer`: the one process that writes the archive, through the same `crawler.sink.ArchiveSink`
  as a one-process crawl (`run_distributed`).

How it holds together:

* nothing popped is lost when a worker dies: the pop moves the request into the worker's
  in-flight hash (`<prefix>:inflight:<worker>`, same Lua step), and it leaves that hash only once
  Scrapy is done with it (its page record and the links it led to are in Redis). A worker that
  dies (kill -9, crash, lost machine: no heartbeat for ALIVE_TTL seconds, or its local process
  exited) has its in-flight requests put back in the queue by whoever notices first (an idle
  worker, or the writer): at-least-once fetching, and the archive's idempotence makes a second
  fetch of the same page "unchanged";
* the crawl ends exactly when it is done: a worker leaves the shared "idle" set atomically with
  every pop from the queue (a Lua script), and joins it when its own engine is idle and the
  queue is empty; the crawl is over when every live worker is in the set and the queue is empty
  (checked atomically, then announced in `<prefix>:done`). No timeouts;
* the writer deletes the crawl's keys when it has finished, and keeps them when it was
  interrupted, so the same command resumes it (frontier, filter and unstored records are in
  Redis). Requests are pickled in Redis (scrapy-redis' default), so Redis must be reachable only
  by the crawl's machines.

Redis and the reactor: the worker code that runs on the reactor and can wait — pushing page
records (and waiting while the writer is behind), the host gate, heartbeats and the idle check,
the wait for the writer at start, the validators lookup of ConditionalRequestMiddleware — uses
`redis.asyncio` clients and `asyncio.sleep`. Scrapy's Scheduler interface (`enqueue_request`,
`next_request`, `has_pending_requests`) and the dupefilter's `request_seen` are synchronous, so
the scheduler, its queue and the filter stay on scrapy-redis' synchronous client (one short
round trip each, on a local network). The writer is a plain process: synchronous Redis.
"""
