"""The distributed writer never drops a page record silently.

A record it cannot decode (garbled bytes in `<prefix>:items`, a head that is not JSON) or cannot
store (a body that does not match the sha256 sent with it) becomes a row of `errors` naming the
record — its `<worker>#<n>` id when that much is readable — and the reason, and is counted among
the crawl's errors; the crawl itself goes on and finishes as usual.
"""
from __future__ import annotations

import subprocess
import sys
import time
import zlib
from pathlib import Path

import redis

from crawler.distributed.keys import Keys
from crawler.distributed.records import encode_page
from crawler.items import PageItem
from crawler.sample_portal.server import PortalServer
from crawler.state import run_key
from conftest import q
from test_distributed import FAST, REPO, _column_portal, env, redis_url  # noqa: F401 - redis_url is a fixture


def _wait(cond, what: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_garbled_records_become_error_rows_and_the_crawl_finishes(tmp_path: Path, redis_url: str) -> None:
    portal, reports = _column_portal(20, slow_listing=0)
    db = tmp_path / "archive.db"
    client = redis.Redis.from_url(redis_url)
    with PortalServer(portal) as server:
        keys = Keys(f"nianbao:{run_key([server.url])}")
        writer = subprocess.Popen(
            [sys.executable, "-m", "nianbao", "crawl", server.url, "--db", str(db), "--no-js", *FAST,
             "--redis", redis_url, "--workers", "0"],
            cwd=tmp_path, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _wait(lambda: client.exists(keys.crawl), "the writer to announce its crawl")
            # three bad records arrive among the workers' records while the crawl runs
            forged = encode_page(PageItem(url=server.url + "ndbg/forged.html", kind="detail", status=200,
                                          fetched_at="2026-01-05T00:00:00Z", body=b"<html>the real page</html>"),
                                 "hostZ:9#3")
            head = forged.partition(b"\0")[0]
            client.rpush(keys.items,
                         b'{"_rid":"hostZ:9#1","url":"http://a.example/x","kind":' + b"\0" + b"rest",  # JSON cut short
                         b"\xff\xfe not a page record at all",  # no head, no body
                         head + b"\0" + zlib.compress(b"<html>another body</html>"))  # sha256 does not match
            _wait(lambda: client.llen(keys.items) == 0, "the writer to take the records")
            worker = subprocess.run(
                [sys.executable, "-m", "crawler.distributed.worker",
                 f'{{"redis": "{redis_url}", "urls": ["{server.url}"], "db": "{db}", '
                 f'"overrides": {{"NIANBAO_JS": "off", "DOWNLOAD_HANDLERS": {{}}, "AUTOTHROTTLE_ENABLED": false, '
                 f'"DOWNLOAD_DELAY": 0, "LOG_LEVEL": "WARNING"}}}}'],
                cwd=REPO, env=env(), capture_output=True, text=True, timeout=120)
            assert worker.returncode == 0, worker.stderr[-2000:]
            err = writer.communicate(timeout=60)[1]
        finally:
            if writer.poll() is None:
                writer.kill()
    assert writer.returncode == 0, err[-2000:]
    base = server.url.rstrip("/")
    # the crawl itself is whole
    assert {u for (u,) in q(db, "SELECT url FROM reports")} == {base + p for p in reports}
    assert q(db, "SELECT status, reports_new FROM crawls") == [("finished", len(reports))]
    # each bad record is an error row naming it, with the reason
    rows = q(db, "SELECT url, reason FROM errors WHERE reason LIKE 'page record %' ORDER BY id")
    assert len(rows) == 3, rows
    (u1, r1), (u2, r2), (u3, r3) = rows
    assert u1 == f"redis:{keys.items}#hostZ:9#1"
    assert r1.startswith("page record hostZ:9#1 could not be decoded: JSONDecodeError")
    assert u2 == f"redis:{keys.items}#(no id)"
    assert r2.startswith("page record (no id) could not be decoded: ValueError: no NUL")
    assert u3 == server.url + "ndbg/forged.html"  # decoded: the page it claims to be
    assert r3.startswith("page record hostZ:9#3 could not be stored:") and "sha256" in r3
    assert q(db, "SELECT count(*) FROM pages WHERE url LIKE '%forged%'") == [(0,)]  # nothing half-written
    # counted with the crawl's own errors (the spider's guesses at other columns: 404), and named
    # in the summary
    (total,), = q(db, "SELECT count(*) FROM errors")
    (not_found,), = q(db, "SELECT count(*) FROM errors WHERE reason = 'HTTP 404'")
    assert total == 3 + not_found
    assert q(db, "SELECT json_extract(stats, '$.errors') FROM crawls") == [(total,)]
    assert f"errors          {total} (404/410: {not_found})" in err
    assert f"failed          {total} page(s)" in err and "page record hostZ:9#1 could not be decoded" in err
    assert not list(client.scan_iter(match=keys.all_pattern()))  # a finished crawl leaves no keys
