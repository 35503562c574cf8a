"""Crawl benchmark: a generated local portal of ≥ 5,000 pages served by nginx (Debian) on
127.0.0.1, crawled three ways, each in its own process, measuring pages/s, reports/s and peak RSS:

  bare   Scrapy following the same links, doing nothing with report pages
  traf   Scrapy + trafilatura.extract on every report page, in the crawling process
  full   `nianbao crawl`: fetch, parse in the process pool (both cores), archive into SQLite

    python3 benchmarks/bench_crawl.py [--reports 5000] [--per-page 20] [--modes bare,traf,full]

All three use the same Scrapy politeness settings for a local server (robots.txt obeyed, no
AutoThrottle, no delay, 16 concurrent requests). Peak RSS is sampled from /proc every 50 ms,
summed over the process tree (the full crawl's forkserver and parse workers included); the
crawling process's own peak is shown too. Falls back to a threaded Python server if nginx is
missing. Goal (issue 3): full ≥ 1.3× faster than traf, peak RSS < 300 MB (no browser).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

SAMPLE = os.path.join(REPO, "crawler", "sample_portal", "site", "zwgk", "zfxxgk", "zfxxgknb")
TEMPLATES = [  # (file, title in the page, encoding, agency names in it, longest first)
    ("202201/t20220128_3001.html", "大连市西岗区2021年政府信息公开工作年度报告", "utf-8",
     ["大连市西岗区人民政府", "大连市西岗区", "西岗区"]),
    ("202201/t20220120_2871.html", "阜新市煤炭工业转型发展局2021年政府信息公开工作年度报告", "utf-8",
     ["阜新市煤炭工业转型发展局", "市煤炭转型局"]),
    ("201803/t20180320_988.html", "望花区2017年政府信息公开工作年度报告", "utf-8", ["抚顺市望花区人民政府", "望花区"]),
    ("202101/t20210125_1517.html", "新前街道2020年度政府信息公开年度报告", "gbk", ["新前街道"]),
]
YEARS_PER_BODY = 9  # like a real column: each body publishes one report a year (2014-2022)
SETTINGS = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "ROBOTSTXT_OBEY": True, "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False}


def fresh_crawl_cmd(url: str, db: str) -> list[str]:
    """`nianbao crawl` of url into db with the benchmark's SETTINGS, db and its resume journal
    removed first (every run starts from nothing)."""
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.remove(p)
    shutil.rmtree(db + ".crawl", ignore_errors=True)
    cmd = [sys.executable, "-m", "nianbao", "crawl", url, "--db", db, "--no-js", "--quiet"]
    for k, v in SETTINGS.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def generate(root: str, n_reports: int, per_page: int) -> int:
    """Write the portal; returns the number of pages a full crawl fetches (robots.txt aside)."""
    from crawler.sample_portal.build import _shell

    col = os.path.join(root, "zfxxgknb")
    os.makedirs(col, exist_ok=True)
    tpl = []
    for f, title, enc, names in TEMPLATES:
        if f.endswith("t20220120_2871.html"):  # the sample portal serves this one as a PDF
            from crawler.sample_portal.build import report_page

            tpl.append((report_page("003").decode(enc), title, enc, names))
            continue
        with open(os.path.join(SAMPLE, f), "rb") as fh:
            tpl.append((fh.read().decode(enc), title, enc, names))
    items = []
    for i in range(n_reports):
        body_no, year = divmod(i, YEARS_PER_BODY)
        year += 2014
        text, title, enc, names = tpl[body_no % len(tpl)]
        agency = f"示例{body_no}区"
        new_title = f"{agency}{year}年政府信息公开工作年度报告"
        page = text.replace(title, new_title)
        for n in names:
            page = page.replace(n, agency)
        page = page.replace("</h1>", f"</h1><p>编号:{i}</p>", 1)
        sub = f"{year}{(i % 12) + 1:02d}"
        rel = f"{sub}/t{year}0115_{i}.html"
        os.makedirs(os.path.join(col, sub), exist_ok=True)
        with open(os.path.join(col, rel), "wb") as fh:
            fh.write(page.encode(enc))
        items.append((new_title, "/zfxxgknb/" + rel))
    pages = (len(items) + per_page - 1) // per_page
    for k in range(pages):
        chunk = items[k * per_page:(k + 1) * per_page]
        lis = "".join(f'<li><a href="{u}" title="{t}">{t}</a><span>2022-01-15</span></li>' for t, u in chunk)
        body = (f'<ul class="list">{lis}</ul><div class="page"><script>createPageHTML({pages}, {k}, "index", "html");'
                f"</script></div>")
        name = "index.html" if k == 0 else f"index_{k}.html"
        with open(os.path.join(col, name), "w", encoding="utf-8") as fh:
            fh.write(_shell("政府信息公开年报", body, [("首页", "/"), ("政府信息公开年报", "/zfxxgknb/")]))
    with open(os.path.join(root, "index.html"), "w", encoding="utf-8") as fh:
        fh.write(_shell("首页", '<a href="/zfxxgknb/">政府信息公开年报</a>', [("首页", "/")]))
    with open(os.path.join(root, "robots.txt"), "w") as fh:
        fh.write("User-agent: *\nDisallow: /search/\n")
    return 1 + pages + len(items)


def start_nginx(root: str, workdir: str, port: int) -> subprocess.Popen | None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not nginx:
        return None
    conf = os.path.join(workdir, "nginx.conf")
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(conf, "w") as f:
        f.write(f"""{user}worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  include /etc/nginx/mime.types;
  default_type text/html;
  client_body_temp_path {workdir}/body; proxy_temp_path {workdir}/proxy;
  fastcgi_temp_path {workdir}/fastcgi; uwsgi_temp_path {workdir}/uwsgi; scgi_temp_path {workdir}/scgi;
  server {{ listen 127.0.0.1:{port}; root {root}; index index.html; etag on; }}
}}
""")
    proc = subprocess.Popen([nginx, "-c", conf, "-p", workdir], stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    return None


def start_python_server(root: str, port: int) -> subprocess.Popen:
    code = (f"import http.server,functools;h=functools.partial(http.server.SimpleHTTPRequestHandler,directory={root!r});"
            f"h.func.log_message=lambda *a:None;http.server.ThreadingHTTPServer(('127.0.0.1',{port}),h).serve_forever()")
    proc = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(0.5)
    return proc


# --- RSS sampling ------------------------------------------------------------------------------
def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (the forkserver's preloaded modules) counted once."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    """utime + stime of one process so far (its children not included)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def run_measured(cmd: list[str], env: dict[str, str], cwd: str) -> dict:
    import resource

    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_tree = peak_main = peak_pss = 0
    main_cpu = 0.0
    n = 0
    while proc.poll() is None:
        n += 1
        with_pss = n % 10 == 0  # smaps_rollup is costly for the kernel: every 0.5 s
        tree, pss, stack = 0, 0, [proc.pid]
        while stack:
            p = stack.pop()
            tree += _rss_kb(p)
            pss += _pss_kb(p) if with_pss else 0
            stack += _children(p)
        peak_tree = max(peak_tree, tree)
        peak_pss = max(peak_pss, pss)
        peak_main = max(peak_main, _rss_kb(proc.pid))
        main_cpu = _cpu_s(proc.pid) or main_cpu
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"wall": wall, "cpu": cpu, "main_cpu": main_cpu, "peak_tree_mb": peak_tree / 1024, "peak_pss_mb": peak_pss / 1024, "peak_main_mb": peak_main / 1024,
            "stdout": out, "stderr": err}


# --- the two comparison crawlers (run as `bench_crawl.py --spider bare|traf URL`) -----------------
def run_spider(kind: str, url: str) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    createpage = re.compile(r'createPageHTML\((\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"\)')
    counts = {"pages": 0, "reports": 0, "chars": 0}

    class Bench(scrapy.Spider):
        name = "bench"
        start_urls = [url]

        def parse(self, response):
            counts["pages"] += 1
            is_listing = response.url.endswith("/") or "/index" in response.url
            if not is_listing:
                counts["reports"] += 1
                if kind == "traf":
                    import trafilatura

                    text = trafilatura.extract(response.text) or ""
                    counts["chars"] += len(text)
                return
            for href in response.css("a::attr(href)").getall():
                if "/zfxxgknb/" in href:
                    yield response.follow(href, self.parse)
            m = createpage.search(response.text)
            if m:
                total, name, ext = int(m.group(1)), m.group(3), m.group(4)
                for i in range(total):
                    yield response.follow(f"{name}.{ext}" if i == 0 else f"{name}_{i}.{ext}", self.parse)

    t0 = time.perf_counter()
    proc = CrawlerProcess(SETTINGS)
    proc.crawl(Bench)
    proc.start()
    counts["elapsed"] = time.perf_counter() - t0
    print(json.dumps(counts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=5000)
    ap.add_argument("--per-page", type=int, default=20)
    ap.add_argument("--modes", default="bare,traf,full")
    ap.add_argument("--spider", nargs=2, metavar=("KIND", "URL"), help=argparse.SUPPRESS)
    ap.add_argument("--keep", action="store_true", help="keep the generated portal and archive")
    a = ap.parse_args()
    if a.spider:
        run_spider(*a.spider)
        return

    work = tempfile.mkdtemp(prefix="nianbao-bench-")
    site = os.path.join(work, "site")
    n_pages = generate(site, a.reports, a.per_page)
    port = free_port()
    server = start_nginx(site, work, port)
    server_name = "nginx"
    if server is None:
        server, server_name = start_python_server(site, port), "python http.server"
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    print(f"portal: {n_pages} pages ({a.reports} reports) on {server_name} at {url}", file=sys.stderr)
    results = {}
    try:
        for mode in a.modes.split(","):
            if mode in ("bare", "traf"):
                r = run_measured([sys.executable, __file__, "--spider", mode, url], env, work)
                c = json.loads(r["stdout"].strip().splitlines()[-1])
                pages, reports = c["pages"], c["reports"]
            else:
                db = os.path.join(work, "bench.db")
                cmd = fresh_crawl_cmd(url, db) + ["-s", "NIANBAO_PROGRESS=False"]
                r = run_measured(cmd, env, work)
                import sqlite3

                con = sqlite3.connect(db)
                pages = con.execute("SELECT count(*) FROM pages").fetchone()[0]
                reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
                con.close()
                summary = [l for l in r["stderr"].splitlines() if l.startswith("  ")]
                r["summary"] = summary
            results[mode] = {"pages": pages, "reports": reports, "wall_s": round(r["wall"], 1),
                             "cpu_s": round(r["cpu"], 1), "cpu_ms_per_page": round(1000 * r["cpu"] / max(1, pages), 1),
                             "crawl_process_cpu_ms_per_page": round(1000 * r["main_cpu"] / max(1, pages), 1),
                             "pages_per_s": round(pages / r["wall"], 1),
                             "reports_per_s": round(reports / r["wall"], 1),
                             "peak_rss_tree_mb": round(r["peak_tree_mb"]), "peak_pss_tree_mb": round(r["peak_pss_mb"]), "peak_rss_main_mb": round(r["peak_main_mb"])}
            print(f"{mode:5s} {json.dumps(results[mode])}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    if "traf" in results and "full" in results:
        results["speedup_full_vs_traf"] = round(results["traf"]["wall_s"] / results["full"]["wall_s"], 2)
    results["portal"] = {"pages": n_pages, "reports": a.reports, "server": server_name,
                         "cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
