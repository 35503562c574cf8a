"""Distributed-mode benchmark (issue 5, "Scale figures").

    python3 benchmarks/bench_distributed.py [--reports 50000] [--window 120] [--warmup 30]
                                            [--modes w1,w2,single] [--full]

A generated portal (bench_crawl.py's generator: a home page, a 政府信息公开年报 column paginated
with TRS createPageHTML, report pages rendered from the seed reports; 50,000 reports → 52,501
pages) is served by nginx on 127.0.0.1, and a redis-server is started on a free port. Then:

  w1      `nianbao crawl URL --redis R --workers 1`: one worker process (parses inline, in a thread
          of its own: one core) + the archive writer (this is "one worker")
  w2      the same with `--workers 2`
  single  `nianbao crawl URL` without Redis: one process, parse pool on both cores (for reference)

Throughput is the steady-state rate at which pages reach the archive: the `pages` rows are counted
after `--warmup` seconds and again `--window` seconds later (the crawl is then interrupted with
SIGINT); `--full` instead crawls the whole portal and divides by the wall time. Memory: every
process of the crawl is sampled from /proc (RSS every 50 ms, PSS every 0.5 s); the peak of each is
reported by role (writer, worker, parse pool). CPU seconds per process over the window show where
the cores went. Redis memory per 10,000 queued URLs: `INFO memory` before and after pushing
10,000 of the spider's own report requests through the shared queue and duplicate filter.

Same Scrapy settings as bench_crawl.py (robots.txt obeyed, 16 concurrent requests, 16 per host,
no AutoThrottle, no delay); with --workers N they apply to each worker.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from bench_crawl import _children, _cpu_s, _pss_kb, _rss_kb, free_port, fresh_crawl_cmd, generate, start_nginx  # noqa: E402


def start_redis(workdir: str) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", workdir], stdout=subprocess.DEVNULL)
    import redis

    r = redis.Redis(port=port)
    for _ in range(100):
        try:
            r.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "writer/crawler"
    c = _cmdline(pid)
    if "crawler.distributed.worker" in c:
        return "worker"
    if "forkserver" in c or "multiprocessing" in c:
        return "parse pool / forkserver"
    return "other"


def _pages(db: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM pages").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def run_mode(mode: str, url: str, redis_url: str, work: str, warmup: float, window: float, full: bool) -> dict:
    db = os.path.join(work, f"{mode}.db")
    cmd = fresh_crawl_cmd(url, db)
    # the generated column declares 2,500 TRS pages; a real column has far fewer, and the crawl's
    # trap guard (NIANBAO_MAX_TRS_PAGES = 500) would stop --full at 10,000 reports
    cmd += ["-s", "NIANBAO_PROGRESS=False", "-s", "NIANBAO_MAX_TRS_PAGES=100000"]
    if mode.startswith("w"):
        cmd += ["--redis", redis_url, "--workers", mode[1:]]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, dict] = {}
    cpu_at: dict[str, dict[int, float]] = {}
    n = 0
    p_start = p_end = None
    t_start = t_end = None
    while proc.poll() is None:
        n += 1
        el = time.perf_counter() - t0
        stack, pids = [proc.pid], []
        while stack:
            p = stack.pop()
            pids.append(p)
            stack += _children(p)
        for p in pids:
            rec = peaks.setdefault(p, {"role": _role(p, proc.pid), "rss": 0, "pss": 0})
            if rec["role"] == "other":  # forked, not yet exec'd: it still showed its parent's cmdline
                rec["role"] = _role(p, proc.pid)
            rec["rss"] = max(rec["rss"], _rss_kb(p))
            if n % 10 == 0:
                rec["pss"] = max(rec["pss"], _pss_kb(p))
        if not full and t_start is None and el >= warmup:
            t_start, p_start = time.perf_counter(), _pages(db)
            cpu_at["start"] = {p: _cpu_s(p) for p in pids}
        if not full and t_start is not None and time.perf_counter() - t_start >= window:
            t_end, p_end = time.perf_counter(), _pages(db)
            cpu_at["end"] = {p: _cpu_s(p) for p in pids}
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
            break
        time.sleep(0.05)
    err = proc.communicate()[1] if proc.stderr else ""
    wall = time.perf_counter() - t0
    pages_total = _pages(db)
    if full or t_end is None:
        rate = pages_total / wall
        measured = {"pages": pages_total, "seconds": round(wall, 1)}
    else:
        rate = (p_end - p_start) / (t_end - t_start)
        measured = {"pages": p_end - p_start, "seconds": round(t_end - t_start, 1)}
    cpu = {}
    if "end" in cpu_at:
        for p, c1 in cpu_at["end"].items():
            role = peaks.get(p, {}).get("role", "other")
            d = c1 - cpu_at["start"].get(p, 0.0)
            cpu.setdefault(role, []).append(round(d / measured["seconds"], 2))
    by_role: dict[str, list] = {}
    for p, rec in peaks.items():
        if rec["rss"]:
            by_role.setdefault(rec["role"], []).append({"rss_mb": round(rec["rss"] / 1024), "pss_mb": round(rec["pss"] / 1024)})
    if full:  # what the whole crawl left: every page once, every report, one finished crawl
        con = sqlite3.connect(db)
        measured.update(zip(("distinct_pages", "reports", "crawl_status"), con.execute(
            "SELECT (SELECT count(DISTINCT url) FROM pages), (SELECT count(*) FROM reports), "
            "(SELECT group_concat(status) FROM crawls)").fetchone()))
        con.close()
    return {"mode": mode, "pages_per_s": round(rate, 1), "measured": measured, "loadavg_after": os.getloadavg(),
            "cores_busy_by_role": cpu, "peak_memory_by_role": by_role,
            "exit": proc.returncode, "stderr_tail": err[-600:] if proc.returncode not in (0, 1, -2) else ""}


def redis_per_10k(redis_url: str, url: str) -> dict:
    """INFO memory before/after queuing 10,000 of the spider's report requests (queue + filter)."""
    import redis

    from crawler.distributed.frontier import RedisDupeFilter, RedisPriorityQueue
    from crawler.distributed.keys import Keys
    from crawler.spiders.reports import ReportsSpider

    server = redis.Redis.from_url(redis_url)
    spider = ReportsSpider(start_urls=url)
    spider.spider_dedup = False
    keys = Keys("bench:mem")
    server.delete(keys.requests, keys.dupefilter)
    q = RedisPriorityQueue(server, spider, keys, None, "bench")
    df = RedisDupeFilter(server, keys.dupefilter)
    before = server.info("memory")["used_memory"]
    for i in range(10_000):
        year = 2014 + i % 9
        u = f"{url}zfxxgknb/{year}{i % 12 + 1:02d}/t{year}0115_{i}.html"
        req = spider._request(u, "detail", {"title": f"示例{i // 9}区{year}年政府信息公开工作年度报告"})
        if not df.request_seen(req):
            q.push(req)
    after = server.info("memory")["used_memory"]
    out = {"used_memory_delta_mb": round((after - before) / 2**20, 2),
           "queue_zset_mb": round(server.memory_usage(keys.requests) / 2**20, 2),
           "dupefilter_set_mb": round(server.memory_usage(keys.dupefilter) / 2**20, 2),
           "bytes_per_queued_url": round((after - before) / 10_000)}
    server.delete(keys.requests, keys.dupefilter)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=50_000)
    ap.add_argument("--per-page", type=int, default=20)
    ap.add_argument("--modes", default="w1,w2,single")
    ap.add_argument("--warmup", type=float, default=30)
    ap.add_argument("--window", type=float, default=120)
    ap.add_argument("--full", action="store_true", help="crawl the whole portal in each mode (hours at this size)")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="nianbao-benchd-")
    site = os.path.join(work, "site")
    t = time.perf_counter()
    n_pages = generate(site, a.reports, a.per_page)
    print(f"portal: {n_pages} pages generated in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    port = free_port()
    nginx = start_nginx(site, work, port)
    if nginx is None:
        raise SystemExit("needs nginx (Debian package nginx)")
    redis_proc, redis_url = start_redis(work)
    url = f"http://127.0.0.1:{port}/"
    results: dict = {"portal": {"pages": n_pages, "reports": a.reports, "server": "nginx", "cpus": os.cpu_count()},
                     "method": "full crawl" if a.full else f"steady state: {a.window:.0f}s window after {a.warmup:.0f}s"}
    try:
        results["redis_per_10k_queued_urls"] = redis_per_10k(redis_url, url)
        print(f"redis {json.dumps(results['redis_per_10k_queued_urls'])}", file=sys.stderr)
        for mode in a.modes.split(","):
            r = run_mode(mode, url, redis_url, work, a.warmup, a.window, a.full)
            results[mode] = r
            print(f"{mode:6s} {json.dumps(r, ensure_ascii=False)}", file=sys.stderr)
    finally:
        nginx.terminate()
        nginx.wait()
        redis_proc.terminate()
        redis_proc.wait()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    if "w1" in results and "w2" in results and results["w1"]["pages_per_s"]:
        results["speedup_w2_vs_w1"] = round(results["w2"]["pages_per_s"] / results["w1"]["pages_per_s"], 2)
    results["loadavg_at_end"] = os.getloadavg()
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
