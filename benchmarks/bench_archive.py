"""Archive benchmark: load ≥ 100,000 synthetic reports, then time Datasette's `_search` (2- and 4-character words).

    python benchmarks/bench_archive.py --n 100000 --db /tmp/bench_archive.db

Each report has 3–8 KB of Chinese text drawn from a vocabulary of report phrases, the contract's
tables 2–4 and checks, and an archived page (the HTML the crawler would have fetched); agency,
region and year vary. The writes go through `Archive.record_page` + `Archive.add_report`, one
transaction per report, exactly as the crawler's pipeline does. Searches go through Datasette's
own HTTP stack (its in-process ASGI client: routing, SQL, count, templates), on the immutable
file, as `nianbao serve` runs it: the JSON API (first 20 rows + count) and the HTML table page a
person sees (with the five default facets).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.samples import synthetic_reports  # noqa: E402
from archive.serve import make_datasette  # noqa: E402
from archive.store import Archive  # noqa: E402

# from common to rare (see archive/samples.py: TOPICS are Zipf-weighted; 平潭 is one place of 20)
TWO = ["政务", "教育", "医疗", "平潭", "养老", "招生", "审计", "消防", "殡葬", "粮食"]
FOUR = ["政务公开", "疫情防控", "乡村振兴", "财政预算", "生态环境", "公共资源", "义务教育", "政府采购", "垃圾分类", "粮食储备"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def load(db_path: str, n: int) -> dict:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    t0 = time.perf_counter()
    text_bytes = 0
    with Archive(db_path) as db:
        crawl = db.begin_crawl(start_urls=["bench"], settings={"n": n})
        for i, (rep, region) in enumerate(synthetic_reports(n)):
            body = f"<html><head><meta charset='utf-8'></head><body><h1>{rep['title']}</h1><div>{rep['text']}</div></body></html>"
            pid = db.record_page(rep["url"], 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode("utf-8"),
                                 crawl_id=crawl)
            db.add_report(rep, page_id=pid, crawl_id=crawl, portal=rep["url"].split("/")[2], portal_region=region)
            text_bytes += len(rep["text"].encode("utf-8"))
            if (i + 1) % 10000 == 0:
                print(f"  {i + 1} reports, {(i + 1) / (time.perf_counter() - t0):.0f}/s", file=sys.stderr, flush=True)
        load_s = time.perf_counter() - t0
        db.finish_crawl(crawl)
        t1 = time.perf_counter()
        db.optimize()
        opt_s = time.perf_counter() - t1
        q = db.conn.execute
        sizes = {"reports.text": q("SELECT SUM(LENGTH(CAST(text AS BLOB))) FROM reports").fetchone()[0],
                 "pages.body (zlib)": q("SELECT SUM(LENGTH(body)) FROM pages").fetchone()[0],
                 "FTS index": q("SELECT SUM(LENGTH(block)) FROM reports_fts_data").fetchone()[0] + q(
                     "SELECT COUNT(*) * 16 FROM reports_fts_docsize").fetchone()[0]}
    size = os.path.getsize(db_path)
    return {"n": n, "load_s": load_s, "rate": n / load_s, "optimize_s": opt_s, "bytes": size,
            "bytes_per_report": size / n, "text_bytes_per_report": text_bytes / n, "sizes": sizes}


async def time_queries(ds, name: str, words: list[str], rounds: int, html: bool) -> tuple[list[float], dict]:
    times: list[float] = []
    hits: dict = {}
    per_word: dict = {w: [] for w in words}
    for _ in range(rounds):
        for w in words:
            if html:
                path, params = f"/{name}/reports", {"_search": w}
            else:
                path, params = f"/{name}/reports.json", {"_search": w, "_size": "20", "_col": "title"}
            t = time.perf_counter()
            r = await ds.client.get(path, params=params)
            times.append((time.perf_counter() - t) * 1000)
            per_word[w].append(times[-1])
            assert r.status_code == 200, (w, r.status_code, r.text[:300])
            if not html:
                hits[w] = r.json().get("filtered_table_rows_count")
    if not html:
        hits = {w: f"{h} hits {statistics.median(per_word[w]):.0f} ms" for w, h in hits.items()}
    return times, hits


async def search_bench(db_path: str, rounds: int) -> dict:
    name = Path(db_path).stem
    ds = make_datasette(db_path)
    await ds.invoke_startup()
    await ds.client.get("/")  # warm up: table counts, templates
    out = {}
    for label, words in (("2-char", TWO), ("4-char", FOUR)):
        for html in (False, True):
            await time_queries(ds, name, words[:2], 1, html)  # warm caches
            times, hits = await time_queries(ds, name, words, rounds, html)
            out[(label, "html" if html else "json")] = {
                "p50": statistics.median(times), "p95": pct(times, 95), "max": max(times), "n": len(times),
                "hits": hits}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--db", default="/tmp/bench_archive.db")
    ap.add_argument("--rounds", type=int, default=5, help="each query word is timed this many times")
    ap.add_argument("--reuse", action="store_true", help="skip loading: time searches on an existing --db")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    from sqlite_utils.utils import sqlite3
    print(f"SQLite {sqlite3.sqlite_version}")
    if not args.reuse:
        res = load(args.db, args.n)
        print(f"reports: {res['n']}  load: {res['load_s']:.0f} s = {res['rate']:.0f} reports/s "
              f"(one transaction each, page + report + tables + checks + FTS + cross-year); "
              f"FTS optimize + ANALYZE: {res['optimize_s']:.0f} s")
        print(f"file: {res['bytes'] / 2**20:.0f} MiB = {res['bytes_per_report']:.0f} bytes/report "
              f"(body text {res['text_bytes_per_report']:.0f} bytes/report)")
        rest = res["bytes"] - sum(res["sizes"].values())
        print("payload bytes/report: " + ", ".join(f"{k} {v / res['n']:.0f}" for k, v in res["sizes"].items())
              + f", everything else (tables 2-4, checks, indexes, pages) {rest / res['n']:.0f}")
    out = asyncio.run(search_bench(args.db, args.rounds))
    for (label, kind), r in out.items():
        print(f"search {label} {kind:4}: p50 {r['p50']:.1f} ms  p95 {r['p95']:.1f} ms  max {r['max']:.1f} ms  "
              f"({r['n']} requests)")
        if r["hits"]:
            print("    per word (median): " + ", ".join(f"{w} {h}" for w, h in r["hits"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
