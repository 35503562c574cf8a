"""The resume state of a one-process crawl is saved by the archive sink while it stores pages,
not by the progress line: a crawl run with the progress line off (`-s NIANBAO_PROGRESS=False`)
that stops early resumes with the counters it had."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import q
from crawler.sample_portal.server import PortalServer
from test_crawl import FAST, _big_portal, crawl, env

N_REPORTS = 60
OFF = ("-s", "NIANBAO_PROGRESS=False")


def journal_counters(db: Path) -> dict:
    rows = q(Path(str(db) + ".crawl") / "journal.sqlite", "SELECT stats FROM run")
    return json.loads(rows[0][0] or "{}").get("counters", {}) if rows else {}


def test_a_crawl_without_progress_line_stopped_by_max_pages_resumes_with_its_counters(tmp_path: Path) -> None:
    portal, reports = _big_portal(N_REPORTS)
    db = tmp_path / "archive.db"
    with PortalServer(portal) as server:
        url = server.url + "ndbg/"
        crawl(tmp_path, url, *OFF, "--max-pages", "25")
        first = journal_counters(db)
        # what the first run stored is what its journal says: pages and new reports
        (pages1, new1), = q(db, "SELECT count(*), (SELECT count(*) FROM reports) FROM pages")
        assert first["pages"] == pages1 and first["new"] == new1 and 0 < new1 < N_REPORTS
        assert q(db, "SELECT status FROM crawls") == [("closespider_pagecount",)]

        crawl(tmp_path, url, *OFF)  # prints no summary: the progress extension is off
    # one crawl, its counters carried over: every report counted new once, every page once
    stats = json.loads(q(db, "SELECT stats FROM crawls")[0][0])
    assert q(db, "SELECT count(*), status FROM crawls") == [(1, "finished")]
    assert stats["resumed"] is True
    assert stats["reports_new"] == N_REPORTS == q(db, "SELECT count(*) FROM reports")[0][0]
    assert stats["pages"] == q(db, "SELECT count(*) FROM pages")[0][0]
    assert stats["reports_found"] == N_REPORTS
    assert journal_counters(db) == {}  # a finished crawl leaves no resume state


def test_a_crawl_without_progress_line_saves_its_counters_while_it_runs(tmp_path: Path) -> None:
    """Killed with -9 (no closing), the journal still has counters from the last second."""
    portal, _ = _big_portal(N_REPORTS)  # 0.05 s per report page
    db = tmp_path / "archive.db"
    with PortalServer(portal) as server:
        cmd = [sys.executable, "-m", "nianbao", "crawl", server.url + "ndbg/", "--db", str(db), "--no-js",
               *FAST, *OFF, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline, saved = time.time() + 60, {}
            while time.time() < deadline and proc.poll() is None:
                saved = journal_counters(db) if (Path(str(db) + ".crawl") / "journal.sqlite").exists() else {}
                if saved.get("new", 0) >= 10:
                    break
                time.sleep(0.1)
            assert proc.poll() is None, "the crawl ended before its counters were saved"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
        # the counters saved while running match what the archive held at that moment, at most
        stored = q(db, "SELECT count(*) FROM reports")[0][0]
        assert 10 <= saved["new"] <= stored < N_REPORTS
        assert saved["pages"] >= saved["new"]
        crawl(tmp_path, server.url + "ndbg/", *OFF)
    stats = json.loads(q(db, "SELECT stats FROM crawls")[0][0])
    assert stats["resumed"] is True and q(db, "SELECT count(*), status FROM crawls") == [(1, "finished")]
    # resumed from the saved counters: at least what was saved, at most every report
    assert saved["new"] <= stats["reports_new"] <= N_REPORTS == q(db, "SELECT count(*) FROM reports")[0][0]
