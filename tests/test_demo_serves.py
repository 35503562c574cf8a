"""`nianbao demo` (scripts/demo.sh): while Datasette runs, the sample portal still serves, so every report's
"original" link opens (issue 12, item 8)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read()


def test_demo_keeps_the_portal_serving_while_datasette_runs(tmp_path):
    import os

    portal_port, site_port = _free_port(), _free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log = open(tmp_path / "demo.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "nianbao", "demo", "--db", str(tmp_path / "archive.db"),
                             "--port", str(portal_port), "--serve-port", str(site_port)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "demo.log").read_text(errors="replace")[-2000:]
            try:
                if _get(f"http://127.0.0.1:{site_port}/-/versions.json")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.time() < deadline, (tmp_path / "demo.log").read_text(errors="replace")[-2000:]
            time.sleep(0.3)
        status, body = _get(f"http://127.0.0.1:{site_port}/archive/reports.json?_shape=array&_col=url&_size=max")
        urls = [r["url"] for r in json.loads(body)]
        assert len(urls) == 5 and all(u.startswith(f"http://127.0.0.1:{portal_port}/") for u in urls), urls
        for u in urls:  # every original opens, Datasette still running
            assert _get(u)[0] == 200, u
        assert proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
