"""Distributed mode survives kills (issue 5): a worker killed with -9 is replaced and loses
nothing; a writer killed with -9, or stopped with Ctrl-C, is resumed by running the same command
again; a re-run sends conditional requests like a one-process crawl.

Each distributed archive is compared with a one-process crawl of the same portal: the same
reports with the same content hashes, one version each, the same archived pages (URL and body),
one finished crawl, `PRAGMA integrity_check` ok, and the run's Redis keys gone at the end.
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis as redis_lib

from crawler.sample_portal.server import Portal, PortalServer
from portals import sites
from test_crash_recovery import archived_pages, archived_reports, count_pages, q
from test_crawl import _big_portal
from test_distributed import FAST, crawl, env, redis_url  # noqa: F401 - redis_url is a fixture

N_REPORTS = 120


def dist_cmd(db: Path, url: str, redis: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nianbao", "crawl", url, "--db", str(db), "--no-js", *FAST,
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "--redis", redis, "--workers", "2", *extra]


def start(cmd: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def wait_for_pages(db: Path, proc: subprocess.Popen, n: int, timeout: float = 60) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and count_pages(db) < n:
        time.sleep(0.02)
    assert proc.poll() is None, f"the crawl ended before {n} pages were archived"
    return count_pages(db)


def workers_of(writer_pid: int) -> list[int]:
    """Worker processes started by this writer (their config names it)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"crawler.distributed.worker" in cmd and f'"writer_pid": {writer_pid}'.encode() in b" ".join(cmd):
            out.append(int(d))
    return out


def wait_gone(pids: list[int], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and
                 b"zombie" not in Path(f"/proc/{p}/status").read_bytes().lower()]
        if not alive:
            return
        time.sleep(0.1)
    raise AssertionError(f"workers still running: {alive}")


def taken_by(redis_url: str, pid: int) -> list[str]:
    """URLs of the requests a worker process has taken from the queue and not finished: its
    in-flight hash (members are scrapy-redis' pickled request dicts)."""
    server = redis_lib.Redis.from_url(redis_url)
    for key in server.scan_iter(match="nianbao:*:alive:*"):
        if (server.get(key) or b"").split()[-1:] == [str(pid).encode()]:
            prefix, wid = key.split(b":alive:")
            return [pickle.loads(m)["url"] for m in server.hkeys(prefix + b":inflight:" + wid)]
    raise AssertionError(f"no heartbeat of worker pid {pid}")


def redis_keys(url: str) -> list[bytes]:
    return list(redis_lib.Redis.from_url(url).scan_iter(match="nianbao:*"))


def assert_same_archive(db: Path, ref: Path, base: str) -> None:
    assert archived_reports(db, base) == archived_reports(ref, base)
    assert len(archived_reports(db, base)) == N_REPORTS
    # no duplicate versions, no lost pages (URL and body), sound file
    assert q(db, "SELECT count(*), count(DISTINCT url), max(version), min(is_current) FROM reports") == \
        [(N_REPORTS, N_REPORTS, 1, 1)]
    assert archived_pages(db, base) == archived_pages(ref, base)
    t3 = "SELECT r.url, t.row_key, t.total FROM table3 t JOIN reports r ON r.id = t.report_id ORDER BY 1, 2"
    assert q(db, t3) == q(ref, t3)
    assert q(db, "PRAGMA integrity_check") == [("ok",)]
    assert q(db, "PRAGMA foreign_key_check") == []


def portal_and_reference(tmp_path: Path) -> tuple[Any, Path, Path]:
    """A report column of N_REPORTS reports, and the archive paths: distributed, reference."""
    portal, _ = _big_portal(N_REPORTS)
    (tmp_path / "ref").mkdir()
    (tmp_path / "dist").mkdir()
    return portal, tmp_path / "dist" / "archive.db", tmp_path / "ref" / "archive.db"


def test_a_worker_killed_mid_crawl_is_replaced_and_nothing_is_lost(tmp_path: Path, redis_url: str) -> None:
    portal, db, ref = portal_and_reference(tmp_path)
    with PortalServer(portal) as server:
        url, base = server.url + "ndbg/", server.url.rstrip("/")
        crawl(ref, url)  # the uninterrupted one-process crawl
        portal.log.clear()
        proc = start(dist_cmd(db, url, redis_url), db.parent, tmp_path / "dist.log")
        at = wait_for_pages(db, proc, 40)
        victims = workers_of(proc.pid)
        assert len(victims) == 2, victims
        os.kill(victims[0], signal.SIGSTOP)  # frozen: what it holds can be read exactly
        held = taken_by(redis_url, victims[0])
        os.kill(victims[0], signal.SIGKILL)
        assert proc.wait(120) == 0, (tmp_path / "dist.log").read_text()[-3000:]
        log = Counter(portal.requested())
    stderr = (tmp_path / "dist.log").read_text()
    assert "requests put back, starting a replacement" in stderr
    assert_same_archive(db, ref, base)
    assert q(db, "SELECT status, reports_new FROM crawls") == [("finished", N_REPORTS)]
    # at-least-once: only requests the killed worker had taken and not finished (downloading, or
    # downloaded and waiting for its parser) were fetched again, once
    twice = {p: n for p, n in log.items() if n > 1 and p != "/robots.txt"}
    print(f"killed at {at} pages holding {len(held)} requests; fetched again: {sorted(twice)}")
    assert all(n == 2 for n in twice.values()), twice
    assert set(twice) <= {urlsplit(u).path for u in held}, (twice, held)
    assert set(log) >= {p for p in portal.files if p.startswith("/ndbg/t")}
    assert redis_keys(redis_url) == []


def test_writer_killed_then_interrupted_then_resumed_equals_uninterrupted(tmp_path: Path, redis_url: str) -> None:
    portal, db, ref = portal_and_reference(tmp_path)
    with PortalServer(portal) as server:
        url, base = server.url + "ndbg/", server.url.rstrip("/")
        crawl(ref, url)  # the uninterrupted one-process crawl
        # paced (50 ms a request to the host, shared by the workers), so that each stop below
        # lands mid-crawl: unpaced, the whole column can be stored between two looks at the archive
        cmd = dist_cmd(db, url, redis_url, "-s", "DOWNLOAD_DELAY=0.05")

        # 1. kill -9 the writer: its workers notice and stop; Redis keeps the crawl
        proc = start(cmd, db.parent, tmp_path / "run1.log")
        at1 = wait_for_pages(db, proc, 30)
        workers = workers_of(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        wait_gone(workers)
        assert q(db, "PRAGMA integrity_check") == [("ok",)]
        assert q(db, "SELECT status FROM crawls") == [("running",)]
        assert redis_keys(redis_url), "the interrupted crawl's frontier must stay in Redis"

        # 2. resume, then Ctrl-C: the crawl is recorded as interrupted, still resumable
        proc = start(cmd, db.parent, tmp_path / "run2.log")
        at2 = wait_for_pages(db, proc, at1 + 30)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 1
        run2 = (tmp_path / "run2.log").read_text()
        assert "resuming interrupted crawl 1" in run2, run2[-3000:]
        assert "run the same command again to resume" in run2
        assert q(db, "SELECT status FROM crawls") == [("interrupted",)]

        # 3. resume to the end
        r = subprocess.run(cmd, cwd=db.parent, env=env(), capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-3000:]
        assert "resuming interrupted crawl 1" in r.stderr
    print("writer killed at", at1, "pages, interrupted at", at2)
    # both stops came mid-crawl: the last run still had pages to fetch (pages count listings
    # too, so they are compared with the finished archive's pages, not with the reports)
    assert at1 < at2 < q(db, "SELECT count(*) FROM pages")[0][0]
    assert_same_archive(db, ref, base)
    # one crawl, carried across the three runs, its counters whole
    assert q(db, "SELECT count(*), min(status) FROM crawls") == [(1, "finished")]
    stats = json.loads(q(db, "SELECT stats FROM crawls")[0][0])
    assert stats["reports_new"] == N_REPORTS and stats["reports_changed"] == 0 and stats["reports_removed"] == 0
    assert "resume" not in stats
    assert redis_keys(redis_url) == []


def test_a_distributed_rerun_sends_conditional_requests(tmp_path: Path, redis_url: str) -> None:
    """Second run: the workers get the archived ETag/Last-Modified from the writer (through
    Redis), report pages and attachments answer 304, and the attachment of a report page that
    answered 304 is still known (not concluded removed)."""
    other = PortalServer(Portal({"/robots.txt": b""})).start()
    site = sites.trs_site(other.url)
    db = tmp_path / "archive.db"
    try:
        with PortalServer(site.portal) as server:
            base = server.url.rstrip("/")
            crawl(db, server.url, "--redis", redis_url, "--workers", "2")
            first = q(db, "SELECT url, version FROM reports WHERE removed_at IS NULL ORDER BY 1")
            r2 = crawl(db, server.url, "--redis", redis_url, "--workers", "2")
    finally:
        other.stop()
    attachment = base + "/zwgk/zfxxgk/zfxxgknb/201901/P020190125_6.pdf"
    assert attachment in {u for u, _ in first}
    assert q(db, "SELECT url, version FROM reports WHERE removed_at IS NULL ORDER BY 1") == first
    stats = json.loads(q(db, "SELECT stats FROM crawls ORDER BY id DESC LIMIT 1")[0][0])
    assert stats["finish_reason"] == "finished", r2.stderr[-2000:]
    assert stats["reports_new"] == 0 and stats["reports_changed"] == 0 and stats["reports_removed"] == 0
    # every archived report page and attachment answered 304 Not Modified
    assert stats["not_modified"] == len(first) and stats["reports_unchanged"] == len(first)
    not_modified = {u for (u,) in q(db, "SELECT url FROM pages WHERE status = 304")}
    assert attachment in not_modified and len(not_modified) == len(first)


def test_requests_of_a_worker_without_heartbeat_go_back_to_the_queue(redis_url: str) -> None:
    """A worker on another machine that died: no heartbeat for ALIVE_TTL seconds. Whoever looks
    next (an idle worker, or the writer every 5 s) puts its in-flight requests back; a live
    worker's are left alone."""
    from crawler.distributed.keys import Keys, reap_dead_workers

    server = redis_lib.Redis.from_url(redis_url)
    keys = Keys("nianbao:test-reap")
    server.sadd(keys.workers, "hostA:1", "hostB:2")
    server.set(keys.alive + "hostB:2", "hostB 2", ex=60)  # hostA:1 stopped sending heartbeats
    server.hset(keys.inflight + "hostA:1", mapping={b"req-1": -20, b"req-2": -30})
    server.hset(keys.inflight + "hostB:2", mapping={b"req-3": -20})
    server.zadd(keys.requests, {b"req-0": -10})
    try:
        assert reap_dead_workers(server, keys) == 2
        assert server.zrange(keys.requests, 0, -1, withscores=True) == [
            (b"req-2", -30.0), (b"req-1", -20.0), (b"req-0", -10.0)]  # priorities kept
        assert server.smembers(keys.workers) == {b"hostB:2"}
        assert not server.exists(keys.inflight + "hostA:1")
        assert server.hgetall(keys.inflight + "hostB:2") == {b"req-3": b"-20"}
        assert reap_dead_workers(server, keys) == 0  # nothing twice
    finally:
        server.delete(*server.keys("nianbao:test-reap*"))
