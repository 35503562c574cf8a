"""Distributed mode (issue 5): N workers on a shared Redis frontier, one archive writer.

A real redis-server (Debian) is started on a free port for these tests and killed after. Each
portal is crawled twice on the same address — once by a one-process crawl, once by
`nianbao crawl --redis … --workers 2` — and the two archives and the two server-side request logs
are compared.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from crawler.sample_portal.server import Portal, PortalServer
from portals import sites
from conftest import q

REPO = Path(__file__).resolve().parents[1]
REDIS_SERVER = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=2",
        "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.2", "-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "LOG_LEVEL=WARNING"]

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary (Debian redis-server)")


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def redis_url():
    port = _free_port()
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def crawl(db: Path, url: str, *args: str, timeout: int = 90) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nianbao", "crawl", url, "--db", str(db), "--no-js", *FAST, *args]
    r = subprocess.run(cmd, cwd=db.parent, env=env(), capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]
    return r



def snapshot(db: Path) -> dict:
    """What must be equal between a one-process and a distributed crawl of the same portal."""
    return {
        "reports": sorted(q(db, "SELECT url, version, content_hash, title, year, template, check_status "
                                "FROM reports WHERE removed_at IS NULL")),
        "table3": sorted(q(db, "SELECT r.url, t.* FROM table3 t JOIN reports r ON r.id = t.report_id"),
                         key=repr),
        "checks": sorted(q(db, "SELECT r.url, c.rule, c.[where], c.expected, c.found, c.ok FROM checks c "
                               "JOIN reports r ON r.id = c.report_id"), key=repr),
        "pages": sorted(q(db, "SELECT url, status, sha256, size, error FROM pages"), key=repr),
        "errors": sorted(q(db, "SELECT url, reason FROM errors")),
        "crawl": q(db, "SELECT status, pages, reports_new, reports_changed, reports_unchanged, reports_removed "
                       "FROM crawls"),
    }


def strip_ids(rows: list[tuple]) -> list[tuple]:
    return sorted(((r[0],) + r[3:] for r in rows), key=repr)  # table3 row ids / report ids differ


def worker_pages(stderr: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"worker (\S+): (\d+) pages, finished", stderr)}


def compare(single: dict, dist: dict) -> None:
    assert dist["reports"] == single["reports"]
    assert strip_ids(dist["table3"]) == strip_ids(single["table3"])
    assert dist["checks"] == single["checks"]
    assert dist["pages"] == single["pages"]
    assert dist["errors"] == single["errors"]
    assert dist["crawl"] == single["crawl"]


def test_two_workers_archive_equals_one_process(tmp_path: Path, redis_url: str) -> None:
    """The TRS imitation portal with its faults (503 + Retry-After, 500, timeouts, truncation,
    redirect loop, 301, meta refresh, 404, robots.txt, links to other hosts)."""
    other = PortalServer(Portal({"/zfxxgknb/t1.html": sites.XIGANG, "/robots.txt": b""})).start()
    logs, snaps, runs = [], [], []
    port = 0
    try:
        first = None
        for mode in ("single", "distributed"):
            site = sites.trs_site(other.url)  # fresh fault state (the 503 answers once) …
            if first is None:
                first = site
            else:  # … and the same bytes (the generated PDF carries its creation time)
                site.portal.files, site.portal.types = dict(first.portal.files), dict(first.portal.types)
                site.portal.mtime = first.portal.mtime
            server = PortalServer(site.portal, port=port).start()
            port = server.port
            db = tmp_path / mode / "archive.db"
            db.parent.mkdir()
            extra = ["--redis", redis_url, "--workers", "2"] if mode == "distributed" else []
            try:
                runs.append(crawl(db, server.url, *extra))
            finally:
                server.stop()
            logs.append(Counter(site.portal.requested()))
            snaps.append(snapshot(db))
        assert not other.portal.requested()
    finally:
        other.stop()
    single_log, dist_log = logs
    # robots.txt is read once per worker that fetched something; every other URL is requested
    # exactly as often as by one process (retries and redirect hops included): no page twice
    assert 1 <= dist_log.pop("/robots.txt") <= 2
    single_log.pop("/robots.txt")
    assert dist_log == single_log, (dist_log - single_log, single_log - dist_log)
    assert all(n == 1 for p, n in dist_log.items() if "/202205/" not in p), dist_log
    # every report archived once, and the archive is the one-process crawl's
    reports = snaps[1]["reports"]
    assert len(reports) == len(site.reports) and len({r[0] for r in reports}) == len(reports)
    assert all(r[1] == 1 for r in reports)
    compare(snaps[0], snaps[1])
    assert "2 workers, one archive writer" in runs[1].stderr


def _column_portal(n: int, slow_listing: float) -> tuple[Portal, set[str]]:
    """A report column of n reports, 10 per page (TRS createPageHTML); its first page answers
    only after `slow_listing` seconds, so one worker waits while the other is still busy."""
    p = Portal()
    reports = set()
    pages = n // 10
    for i in range(n):
        u = f"/ndbg/t{i:04d}.html"
        p.set(u, sites.XIGANG.replace("认真贯彻落实".encode(), f"认真贯彻落实({i})".encode(), 1))
        reports.add(u)
    for k in range(pages):
        items = [(f"第{i}单位{2000 + i % 20}年政府信息公开工作年度报告", f"/ndbg/t{i:04d}.html")
                 for i in range(k * 10, (k + 1) * 10)]
        p.set("/ndbg/" + ("index.html" if k == 0 else f"index_{k}.html"),
              sites.shell("年度报告", sites.li(items) + f'<script>createPageHTML({pages}, {k}, "index", "html");</script>'))
    p.set("/", sites.shell("首页", '<a href="/ndbg/">政府信息公开年度报告</a>'))
    p.set("/robots.txt", b"User-agent: *\n", "text/plain")

    def hook(h, path: str) -> bool:
        if path in ("/ndbg/", "/ndbg/index.html"):
            time.sleep(slow_listing)
        elif path.startswith("/ndbg/t"):
            time.sleep(0.02)
        return False

    p.hook = hook
    return p, reports


def test_workers_share_the_frontier_and_wait_for_each_other(tmp_path: Path, redis_url: str) -> None:
    """While one worker fetches a slow listing, the other has nothing to do and must not leave;
    then both crawl the reports it links to; the crawl ends when both are idle."""
    runs, logs, snaps = [], [], []
    port = 0
    for mode in ("single", "distributed"):
        portal, reports = _column_portal(120, slow_listing=3.0)
        server = PortalServer(portal, port=port).start()
        port = server.port
        db = tmp_path / mode / "archive.db"
        db.parent.mkdir()
        extra = ["-s", "DOWNLOAD_TIMEOUT=10"] + (
            ["--redis", redis_url, "--workers", "2", "-O", str(db.parent / "r.jsonl")] if mode == "distributed" else [])
        try:
            runs.append(crawl(db, server.url, *extra))
        finally:
            server.stop()
        logs.append(Counter(portal.requested()))
        snaps.append(snapshot(db))
    base = f"http://127.0.0.1:{port}"
    dist_log = logs[1]
    assert dist_log.pop("/robots.txt") == 2
    assert set(dist_log.values()) == {1}, {p: n for p, n in dist_log.items() if n > 1}  # nothing fetched twice
    assert set(dist_log) == set(logs[0]) - {"/robots.txt"}
    per_worker = worker_pages(runs[1].stderr)
    print("pages per worker:", per_worker)
    assert len(per_worker) == 2 and all(n >= 10 for n in per_worker.values()), runs[1].stderr[-2000:]
    assert sum(per_worker.values()) == sum(dist_log.values()) + 2
    assert {r[0] for r in snaps[1]["reports"]} == {base + u for u in reports}
    compare(snaps[0], snaps[1])
    fed = [json.loads(line) for line in (tmp_path / "distributed" / "r.jsonl").read_text().splitlines()]
    assert sorted(f["url"] for f in fed) == sorted(base + u for u in reports)


def test_redis_options_are_checked(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nianbao", "crawl", "http://127.0.0.1:9/", "--db",
                               str(tmp_path / "a.db"), *args], env=env(), capture_output=True, text=True, timeout=60)

    r = run("--workers", "2")
    assert r.returncode == 2 and "--workers needs --redis" in r.stderr
    r = run("--redis", "http://127.0.0.1:6379/")
    assert r.returncode == 2 and "not a Redis URL" in r.stderr
    r = run("--redis", f"redis://127.0.0.1:{_free_port()}/0", "--workers", "1")
    assert r.returncode != 0 and "cannot reach Redis" in r.stderr and "Traceback" not in r.stderr


def test_a_page_record_keeps_its_body_exactly_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    """Workers send bodies zlib'd at the archive's level; the writer stores the stream as it is,
    after checking it against the sha256 and size in the record."""
    from archive.store import Archive, ArchiveError
    from crawler.distributed.records import decode_page, encode_page, record_id
    from crawler.items import PageItem

    body = sites.XIGANG
    item = PageItem(url="http://127.0.0.1:1/t1.html", kind="detail", status=200, fetched_at="2026-11-23T00:00:00Z",
                    headers={"ETag": '"abc"'}, body=body, links=[["http://127.0.0.1:1/a.pdf", "attachment", {}]])
    data = encode_page(item, "host:1:w1#7")
    assert record_id(data) == "host:1:w1#7"
    got = decode_page(data)
    assert got.body == b"" and got.body_size == len(body) and got.links == item.links
    archive = Archive(str(tmp_path / "a.db"))
    page_id = archive.record_page(url=got.url, status=200, headers=got.headers, body_zlib=got.body_zlib,
                                  sha256=got.body_sha256, size=got.body_size)
    assert archive.page_body(page_id) == body
    assert archive.validators(got.url) == {}  # no report stored from it yet
    # one flipped byte in the compressed body: refused, naming the page
    bad = bytearray(data)
    bad[-5] ^= 0xFF
    broken = decode_page(bytes(bad))
    with pytest.raises(ArchiveError, match="t1.html"):
        archive.record_page(url=broken.url, status=200, body_zlib=broken.body_zlib,
                            sha256=broken.body_sha256, size=broken.body_size)
    assert q(tmp_path / "a.db", "SELECT count(*) FROM pages") == [(1,)]


def test_the_host_gate_spaces_requests_to_one_host_across_workers(redis_url: str) -> None:
    """SharedHostGate's reservation: each call gets the next free send time for its host, one gap
    after the previous one (Redis' clock), whichever worker asks; other hosts are independent."""
    import redis

    from crawler.distributed.keys import HOST_GATE_LUA

    server = redis.Redis.from_url(redis_url)
    gate = server.register_script(HOST_GATE_LUA)
    try:
        # Read the reserved slots off Redis' own clock (the key holds slot + gap), so a loaded test
        # machine's scheduling jitter cannot blur them.
        slots, waits = [], []
        for _ in range(5):
            waits.append(int(gate(keys=["nianbao:test-gate:a.gov.cn"], args=[200])))
            slots.append(int(server.get("nianbao:test-gate:a.gov.cn")) - 200)
        assert int(gate(keys=["nianbao:test-gate:b.gov.cn"], args=[200])) == 0
        gaps = [b - a for a, b in zip(slots, slots[1:])]
        assert waits[0] == 0
        for wait, gap in zip(waits[1:], gaps):
            # a call that came before its slot waits and gets exactly one gap after the previous
            # slot; one delayed past it (a loaded machine) goes at once, still never closer
            assert gap == 200 if wait > 0 else gap >= 200, (waits, gaps)
        assert any(w > 0 for w in waits[1:]), waits
        assert 0 < server.pttl("nianbao:test-gate:a.gov.cn") <= 61_000  # the key cleans itself up
    finally:
        server.delete("nianbao:test-gate:a.gov.cn", "nianbao:test-gate:b.gov.cn")


def test_two_workers_are_together_as_polite_as_one_process(tmp_path: Path, redis_url: str) -> None:
    """DOWNLOAD_DELAY=0.2 set by hand applies to each worker as it is; the shared gate still keeps
    the portal at one request per 0.2 s from both workers together (without it, two workers send
    about twice as often, many requests close together)."""
    gap = os.environ.get("NIANBAO_TEST_HOST_GAP")  # "0": the control run without the gate
    portal, reports = _column_portal(60, slow_listing=0)
    arrivals: list[float] = []
    inner = portal.hook

    def hook(h, path: str) -> bool:
        arrivals.append(time.monotonic())
        return inner(h, path)

    portal.hook = hook
    server = PortalServer(portal).start()
    try:
        r = crawl(tmp_path / "archive.db", server.url, "--redis", redis_url, "--workers", "2",
                  "-s", "DOWNLOAD_DELAY=0.2", "-s", "AUTOTHROTTLE_ENABLED=False",
                  *(["-s", f"NIANBAO_HOST_GAP={gap}"] if gap else []))
    finally:
        server.stop()
    n = len(arrivals)
    assert n >= len(reports) + 6 + 2, n  # reports, listing pages, home, robots.txt per worker
    gaps = sorted(b - a for a, b in zip(arrivals, arrivals[1:]))
    close = sum(g < 0.1 for g in gaps)
    per_worker = worker_pages(r.stderr)
    print(f"{n} requests in {arrivals[-1] - arrivals[0]:.2f}s; {close} of {len(gaps)} gaps < 0.1 s; "
          f"median gap {gaps[len(gaps) // 2]:.3f}s; pages per worker {per_worker}")
    assert len(per_worker) == 2 and min(per_worker.values()) >= 10, per_worker  # both worked
    # each send time is reserved 0.2 s after the previous one (each worker's own delay comes on
    # top, so single gaps may be shorter): n requests take at least (n - 1) × 0.2 s in all
    assert arrivals[-1] - arrivals[0] >= (n - 1) * 0.2 - 0.5


def test_workers_on_other_machines_join_a_writer_started_without_local_workers(tmp_path: Path, redis_url: str) -> None:
    """The several-machines recipe of crawler/README.md: `nianbao crawl … --workers 0` writes,
    two `scrapy crawl reports -s NIANBAO_ROLE=worker` processes (one started before the writer,
    one after) crawl; the crawl ends when both are done. (The column's first page answers only
    once both workers have joined, and each report page takes 0.2 s: work for both.)"""
    import threading

    import redis

    portal, reports = _column_portal(40, slow_listing=0)
    joined = threading.Event()

    def hook(h, path: str) -> bool:
        if path in ("/ndbg/", "/ndbg/index.html"):
            joined.wait(60)
        elif path.startswith("/ndbg/t"):
            time.sleep(0.2)
        return False

    portal.hook = hook
    server = PortalServer(portal).start()
    db = tmp_path / "archive.db"
    worker_cmd = [sys.executable, "-m", "scrapy", "crawl", "reports", "-a", f"start_urls={server.url}",
                  "-s", "NIANBAO_ROLE=worker", "-s", f"REDIS_URL={redis_url}", "-s", "NIANBAO_JS=off",
                  "-s", "DOWNLOAD_HANDLERS={}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
                  "-s", "DOWNLOAD_TIMEOUT=60", "-s", "LOG_LEVEL=WARNING"]

    def start(cmd: list[str], cwd: Path) -> subprocess.Popen:
        return subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    try:
        early = start(worker_cmd, REPO)  # waits for the writer to announce the crawl
        writer = start([sys.executable, "-m", "nianbao", "crawl", server.url, "--db", str(db), "--no-js", *FAST,
                        "-s", "DOWNLOAD_TIMEOUT=60", "--redis", redis_url, "--workers", "0"], tmp_path)
        late = start(worker_cmd, REPO)
        client, deadline = redis.Redis.from_url(redis_url), time.time() + 60
        while time.time() < deadline and not any(
                client.scard(k) == 2 for k in client.scan_iter(match="nianbao:*:workers")):
            time.sleep(0.05)
        joined.set()
        outs = [p.communicate(timeout=120)[1] for p in (early, late, writer)]
        assert [p.returncode for p in (early, late, writer)] == [0, 0, 0], [o[-2000:] for o in outs]
    finally:
        joined.set()
        server.stop()
    base = server.url.rstrip("/")
    assert {u for (u,) in q(db, "SELECT url FROM reports")} == {base + p for p in reports}
    assert q(db, "SELECT status, reports_new FROM crawls") == [("finished", len(reports))]
    per_worker = worker_pages(outs[2])
    print("pages per worker:", per_worker)
    assert len(per_worker) == 2 and min(per_worker.values()) >= 2, outs[2][-2000:]  # both crawled (robots.txt + pages)
    assert sum(per_worker.values()) == sum(Counter(portal.requested()).values())  # every page once
    assert "0 workers, frontier in" in outs[2] and "(2 workers, one archive writer)" in outs[2]
