"""Reparse benchmark: `nianbao reparse` throughput with one and with two parser processes.

    python benchmarks/bench_reparse.py [--reports 200] [--db /tmp/bench_reparse.db]

Builds an archive of `reports` generated report pages (the test suite's layout generator: TRS,
UCAP, JCMS, Hanweb and table layouts, UTF-8 and GBK) as a crawl leaves it (every page's bytes
and the report read from them), then reads it again with `archive.reparse.reparse` using 1 and 2
workers. Nothing changes between the runs (same parser), so this measures the reading and the
content-hash comparison, which is the whole cost of a run where few reports change.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from archive.reparse import reparse  # noqa: E402
from archive.store import Archive  # noqa: E402
from layouts import generate  # noqa: E402
from parsers import ParseError, parse_bytes  # noqa: E402


def build(path: str, n: int) -> int:
    if os.path.exists(path):
        os.remove(path)
    stored = 0
    with Archive(path) as db, db.db.atomic():
        for seed in range(n):
            case = generate(seed)
            url = f"http://127.0.0.1:9/nb/{seed}/{case.url.rsplit('/', 1)[-1]}"
            page_id = db.record_page(url, 200, {"Content-Type": "text/html"}, case.html, content_type="text/html")
            try:
                db.add_report(parse_bytes(case.html, url, "text/html"), page_id=page_id)
                stored += 1
            except ParseError:
                pass
    return stored


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--db", default="/tmp/bench_reparse.db")
    args = ap.parse_args()
    stored = build(args.db, args.reports)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"archive: {stored} reports from {args.reports} generated pages")
    rates = {}
    for workers in (1, 2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        main0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        stats = reparse(args.db, workers=workers)
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, reaped at its end
        main1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        main = (main1.ru_utime + main1.ru_stime) - (main0.ru_utime + main0.ru_stime)
        rates[workers] = stats.total / elapsed
        print(f"workers={workers}: {stats.total} reports in {elapsed:.1f} s, {rates[workers]:.1f} reports/s, "
              f"workers' CPU {cpu:.1f} s = {cpu / elapsed:.2f} cores busy, this process {main:.1f} s "
              f"({stats.changed} changed, {stats.unchanged} unchanged, {stats.failed} unreadable)")
    print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
