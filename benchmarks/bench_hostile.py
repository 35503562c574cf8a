"""What hostile input costs now (issue 13): the figures of README's reliability section.

    python3 benchmarks/bench_hostile.py

1. parse pool: an element-dense page (`<i>x</i>` × 1.9 M, 15.2 MB, under the 16 MB cap) with the
   default limits (refused by the element count), the same kind of page at 200,000 elements with
   the element cap lifted and a 3 s time limit, and a page at the 50,000-element cap (the most an
   accepted page costs); each: seconds to the verdict;
2. a crawl (`nianbao crawl --no-js`, one parse worker, limits lifted) interrupted by one SIGINT
   while it parses a 400,000-element page: seconds from the signal to the process's exit;
3. Datasette: `select randomblob(1000000000)`, the archived copy of a 400,000-element page, the
   first and the cached view of a 20,000-element page, and a small request sent while that first
   view is being sanitized.

Everything runs on 127.0.0.1 in a temporary directory, removed at the end.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]


def dense(n: int) -> bytes:
    return b"<html><head><title>x</title></head><body>" + b"<i>x</i>" * n + b"</body></html>"


def bench_pool() -> list[str]:
    from crawler.parsing import ParseLimits, ParsePool

    out = []
    cases = [("1.9 M elements, 15.2 MB, default limits", dense(1_900_000), ParseLimits()),
             ("200,000 elements, element cap off, 3 s limit", dense(200_000), ParseLimits(seconds=3, max_elements=0)),
             ("50,000 elements (the cap), default limits", dense(49_990), ParseLimits())]
    for name, body, limits in cases:
        async def go():
            pool = ParsePool(1, limits=limits)
            try:
                await pool.parse(b"<html><body>warm</body></html>", "http://127.0.0.1/w.html", "text/html")
                t = time.perf_counter()
                status, reason = await pool.parse(body, "http://127.0.0.1/d.html", "text/html")
                return time.perf_counter() - t, status, reason
            finally:
                pool.close()

        secs, status, reason = asyncio.run(go())
        time.sleep(0.5)
        out.append(f"{name:48s} {secs:7.2f} s  -> {status}: {str(reason)[:80]}")
    return out


def bench_ctrl_c(tmp: Path) -> list[str]:
    from crawler.sample_portal.server import Portal, PortalServer
    from portals import sites

    links = sites.li([("江北区2022年政府信息公开工作年度报告", "/gknb/dense.html")])
    portal = Portal({"/robots.txt": b"", "/gknb/": sites.shell("政府信息公开年报", links).encode(),
                     "/gknb/dense.html": dense(400_000)})
    with PortalServer(portal) as server:
        cmd = [sys.executable, "-m", "nianbao", "crawl", server.url + "gknb/", "--db", str(tmp / "c.db"), "--no-js",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING",
               "-s", "NIANBAO_PARSE_WORKERS=1", "-s", "NIANBAO_PARSE_MAX_ELEMENTS=0", "-s", "NIANBAO_PARSE_TIMEOUT=0"]
        proc = subprocess.Popen(cmd, cwd=tmp, env={**os.environ, "PYTHONPATH": str(REPO)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        while "/gknb/dense.html" not in portal.requested():
            time.sleep(0.1)
        time.sleep(3)
        t = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=600)
            return [f"one SIGINT during a parse of 400,000 elements: exited after {time.perf_counter() - t:.1f} s"]
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return ["one SIGINT during a parse: still running after 600 s (killed)"]


def bench_datasette(tmp: Path) -> list[str]:
    from archive import datasette_plugin
    from archive.serve import make_datasette
    from test_security_archive import _archive
    from portals import sites

    medium = b"<html><body>" + b"<p><b>x</b> y</p>" * 20_000 + b"</body></html>"
    db, ids = _archive(tmp, {"http://127.0.0.1/r.html": sites.XIGANG, "http://127.0.0.1/dense.html": dense(400_000),
                             "http://127.0.0.1/medium.html": medium})
    ds = make_datasette(str(db))
    out = []

    async def go():
        c = ds.client

        async def timed(path: str, **params):
            t = time.perf_counter()
            r = await c.get(path, params=params or None)
            return time.perf_counter() - t, r.status_code

        secs, status = await timed("/archive.json", sql="select randomblob(1000000000)")
        out.append(f"select randomblob(1000000000): HTTP {status} after {secs * 1000:.0f} ms")
        secs, status = await timed(f"/-/archived/{ids['http://127.0.0.1/dense.html']}")
        out.append(f"archived copy, 400,000 elements (not rendered): HTTP {status} after {secs * 1000:.0f} ms")
        medium_path = f"/-/archived/{ids['http://127.0.0.1/medium.html']}"
        slow = asyncio.create_task(timed(medium_path))
        await asyncio.sleep(0.05)
        quick = await timed("/archive/reports.json", _shape="array", _col="title")
        first = await slow
        cached = await timed(medium_path)
        out.append(f"archived copy, 20,000 elements: first view {first[0] * 1000:.0f} ms, cached {cached[0] * 1000:.0f} ms"
                   f" (cache hits {datasette_plugin.ARCHIVED_COPIES.hits})")
        out.append(f"a small request sent 50 ms into that first view: answered after {quick[0] * 1000:.0f} ms")

    asyncio.run(go())
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench_hostile_"))
    try:
        print(f"machine: {os.uname().machine}, {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
              f"load average {os.getloadavg()[0]:.1f}")
        for line in bench_pool() + bench_ctrl_c(tmp) + bench_datasette(tmp):
            print(line, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
