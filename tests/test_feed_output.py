"""`nianbao crawl -O FEED` never leaves an empty feed without a word (issue 12): a crawl that found no report
says so and why. (The re-crawl case, every unchanged report written from the archive, is in test_crawl.py.)"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crawler.sample_portal.server import serve_sample

REPO = Path(__file__).resolve().parents[1]


def test_an_empty_feed_is_explained(tmp_path):
    server = serve_sample(0)
    try:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        r = subprocess.run([sys.executable, "-m", "nianbao", "crawl", server.url, "--db", str(tmp_path / "a.db"),
                            "--no-js", "--max-pages", "1", "-O", str(tmp_path / "f.jsonl"), "-s", "LOG_LEVEL=WARNING",
                            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "f.jsonl").read_text() == ""
    line = [l for l in r.stderr.splitlines() if "no report written" in l]
    assert line == [f"nianbao crawl: {tmp_path / 'f.jsonl'}: no report written: the crawl found none "
                    f"(1 pages fetched, 0 errors, ended: closespider_pagecount)"], r.stderr[-1500:]
