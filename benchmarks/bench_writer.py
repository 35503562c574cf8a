"""Archive-writer benchmark: CPU per page of `Archive.record_page` + `Archive.add_report`, the
calls the distributed crawl's single writer process makes for every report page.

    python3 benchmarks/bench_writer.py [--n 2000] [--batch 0] [--profile] [--body-zlib]

Pages come from bench_crawl.py's portal generator (≈ 15 KB HTML report pages, four templates),
written to a temporary directory and parsed once each with the crawler's parser
(`parsers.parse_bytes(...).to_dict()`, as crawler/parsing.py does). Only the archive part is
timed, with `time.process_time()` (this process's CPU, so other processes on the machine do not
count), into a fresh temporary archive, in the crawler pipeline's call sequence (one transaction
per call, as ArchivePipeline in a one-process crawl):

  run 1  every report new        (a first crawl)
  run 2  the same reports again  (a re-crawl: every report unchanged; pages still recorded)

`--batch N` stores N pages per transaction, as the distributed writer does (crawler/distributed/writer.py
`Writer.store`: one outer `archive.db.atomic()` per batch, one nested `atomic()` per record).
`--body-zlib` passes each body as the distributed writer receives it (zlib level 1 + sha256 +
size, prepared outside the timing, as a worker does; record_page's `body_zlib=` keyword) instead
of raw bytes. `--profile` prints a cProfile
top-25 (cumulative) for each run. Everything is written under a temporary directory, removed at
the end; only the results are printed.
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_crawl import generate  # noqa: E402

HOST = "127.0.0.1:8080"  # the portal name a crawl without portals.toml gives (the host)


def load_pages(n: int, work: str) -> list[tuple[str, bytes, dict, dict]]:
    """(url, body, headers, report dict) for each report page of a generated portal."""
    from parsers import parse_bytes

    site = os.path.join(work, "site")
    generate(site, n, 20)
    col = os.path.join(site, "zfxxgknb")
    out = []
    for sub in sorted(os.listdir(col)):
        d = os.path.join(col, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                body = f.read()
            url = f"http://{HOST}/zfxxgknb/{sub}/{name}"
            ct = "text/html"
            report = parse_bytes(body, url, ct).to_dict()
            headers = {"Server": "nginx", "Date": "Mon, 23 Nov 2026 13:00:00 GMT", "Content-Type": ct,
                       "Content-Length": str(len(body)), "Last-Modified": "Mon, 23 Nov 2026 12:00:00 GMT",
                       "Connection": "keep-alive", "ETag": f'"{hashlib.md5(body).hexdigest()[:16]}"',
                       "Accept-Ranges": "bytes"}
            out.append((url, body, headers, report))
    return out


def store(db, page, packed, crawl_id: int, fetched_at: str) -> str:
    """One page as the pipeline stores it: record_page, then add_report."""
    url, body, headers, report = page
    if packed is not None:
        z, sha, size = packed
        page_id = db.record_page(url=url, status=200, headers=headers, body_zlib=z, sha256=sha, size=size,
                                 fetched_at=fetched_at, crawl_id=crawl_id,
                                 content_type=headers["Content-Type"], error=None)
    else:
        page_id = db.record_page(url=url, status=200, headers=headers, body=body, fetched_at=fetched_at,
                                 crawl_id=crawl_id, content_type=headers["Content-Type"], error=None)
    return db.add_report(report, page_id=page_id, crawl_id=crawl_id, portal=HOST)[0]


def run(db, pages, crawl_id: int, fetched_at: str, body_zlib: bool, batch: int = 0) -> tuple[float, dict]:
    statuses: dict[str, int] = {}
    # what the distributed writer has in hand: the body compressed at level 1 by the worker
    packed = [(zlib.compress(b, 1), hashlib.sha256(b).hexdigest(), len(b)) if body_zlib else None
              for _, b, _, _ in pages]
    t0 = time.process_time()
    if batch:
        for start in range(0, len(pages), batch):
            with db.db.atomic():  # one transaction per batch
                for i in range(start, min(start + batch, len(pages))):
                    with db.db.atomic():  # one savepoint per record
                        status = store(db, pages[i], packed[i], crawl_id, fetched_at)
                    statuses[status] = statuses.get(status, 0) + 1
        return time.process_time() - t0, statuses
    for i, page in enumerate(pages):
        status = store(db, page, packed[i], crawl_id, fetched_at)
        statuses[status] = statuses.get(status, 0) + 1
    return time.process_time() - t0, statuses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="report pages (default 2000)")
    ap.add_argument("--profile", action="store_true", help="cProfile top-25 (cumulative) of each run")
    ap.add_argument("--batch", type=int, default=0, metavar="N",
                    help="pages per transaction, as the distributed writer (default 0: one per call)")
    ap.add_argument("--body-zlib", action="store_true", help="pass bodies already zlib'd (record_page body_zlib=)")
    a = ap.parse_args()

    from archive.store import Archive

    work = tempfile.mkdtemp(prefix="nianbao-bench-writer-")
    try:
        pages = load_pages(a.n, work)
        kb = sum(len(p[1]) for p in pages) / len(pages) / 1024
        print(f"pages: {len(pages)} report pages, {kb:.1f} KB HTML each on average"
              f"{', bodies passed zlib-compressed' if a.body_zlib else ''}"
              f"{f', {a.batch} pages per transaction' if a.batch else ', one transaction per call'}")
        db = Archive(os.path.join(work, "bench.db"))
        for label, when in (("run 1 (new)", "2026-11-23T13:00:00Z"), ("run 2 (unchanged)", "2026-11-24T13:00:00Z")):
            crawl_id = db.begin_crawl(start_urls=[f"http://{HOST}/"], settings={})
            prof = cProfile.Profile() if a.profile else None
            if prof:
                prof.enable()
            cpu, statuses = run(db, pages, crawl_id, when, a.body_zlib, a.batch)
            if prof:
                prof.disable()
            db.finish_crawl(crawl_id, stats={})
            print(f"{label:18s} {1000 * cpu / len(pages):6.2f} ms CPU/page  ({cpu:.2f} s CPU, {statuses})")
            if prof:
                s = io.StringIO()
                pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(25)
                print(s.getvalue())
        db.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
