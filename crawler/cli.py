"""`nianbao crawl` and `nianbao demo` (registered by nianbao/cli.py)."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "crawl", help="crawl portals for annual reports into the archive",
        description="Crawl government portals for 政府信息公开工作年度报告 into a SQLite archive. "
                    "With URLs, the crawl starts there and stays on those hosts (host and port); "
                    "without, it crawls the portal registry (default: the bundled portals.toml). "
                    "A crawl that was killed resumes where it stopped when run again.")
    p.add_argument("urls", nargs="*", metavar="URL", help="start URLs (portal home pages or report columns)")
    p.add_argument("--portals", help="portal registry (TOML); default: the bundled crawler/portals.toml")
    p.add_argument("--db", default="archive.db", help="archive database (default: archive.db)")
    p.add_argument("--max-pages", type=int, default=0, help="stop after N responses (0: no limit); the next run continues the crawl")
    p.add_argument("--jobdir", help="resume journal folder (default: <db>.crawl/)")
    p.add_argument("--fresh", action="store_true", help="forget an interrupted crawl instead of resuming it")
    p.add_argument("--no-js", action="store_true", help="never render listings with Chromium")
    p.add_argument("--output", "-O", help="also write the reports to this feed file (.jsonl, .json, .csv)")
    p.add_argument("--set", "-s", action="append", default=[], metavar="NAME=VALUE",
                   help="any Scrapy/nianbao setting, e.g. -s DOWNLOAD_DELAY=1")
    p.add_argument("--quiet", "-q", action="store_true", help="only warnings and the summary")
    p.add_argument("--redis", metavar="URL",
                   help="distributed mode: share the frontier through this Redis (redis://host:6379/0); "
                        "this process is the one archive writer")
    p.add_argument("--workers", type=int, metavar="N",
                   help="with --redis: worker processes to start here (default: one per core); 0 = only write, "
                        "workers run elsewhere (scrapy crawl reports -s NIANBAO_ROLE=worker -s REDIS_URL=...)")
    p.set_defaults(func=cmd_crawl)

    d = subparsers.add_parser(
        "demo", help="serve the bundled sample portal, crawl it into archive.db, then publish it",
        description="Offline demo: serves the bundled sample portal on 127.0.0.1, crawls it into "
                    "the archive, then runs `nianbao serve` (Datasette) on it.")
    d.add_argument("--port", type=int, default=8800,
                   help="port of the sample portal (default 8800, so re-runs are incremental; a free one if taken)")
    d.add_argument("--db", default="archive.db")
    d.add_argument("--serve-port", type=int, default=8001, help="port of the Datasette site")
    d.add_argument("--no-serve", action="store_true", help="crawl only; do not start Datasette")
    d.set_defaults(func=cmd_demo)


def crawler_settings(db: str, overrides: dict[str, Any] | None = None) -> Any:
    from scrapy.settings import Settings

    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    s.set("ARCHIVE_DB", db, priority="cmdline")
    for k, v in (overrides or {}).items():
        s.set(k, v, priority="cmdline")
    if str(s.get("NIANBAO_JS", "auto")).lower() == "off":
        # no browser at all: Scrapy's own HTTP handlers, and no Playwright driver process
        s.set("DOWNLOAD_HANDLERS", {}, priority="cmdline")
    return s


def run_crawl(urls: list[str], db: str, portals: str | None = None, max_pages: int = 0,
              overrides: dict[str, Any] | None = None, fresh: bool = False,
              jobdir: str | None = None) -> dict[str, Any]:
    """Run one crawl in this process (CrawlerProcess) and return its closing stats.

    Once per process (Twisted's reactor cannot restart). From a script, call it under
    `if __name__ == "__main__":`: the parse workers (multiprocessing forkserver) import the main
    module."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.reports import ReportsSpider
    from crawler.state import default_jobdir

    ov = dict(overrides or {})
    if max_pages:
        ov["CLOSESPIDER_PAGECOUNT"] = max_pages
    if jobdir:
        ov["NIANBAO_JOBDIR"] = jobdir
    settings = crawler_settings(db, ov)
    if fresh:
        shutil.rmtree(settings.get("NIANBAO_JOBDIR") or default_jobdir(db), ignore_errors=True)
    process = CrawlerProcess(settings)
    kwargs: dict[str, Any] = {}
    if urls:
        kwargs["start_urls"] = ",".join(urls)
    elif portals:
        kwargs["portals"] = portals
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, **kwargs)
    process.start()
    ctx = getattr(crawler, "_nianbao_ctx", None)
    return (ctx.final_stats if ctx is not None else None) or {}


def _parse_sets(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for it in items:
        if "=" not in it:
            raise SystemExit(f"nianbao crawl: --set wants NAME=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v
    return out


def cmd_crawl(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    for u in args.urls:
        if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname:
            print(f"nianbao crawl: not an http(s) URL: {u}", file=sys.stderr)
            return 2
    if args.portals and not os.path.exists(args.portals):
        print(f"nianbao crawl: portal registry not found: {args.portals}", file=sys.stderr)
        return 2
    ov = _parse_sets(args.set)
    if "NIANBAO_ALLOW_PRIVATE" in ov:
        from crawler.middlewares import AddressPolicy
        try:
            AddressPolicy.from_setting(ov["NIANBAO_ALLOW_PRIVATE"])
        except ValueError as exc:
            print(f"nianbao crawl: {exc}", file=sys.stderr)
            return 2
    if args.no_js:
        ov["NIANBAO_JS"] = "off"
    if args.quiet:
        ov.setdefault("LOG_LEVEL", "WARNING")
    if args.output:
        fmt = {"jsonl": "jsonlines", "json": "json", "csv": "csv", "xml": "xml"}.get(
            args.output.rsplit(".", 1)[-1].lower(), "jsonlines")
        ov["FEEDS"] = {args.output: {"format": fmt, "overwrite": True, "encoding": "utf-8"}}
    if args.redis or args.workers is not None:
        return cmd_crawl_distributed(args, ov)
    stats = run_crawl(args.urls, args.db, args.portals, args.max_pages, ov, args.fresh, args.jobdir)
    reason = stats.get("finish_reason")
    if args.output and not stats.get("reports_found"):
        # an empty feed file must not pass for a result: say why nothing is in it
        print(f"nianbao crawl: {args.output}: no report written: the crawl found none ({stats.get('pages', 0)} "
              f"pages fetched, {stats.get('errors', 0)} errors, ended: {reason})", file=sys.stderr)
    return 0 if reason in ("finished", "closespider_pagecount") else 1


# per-host politeness of one process, shared out among N local workers unless set with -s (the
# delay needs no sharing out: SharedHostGate spaces requests to a host across all workers)
_PER_HOST = ("CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_TARGET_CONCURRENCY")


def cmd_crawl_distributed(args: argparse.Namespace, ov: dict[str, Any]) -> int:
    from urllib.parse import urlsplit

    if not args.redis:
        print("nianbao crawl: --workers needs --redis URL", file=sys.stderr)
        return 2
    if urlsplit(args.redis).scheme not in ("redis", "rediss", "unix"):
        print(f"nianbao crawl: not a Redis URL (redis://host:port/db): {args.redis}", file=sys.stderr)
        return 2
    if args.max_pages:
        print("nianbao crawl: --max-pages is not supported with --redis", file=sys.stderr)
        return 2
    if args.output and not args.output.endswith((".jsonl", ".jl")):
        print(f"nianbao crawl: with --redis, -O writes JSON lines only (.jsonl): {args.output}", file=sys.stderr)
        return 2
    workers = (os.cpu_count() or 2) if args.workers is None else args.workers
    if workers < 0:
        print("nianbao crawl: --workers must be 0 or more", file=sys.stderr)
        return 2
    ov.pop("FEEDS", None)
    from crawler import settings as defaults

    wov: dict[str, Any] = {}
    if workers > 1:
        for k in _PER_HOST:
            if k not in ov:
                v = float(getattr(defaults, k))
                wov[k] = max(1, round(v / workers)) if k.startswith("CONCURRENT") else v / workers
    # one worker = one process = one core: it parses in a thread of its own (no parse pool), so
    # N workers on N cores do not compete with 2N pool processes
    if "NIANBAO_PARSE_WORKERS" not in ov:
        wov["NIANBAO_PARSE_WORKERS"] = -1
    # the writer shows progress and the summary; N workers' INFO logs would bury them
    if "LOG_LEVEL" not in ov:
        wov["LOG_LEVEL"] = "WARNING"
    from crawler.writer import run_distributed, summary_lines

    progress = None if args.quiet or str(ov.get("NIANBAO_PROGRESS", "1")).lower() in ("0", "false") else (
        lambda line: print(line, file=sys.stderr, flush=True))
    if not args.quiet:
        print(f"nianbao crawl: {workers} workers, frontier in {args.redis}, archive {args.db}", file=sys.stderr)
    stats = run_distributed(args.urls, args.db, args.redis, workers, args.portals, ov, args.output,
                            worker_overrides=wov, on_progress=progress, fresh=args.fresh)
    print("\n".join(summary_lines(stats)), file=sys.stderr)
    return 0 if stats.get("finish_reason") == "finished" else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.sample_portal.server import serve_sample

    try:
        server = serve_sample(args.port)
    except OSError:
        server = serve_sample(0)
    print(f"nianbao demo: sample portal at {server.url}", file=sys.stderr)
    try:
        stats = run_crawl([server.url], args.db, overrides={
            "NIANBAO_JS": "off", "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
            "LOG_LEVEL": "WARNING"})
        print(f"nianbao demo: {stats.get('reports_found', 0)} reports archived in {args.db}", file=sys.stderr)
        if args.no_serve:
            return 0
        # the portal keeps serving while Datasette runs: the reports' "original" links must open
        return serve_archive(args.db, args.serve_port)
    finally:
        server.stop()


def serve_archive(db: str, port: int) -> int:
    try:
        from archive import serve as archive_serve  # the archive engineer's publisher
    except Exception:  # noqa: BLE001
        archive_serve = None
    if archive_serve is not None and hasattr(archive_serve, "serve"):
        return int(archive_serve.serve(db, port=port) or 0)
    cmd = ["datasette", "serve", db, "--port", str(port)]
    if os.path.exists("metadata.json"):
        cmd += ["-m", "metadata.json"]
    return subprocess.call(cmd)
