"""Distributed mode, writer side: the one process that writes the SQLite archive.

`nianbao crawl URL --db archive.db --redis redis://127.0.0.1:6379/0 --workers 2`:

1. resumes the run's interrupted crawl if Redis still holds it (`<prefix>:crawl` names a crawl
   of this archive that did not finish), else clears the run's keys (`nianbao:<run key>:*`) and
   begins a crawl record; publishes the archived validators of the crawl's reports (workers send
   conditional requests with them) and announces the crawl (`<prefix>:crawl`): workers wait for it;
2. starts N local workers (`python -m crawler.distributed.worker ...`), or none with
   `--workers 0` (workers on other machines: `scrapy crawl reports -s NIANBAO_ROLE=worker ...`);
   a local worker that dies is replaced, after its in-flight requests went back to the queue;
3. stores page records from `<prefix>:items` with the same `ArchiveSink` a one-process crawl
   uses, a batch per SQLite transaction; the batch leaves Redis only after its commit, and the
   commit notes the batch's first record, so a writer killed at any point stores every record
   exactly once when the crawl is resumed. A record that cannot be decoded or stored gets an
   `errors` row naming it (`<worker>#<n>`) and the reason, and counts as an error;
4. when the frontier is exhausted (`<prefix>:done`) and the workers are gone, drains the list,
   adds the workers' own counters, finishes the crawl record exactly as a one-process crawl
   does (`ArchiveSink.finish`: removals only after a complete crawl), then deletes the run's keys. An interrupted crawl
   (Ctrl-C, workers that kept failing) keeps them: the same command resumes it.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any, Callable

from archive.store import now_iso
from crawler.distributed.keys import Keys, connect, reap_dead_workers, redis_prefix, safe_url
from crawler.distributed.records import decode_page, record_id
from crawler.items import PageItem
from crawler.launch import crawl_entries, crawler_settings, start_url_list
from crawler.sink import ArchiveSink
from crawler.state import Journal, run_key

log = logging.getLogger(__name__)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BATCH = 200
WRITER_TTL = 30  # seconds: a writer that stops refreshing this is gone
RESTARTS_PER_WORKER = 3


def _start_urls(urls: list[str], portals: str | None) -> tuple[list[str], list[str | None]]:
    entries = crawl_entries(urls, portals)
    return start_url_list(entries), [e.get("name") for e in entries]


def _clear(server: Any, keys: Keys) -> None:
    batch = list(server.scan_iter(match=keys.all_pattern(), count=1000))
    for i in range(0, len(batch), 500):
        server.delete(*batch[i:i + 500])


def _worker_cmd(config: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "crawler.distributed.worker", json.dumps(config)]


def _writer_dead(value: bytes | None) -> bool:
    """A writer of this machine whose process is gone (killed -9 before its key expired)."""
    if value is None:
        return True
    host, _, pid = value.decode().partition(" pid ")
    if host != os.uname().nodename or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _resumable_crawl(server: Any, keys: Keys, db: str, start_urls: list[str]) -> int | None:
    """The crawl id Redis holds for this run, if it is an unfinished crawl of this archive with
    the same start URLs (else the keys are stale: a finished crawl, or another archive's)."""
    raw = server.get(keys.crawl)
    if raw is None or server.exists(keys.done) or not os.path.exists(db):
        return None
    try:
        cid = int(raw)
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            row = conn.execute("SELECT status, start_urls FROM crawls WHERE id = ?", (cid,)).fetchone()
        finally:
            conn.close()
    except (ValueError, sqlite3.Error):
        return None
    if row is None or row[0] == "finished" or sorted(json.loads(row[1] or "[]")) != sorted(start_urls):
        return None
    return cid


def _save_resume_state(db: str, crawl_id: Any, state: dict[str, Any]) -> None:
    conn = sqlite3.connect(db, timeout=30)
    try:
        with conn:
            conn.execute("UPDATE crawls SET stats = json_set(coalesce(stats, '{}'), '$.resume', json(?)) "
                         "WHERE id = ?", (json.dumps(state, ensure_ascii=False), crawl_id))
    finally:
        conn.close()


class Writer:
    """The writer's state: the archive sink, the Redis keys, and what survives a restart."""

    def __init__(self, server: Any, keys: Keys, sink: ArchiveSink, feed: Any, page_links: Journal | None):
        self.server, self.keys, self.sink, self.feed = server, keys, sink, feed
        self.page_links = page_links  # the journal's page_links table: attachments of a 304 page
        self.written = 0
        self.noted: set[str] = set()  # refused links already recorded
        self.state: dict[str, Any] = {}  # what the last commit recorded for a resume

    # --- resume ------------------------------------------------------------------------------
    def restore(self) -> None:
        """A resumed crawl: counters and the last batch from the crawl record, the report URLs
        linked so far and the failed listings from Redis."""
        sink, server, keys = self.sink, self.server, self.keys
        row = sink.archive.conn.execute("SELECT stats FROM crawls WHERE id = ?", (sink.crawl_id,)).fetchone()
        saved = json.loads(row[0] or "{}") if row else {}
        saved = saved.get("resume", saved)  # closed as interrupted, or killed while running
        self.state = saved
        sink.counters.update(saved.get("counters") or {})
        last = saved.get("writer_batch") or {}
        head = server.lindex(keys.items, 0)
        if last and head is not None and record_id(head) == last.get("head"):
            server.ltrim(keys.items, int(last["n"]), -1)  # stored, then killed before it left Redis
            log.info("resume: the last stored batch (%d records) was still in Redis: dropped", last["n"])
        sink.seen_reports |= {u.decode() for u in server.smembers(keys.seen)}
        sink.discovery_errors.extend(sorted(u.decode() for u in server.smembers(keys.discovery_errors)))
        with sink.archive.db.atomic():
            sink.archive.conn.execute("UPDATE crawls SET status = 'running', finished_at = NULL WHERE id = ?",
                                     (sink.crawl_id,))

    def publish_validators(self) -> int:
        """ETag/Last-Modified of every live report of the crawl's hosts (and a detail page's
        attachment links) to `<prefix>:validators`, for the workers' conditional requests."""
        sink, pipe, n = self.sink, self.server.pipeline(transaction=False), 0
        for url in sorted(sink.live):
            v = sink.archive.validators(url) or {}
            entry = {k: v[k] for k in ("etag", "last_modified") if v.get(k)}
            if not entry:
                continue
            links = self.page_links.page_links(url) if self.page_links is not None else []
            if links:
                entry["links"] = links
            pipe.hset(self.keys.validators, url, json.dumps(entry, ensure_ascii=False))
            n += 1
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
        return n

    # --- storing -----------------------------------------------------------------------------
    def drain(self) -> int:
        """Store the next batch of page records; 0 when there is none."""
        batch = self.server.lrange(self.keys.items, 0, _BATCH - 1)
        if not batch:
            return 0
        self.store(batch)
        self.server.ltrim(self.keys.items, len(batch), -1)  # only now: the batch is committed
        self.written += len(batch)
        return len(batch)

    def drain_all(self) -> int:
        total = 0
        while n := self.drain():
            total += n
        return total

    def store(self, batch: list[bytes]) -> None:
        sink, db = self.sink, self.sink.archive.db
        seen: set[str] = set()
        n_errors = len(sink.discovery_errors)
        out = []
        with db.atomic():  # one transaction per batch
            for data in batch:
                try:
                    item = decode_page(data)
                except Exception as e:  # noqa: BLE001 - a bad record is an error row, never a crash
                    self.refuse(data, f"could not be decoded: {type(e).__name__}: {e}")
                    continue
                if item.status is None and item.kind == "link":
                    # a refused link is noted once per worker; once in the archive, as in one process
                    if item.url in self.noted:
                        continue
                    self.noted.add(item.url)
                for spec in item.links or ():  # what the spider marks as linked (removal check)
                    if len(spec) > 1 and spec[1] in ("detail", "attachment"):
                        seen.add(spec[0])
                try:
                    with db.atomic():  # a record that fails leaves nothing half-written
                        report = sink.store(item)
                except Exception as e:  # noqa: BLE001
                    self.refuse(data, f"could not be stored: {type(e).__name__}: {e}", item)
                    continue
                if report is not None:
                    out.append(report)
                if self.page_links is not None and item.kind == "detail" and item.status == 200 \
                        and not item.not_modified:
                    self.page_links.set_page_links(item.url, [l for l in item.links if l[1] == "attachment"])
                if item.report is not None or item.not_modified:  # confirmed (see ArchiveSink.store)
                    seen.add(item.url)
            # what a resumed crawl needs is in Redis before this commit (sets: replays are harmless)
            new_errors = sink.discovery_errors[n_errors:]
            if seen or new_errors:
                pipe = self.server.pipeline(transaction=False)
                if seen:
                    pipe.sadd(self.keys.seen, *seen)
                if new_errors:
                    pipe.sadd(self.keys.discovery_errors, *new_errors)
                pipe.execute()
            sink.seen_reports |= seen
            state = {"counters": dict(sink.counters), "writer_batch": {"head": record_id(batch[0]), "n": len(batch)}}
            sink.archive.conn.execute("UPDATE crawls SET stats = ? WHERE id = ?",
                                      (json.dumps(state, ensure_ascii=False), sink.crawl_id))
        self.state = state
        if self.feed is not None:
            for res in out:
                self.feed.write(json.dumps(dict(res), ensure_ascii=False, default=str) + "\n")

    def refuse(self, data: bytes, why: str, item: PageItem | None = None) -> None:
        """A page record that cannot be archived: an `errors` row naming the record and why."""
        rid = record_id(data) or "(no id)"
        where = item.url if item is not None else f"redis:{self.keys.items}#{rid}"
        log.error("page record %s %s", rid, why)
        self.sink.record_failure(where[:2000], f"page record {rid} {why}"[:1000])


class LocalWorkers:
    """The worker processes this writer started; a worker that dies is replaced (its in-flight
    requests were put back first), up to RESTARTS_PER_WORKER times per worker."""

    def __init__(self, n: int, base_config: dict[str, Any], server: Any, keys: Keys):
        self.base, self.server, self.keys = base_config, server, keys
        self.env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.procs: dict[str, subprocess.Popen] = {}
        self.restarts_left = n * RESTARTS_PER_WORKER
        self.failures: list[str] = []
        self._seq = 0
        for _ in range(n):
            self.spawn()

    def spawn(self) -> None:
        self._seq += 1
        wid = f"{os.uname().nodename}:{os.getpid()}:w{self._seq}"
        config = {**self.base, "worker_id": wid, "writer_pid": os.getpid()}
        # own process group: a Ctrl-C reaches the writer only, which forwards one SIGINT (a second
        # one would make Scrapy stop without closing cleanly)
        self.procs[wid] = subprocess.Popen(_worker_cmd(config), env=self.env, process_group=0)

    def check(self) -> None:
        """Replace workers that exited before the crawl was done."""
        done = bool(self.server.exists(self.keys.done))
        for wid, p in list(self.procs.items()):
            if p.poll() is None or (p.returncode == 0 and done):
                continue
            del self.procs[wid]
            why = f"worker {wid} exited with status {p.returncode}"
            # its heartbeat is dropped and its in-flight requests go back to the queue
            reap_dead_workers(self.server, self.keys, dead=[wid])
            if done:
                continue
            self.failures.append(why)
            if self.restarts_left > 0:
                self.restarts_left -= 1
                log.warning("%s: requests put back, starting a replacement", why)
                self.spawn()
            else:
                log.error("%s: no restarts left", why)

    def running(self) -> list[subprocess.Popen]:
        return [p for p in self.procs.values() if p.poll() is None]

    def interrupt(self) -> None:
        for p in self.running():
            p.send_signal(signal.SIGINT)  # workers close, putting back what they had not done
        for p in self.procs.values():
            p.wait()


def run_distributed(urls: list[str], db: str, redis_url: str, workers: int, portals: str | None = None,
                    overrides: dict[str, Any] | None = None, output: str | None = None,
                    worker_overrides: dict[str, Any] | None = None,
                    on_progress: Callable[[str], None] | None = None, fresh: bool = False) -> dict[str, Any]:
    """Run (or resume) a distributed crawl with this process as the archive writer; returns the
    closing stats (as `run_crawl` does, plus `workers`: each worker's closing record)."""
    ov = dict(overrides or {})
    start_urls, portal_names = _start_urls(urls, portals)
    server = connect(redis_url)
    try:
        server.ping()
    except Exception as e:  # noqa: BLE001
        raise SystemExit(f"nianbao crawl: cannot reach Redis at {safe_url(redis_url)}: {e}") from None
    settings = crawler_settings(db, ov)
    keys = Keys(redis_prefix(settings, start_urls))
    me = f"{os.uname().nodename} pid {os.getpid()}"
    if not server.set(keys.writer, me, nx=True, ex=WRITER_TTL) and not _writer_dead(server.get(keys.writer)):
        other = (server.get(keys.writer) or b"?").decode()
        raise SystemExit(f"nianbao crawl: another archive writer ({other}) is running this crawl in "
                         f"{safe_url(redis_url)} ({keys.prefix}); wait for it or stop it")
    resume_id = None if fresh else _resumable_crawl(server, keys, db, start_urls)
    if resume_id is None:
        _clear(server, keys)
        server.set(keys.writer, me, ex=WRITER_TTL)

    sink = ArchiveSink(db, settings.get("NIANBAO_ARCHIVE_CLASS"), settings.get("NIANBAO_JOBDIR") or None)
    summary = {k: settings.get(k) for k in (
        "ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
        "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "RETRY_TIMES", "NIANBAO_JS", "USER_AGENT")}
    summary.update(portals=portal_names, redis=safe_url(redis_url), workers=workers)
    sink.open(start_urls, summary, journal=False, resume_crawl_id=resume_id)
    # the journal file of one-process crawls, for its page_links only (never its resume state)
    page_links = Journal(sink.jobdir, run_key(start_urls))
    feed = open(output, "a" if resume_id else "w", encoding="utf-8") if output else None  # noqa: SIM115
    w = Writer(server, keys, sink, feed, page_links)
    if resume_id is not None:
        w.restore()
        log.warning("resuming interrupted crawl %s: %d requests queued, %d records waiting", resume_id,
                    server.zcard(keys.requests), server.llen(keys.items))
        reap_dead_workers(server, keys)
    validators = w.publish_validators()
    server.set(keys.crawl, str(sink.crawl_id))

    local = LocalWorkers(workers, {"redis": redis_url, "urls": urls, "portals": portals, "db": db,
                                   "overrides": {**ov, **(worker_overrides or {})}}, server, keys) if workers else None
    stop = {"signal": None}

    def _on_signal(signum: int, frame: Any) -> None:
        stop["signal"] = signum

    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    t0 = last = beat = time.monotonic()
    reason = "finished"
    try:
        while True:
            n = w.drain()
            now = time.monotonic()
            if now - beat >= 5:
                beat = now
                server.set(keys.writer, me, ex=WRITER_TTL)
                reap_dead_workers(server, keys)  # workers elsewhere that stopped sending heartbeats
                if local is not None:
                    local.check()  # replace a dead worker even while records pour in
            if on_progress and now - last >= 10:
                last = now
                on_progress(_line(sink, w.written, server, keys, now - t0))
            if n:
                continue
            if stop["signal"] is not None:
                reason = "shutdown"
                if local is not None:
                    local.interrupt()
                w.drain_all()
                break
            if local is not None:
                local.check()
                if not local.running():
                    w.drain_all()
                    if not server.exists(keys.done):
                        reason = "workers_failed"
                    break
            elif server.exists(keys.done) and not server.scard(keys.workers):
                w.drain_all()
                break
            time.sleep(0.05)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if feed is not None:
            feed.close()
        page_links.close()

    closed = {k.decode(): json.loads(v) for k, v in server.hgetall(keys.closed).items()}
    for rec in closed.values():  # what only the workers counted (links ignored, robots.txt …)
        for k, v in (rec.get("counters") or {}).items():
            sink.counters[k] += v
    finished = reason == "finished" and bool(server.exists(keys.done))
    if reason == "finished" and not finished:
        reason = "workers_failed"
    pages_fetched = sum(r.get("pages", 0) for r in closed.values())
    stats = sink.finish(reason, now_iso())
    stats.update(workers=closed, pages_fetched=pages_fetched, records_written=w.written,
                 elapsed=round(time.monotonic() - t0, 1), validators_published=validators)
    if local is not None and local.failures:
        stats["worker_failures"] = local.failures
    if finished:
        _clear(server, keys)  # the next run is a fresh (incremental) crawl
    else:
        # the frontier, the filter and the records not yet stored stay: the same command resumes;
        # the writer's own state goes back into the crawl record beside its closing stats
        _save_resume_state(sink.db_path, sink.crawl_id, w.state)
        server.delete(keys.writer)
        stats["incomplete"] = (f"{reason}: run the same command again to resume "
                               f"({server.zcard(keys.requests)} requests queued in Redis)")
    return stats


def _line(sink: ArchiveSink, written: int, server: Any, keys: Keys, el: float) -> str:
    c = sink.counters
    return (f"nianbao (writer): {written} pages stored ({written / max(el, 1e-6):.1f}/s) | reports found "
            f"{c['found']} new {c['new']} changed {c['changed']} unchanged {c['unchanged']} | errors "
            f"{c['errors'] + c['parse_errors'] + c['not_found']} | queued {server.zcard(keys.requests)} | "
            f"workers {server.scard(keys.workers)} | {el:.0f}s")


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
