"""Crash recovery: kill -9 a crawl at several seeded random points, resume each time, and compare
the final archive with an uninterrupted crawl of the same portal.

Extends tests/test_crawl.py::test_kill_9_and_resume (one kill, "no page fetched twice") with
several kills and a full comparison: same reports with the same content hashes, same set of
archived page URLs, one version per report, one finished crawl, `PRAGMA integrity_check` ok for
the archive and the journal.
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from crawler.sample_portal.server import PortalServer
from test_crawl import FAST, _big_portal, crawl, env

N_REPORTS = 90
SEED = 20260105
KILLS = 3


def q(db: Path, sql: str, *params) -> list[tuple]:
    c = sqlite3.connect(db, timeout=5)
    try:
        return list(c.execute(sql, params))
    finally:
        c.close()


def archived_reports(db: Path, base: str) -> dict[str, tuple]:
    return {u[len(base):]: (h, v, cur) for u, h, v, cur in
            q(db, "SELECT url, content_hash, version, is_current FROM reports")}


def archived_pages(db: Path, base: str) -> set[tuple[str, str]]:
    return {(u[len(base):], s) for u, s in q(db, "SELECT url, sha256 FROM pages WHERE status = 200")}


def count_pages(db: Path) -> int:
    try:
        return q(db, "SELECT count(DISTINCT url) FROM pages")[0][0]
    except sqlite3.Error:
        return 0


def test_kill_9_at_random_points_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    portal, reports = _big_portal(N_REPORTS)
    rng = random.Random(SEED)
    total_pages = N_REPORTS + N_REPORTS // 10  # reports + listing pages
    points = sorted(rng.sample(range(5, total_pages - 10), KILLS))
    ref_dir, run_dir = tmp_path / "reference", tmp_path / "killed"
    ref_dir.mkdir()
    run_dir.mkdir()
    with PortalServer(portal) as server:
        url = server.url + "ndbg/"
        base = server.url.rstrip("/")
        crawl(ref_dir, url)  # the uninterrupted crawl

        db = run_dir / "archive.db"
        cmd = [sys.executable, "-m", "nianbao", "crawl", url, "--db", str(db), "--no-js", *FAST,
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
        killed_at = []
        for point in points:
            proc = subprocess.Popen(cmd, cwd=run_dir, env=env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            deadline = time.time() + 60
            while time.time() < deadline and proc.poll() is None and count_pages(db) < point:
                time.sleep(0.02)
            assert proc.poll() is None, "the crawl ended before the kill point"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            killed_at.append(count_pages(db))
            # what a kill leaves must already be a sound archive
            assert q(db, "PRAGMA integrity_check") == [("ok",)]
        print("kill points (pages archived):", points, "killed at:", killed_at)
        assert killed_at == sorted(killed_at) and killed_at[-1] < total_pages
        r = crawl(run_dir, url)  # resume to the end
        assert "resumed" in r.stderr

    ref_db = ref_dir / "archive.db"
    assert archived_reports(db, base) == archived_reports(ref_db, base)
    assert len(archived_reports(db, base)) == N_REPORTS
    # no duplicate versions: one row per report URL, version 1, current
    assert q(db, "SELECT count(*), count(DISTINCT url), max(version), min(is_current) FROM reports") == \
        [(N_REPORTS, N_REPORTS, 1, 1)]
    # no lost pages: the same page URLs (and bodies) archived as without the kills
    assert archived_pages(db, base) == archived_pages(ref_db, base)
    assert {u for u, _ in archived_pages(db, base)} >= {p for p in reports}
    # the report tables too: same rows for every report
    t3 = "SELECT r.url, t.row_key, t.total FROM table3 t JOIN reports r ON r.id = t.report_id ORDER BY 1, 2"
    assert [(u[len(base):], k, v) for u, k, v in q(db, t3)] == [(u[len(base):], k, v) for u, k, v in q(ref_db, t3)]
    # one crawl, resumed across the kills, finished; sound files
    assert q(db, "SELECT count(*), min(status), max(status) FROM crawls") == [(1, "finished", "finished")]
    assert q(db, "PRAGMA integrity_check") == [("ok",)]
    assert q(db, "PRAGMA foreign_key_check") == []
    journal = Path(str(db) + ".crawl") / "journal.sqlite"
    assert q(journal, "PRAGMA integrity_check") == [("ok",)]
    assert q(journal, "SELECT count(*) FROM done") == [(0,)]  # a finished crawl leaves no resume state
