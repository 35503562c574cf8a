"""`nianbao crawl` and `nianbao demo` (registered by nianbao/cli.py)."""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from typing import Any

from crawler.launch import RegistryFileError, crawl_entries, run_crawl
from crawler.registry import LEVELS


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "crawl", help="crawl portals for annual reports into the archive",
        description="Crawl government portals for 政府信息公开工作年度报告 into a SQLite archive. "
                    "With URLs, the crawl starts there and stays on those hosts (host and port); "
                    "without, it crawls the portal registry (default: the bundled portals.toml). "
                    "A crawl that was killed resumes where it stopped when run again.")
    p.add_argument("urls", nargs="*", metavar="URL", help="start URLs (portal home pages or report columns)")
    p.add_argument("--portals", help="portal registry (TOML); default: the bundled crawler/portals.toml")
    p.add_argument("--province", help="without URLs: crawl the registry's portals of this province (福建省 or 福建; 中央)")
    p.add_argument("--level", choices=LEVELS, help="without URLs: crawl the registry's portals of this level")
    p.add_argument("--db", default="archive.db", help="archive database (default: archive.db)")
    p.add_argument("--max-pages", type=int, default=0, help="stop after N responses (0: no limit); the next run continues the crawl")
    p.add_argument("--jobdir", help="resume journal folder (default: <db>.crawl/)")
    p.add_argument("--fresh", action="store_true", help="forget an interrupted crawl instead of resuming it")
    p.add_argument("--no-js", action="store_true", help="never render listings with Chromium")
    p.add_argument("--output", "-O", help="also write the reports to this feed file (.jsonl, .json, .csv)")
    p.add_argument("--set", "-s", action="append", default=[], metavar="NAME=VALUE",
                   help="any Scrapy/nianbao setting, e.g. -s DOWNLOAD_DELAY=1")
    p.add_argument("--quiet", "-q", action="store_true", help="no live progress line: the closing summary only")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="Scrapy's log on the terminal (default: in <db>.log beside the archive)")
    p.add_argument("--redis", metavar="URL",
                   help="distributed mode: share the frontier through this Redis (redis://host:6379/0); "
                        "this process is the one archive writer")
    p.add_argument("--workers", type=int, metavar="N",
                   help="with --redis: worker processes to start here (default: one per core); 0 = only write, "
                        "workers run elsewhere (scrapy crawl reports -s NIANBAO_ROLE=worker -s REDIS_URL=...)")
    p.set_defaults(func=cmd_crawl)

    r = subparsers.add_parser(
        "portals", help="list the portal registry (and --probe which start URLs answer)",
        description="List the portals of the registry (default: the bundled crawler/portals.toml), "
                    "filtered by province and level; --probe asks each start URL once and reports "
                    "what it answered (needs the network).")
    r.add_argument("--portals", help="portal registry (TOML); default: the bundled crawler/portals.toml")
    r.add_argument("--province", help="福建省 or 福建; 中央 for central bodies")
    r.add_argument("--level", choices=LEVELS)
    r.add_argument("--probe", action="store_true", help="GET each start URL and report its answer")
    r.add_argument("--timeout", type=float, default=15.0, help="seconds per start URL with --probe (default 15)")
    r.set_defaults(func=cmd_portals)

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


def _parse_sets(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for it in items:
        if "=" not in it:
            raise SystemExit(f"nianbao crawl: --set wants NAME=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v
    return out


def log_to_file(args: argparse.Namespace, ov: dict[str, Any]) -> str | None:
    """Quiet by default: Scrapy's log (settings, stats, every warning) goes to <db>.log, the terminal
    keeps the progress line and the summary; -v puts the log back on the terminal."""
    if args.verbose:
        return None
    path = str(ov.get("LOG_FILE") or f"{args.db}.log")
    ov["LOG_FILE"] = path
    ov.setdefault("LOG_FILE_APPEND", False)  # the log of the last run
    return path


def quiet_pdfminer() -> None:
    """pdfminer warns "Could not get FontBBox …" for each font of many real PDFs: noise, not news."""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)


def cmd_crawl(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    for u in args.urls:
        if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname:
            print(f"nianbao crawl: not an http(s) URL: {u}", file=sys.stderr)
            return 2
    if args.portals and not os.path.exists(args.portals):
        print(f"nianbao crawl: portal registry not found: {args.portals}", file=sys.stderr)
        return 2
    if not args.urls:
        try:
            crawl_entries(None, args.portals)
        except RegistryFileError as exc:
            print(f"nianbao crawl: {exc}", file=sys.stderr)
            return 2
    if args.province or args.level:
        if args.urls:
            print("nianbao crawl: --province/--level choose portals from the registry: give no URLs", file=sys.stderr)
            return 2
        chosen = registry_selection(args.portals, args.province, args.level, "nianbao crawl")
        if isinstance(chosen, int):
            return chosen
        args.portals = chosen
        try:
            return cmd_crawl_portals(args)
        finally:
            os.unlink(chosen)
    return cmd_crawl_portals(args)


def cmd_crawl_portals(args: argparse.Namespace) -> int:
    from archive.dbfile import archive_problem

    problem = archive_problem(args.db)
    if problem:
        print(f"nianbao crawl: --db {args.db} {problem}", file=sys.stderr)
        return 2
    ov = _parse_sets(args.set)
    if "NIANBAO_ALLOW_PRIVATE" in ov:
        from crawler.policy import AddressPolicy
        try:
            AddressPolicy.from_setting(ov["NIANBAO_ALLOW_PRIVATE"])
        except ValueError as exc:
            print(f"nianbao crawl: {exc}", file=sys.stderr)
            return 2
    if args.no_js:
        ov["NIANBAO_JS"] = "off"
    if args.quiet:
        ov.setdefault("NIANBAO_PROGRESS_LINE", False)
    log_file = log_to_file(args, ov)
    quiet_pdfminer()
    if args.output:
        fmt = {"jsonl": "jsonlines", "json": "json", "csv": "csv", "xml": "xml"}.get(
            args.output.rsplit(".", 1)[-1].lower(), "jsonlines")
        ov["FEEDS"] = {args.output: {"format": fmt, "overwrite": True, "encoding": "utf-8"}}
    if args.redis or args.workers is not None:
        return cmd_crawl_distributed(args, ov)
    stats = run_crawl(args.urls, args.db, args.portals, args.max_pages, ov, args.fresh, args.jobdir)
    if log_file:
        print(f"  log             {log_file}", file=sys.stderr)
    if args.output and not stats.get("reports_found"):
        # an empty feed file must not pass for a result: say why nothing is in it
        print(f"nianbao crawl: {args.output}: no report written: the crawl found none ({stats.get('pages', 0)} "
              f"pages fetched, {stats.get('errors', 0)} errors, ended: {stats.get('finish_reason')})", file=sys.stderr)
    return exit_status(stats)


def registry_selection(path: str | None, province: str | None, level: str | None, prog: str) -> str | int:
    """A registry file with the chosen portals only (for the spider), or an exit status."""
    import tempfile

    from crawler.registry import RegistryError, load_registry, select, toml_text

    try:
        chosen = select(load_registry(path), province, level)
    except RegistryError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if not chosen:
        print(f"{prog}: no portal of the registry matches"
              + (f" --province {province}" if province else "") + (f" --level {level}" if level else ""),
              file=sys.stderr)
        return 1
    fd, out = tempfile.mkstemp(prefix="nianbao-portals-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(toml_text(chosen))
    print(f"{prog}: {len(chosen)} portals of the registry", file=sys.stderr)
    return out


def cmd_portals(args: argparse.Namespace) -> int:
    from crawler.registry import RegistryError, load_registry, select

    try:
        portals = select(load_registry(args.portals), args.province, args.level)
    except RegistryError as exc:
        print(f"nianbao portals: {exc}", file=sys.stderr)
        return 2
    if not args.probe:
        for p in portals:
            print("\t".join([p.province, p.level, p.name, " ".join(p.start_urls), p.cms or ""]))
        print(f"{len(portals)} portals", file=sys.stderr)
        return 0
    from crawler.registry.probe import probe_all

    answered = 0
    total = 0
    for p, url, answer in probe_all(portals, timeout=args.timeout):
        total += 1
        answered += answer.ok
        print("\t".join([answer.text, p.province, p.name, url]), flush=True)
    print(f"{answered} of {total} start URLs answered", file=sys.stderr)
    return 0 if answered == total else 1


def exit_status(stats: dict[str, Any]) -> int:
    """0 when the crawl ran to its end (or to --max-pages) and at least one start URL answered."""
    if stats.get("finish_reason") not in ("finished", "closespider_pagecount"):
        return 1
    if not stats.get("start_ok") and not stats.get("resumed_skipped"):
        return 1  # every start URL was 404/410, unreachable or forbidden: nothing was crawled
    return 0


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
    # the writer shows progress and the summary; N workers' logs would bury them: they go to
    # <db>.log (appended to by every worker), or with -v warnings only on the terminal
    log_file = ov.get("LOG_FILE")
    if log_file:
        open(log_file, "w").close()
        ov["LOG_FILE_APPEND"] = wov["LOG_FILE_APPEND"] = True
        wov["LOG_FILE"] = log_file
    elif "LOG_LEVEL" not in ov:
        wov["LOG_LEVEL"] = "WARNING"
    from crawler.runtime import failure_lines
    from crawler.distributed.writer import run_distributed, summary_lines

    progress = None if args.quiet or str(ov.get("NIANBAO_PROGRESS", "1")).lower() in ("0", "false") else (
        lambda line: print(line, file=sys.stderr, flush=True))
    if not args.quiet:
        print(f"nianbao crawl: {workers} workers, frontier in {args.redis}, archive {args.db}", file=sys.stderr)
    stats = run_distributed(args.urls, args.db, args.redis, workers, args.portals, ov, args.output,
                            worker_overrides=wov, on_progress=progress, fresh=args.fresh)
    lines = summary_lines(stats) + failure_lines(args.db, stats.get("crawl_id"))
    if stats.get("finish_reason") == "finished" and not stats.get("start_ok"):
        lines.append("  no start URL could be crawled")
    if log_file:
        lines.append(f"  log             {log_file}")
    print("\n".join(lines), file=sys.stderr)
    return exit_status(stats) if stats.get("finish_reason") == "finished" else 1


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
            "LOG_FILE": f"{args.db}.log", "LOG_FILE_APPEND": False})
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
