"""`nianbao reparse`: read every archived report again, from its archived bytes, with the current parser.

Users upgrade nianbao and run it; nothing is fetched. Each current report version is parsed again
from the body of the fetch it was read from (`reports.page_id` → `pages.body`), on a process pool
(both cores by default), and stored through `Archive.reread_report`: a new version only where the
parsed content (content_hash) changed, so the change and cross-year queries keep meaning what
they say; `parser_version` recorded on every report read, and every report read (and portal) filed
again by today's region rules. A second run adds nothing.
"""
from __future__ import annotations

import multiprocessing
import os
import re
import sys
import time
import zlib
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, Optional

from parsers.version import PARSER_VERSION

from .store import Archive, ArchiveError

DEFAULT_PARSER = "parsers:parse_bytes"
BATCH = 200  # results stored per transaction
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?$")


@dataclass
class ReparseStats:
    total: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0  # the current parser cannot read the bytes (or says they are no report): kept as they were
    skipped: int = 0  # superseded while running
    failures: list[tuple[int, str]] = field(default_factory=list)  # (report id, one-line reason), first 100

    @property
    def done(self) -> int:
        return self.changed + self.unchanged + self.failed + self.skipped

    def line(self, elapsed: float) -> str:
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return (f"reparse: {self.done}/{self.total} reports, {self.changed} changed, {self.unchanged} unchanged, "
                f"{self.failed} unreadable · {rate:.1f}/s")


def _parse_one(parser_path: str, report_id: int, url: str, blob: bytes, compression: Optional[str],
               content_type: Optional[str]) -> tuple[int, str, Any]:
    """In a worker: (report id, "ok", report dict) or (report id, "error", one-line reason)."""
    try:
        module, _, name = parser_path.partition(":")
        parse: Callable[..., Any] = getattr(import_module(module), name)
        body = zlib.decompress(blob) if compression == "zlib" else bytes(blob)
        report = parse(body, url, content_type)
        return report_id, "ok", report.to_dict() if hasattr(report, "to_dict") else dict(report)
    except Exception as e:  # noqa: BLE001 - a page the parser now refuses: reported, the old reading kept
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        return report_id, "error", msg[:300]


def _candidates(archive: Archive, since: Optional[str]) -> list[int]:
    sql = ("SELECT r.id FROM reports r JOIN pages p ON p.id = r.page_id "
           "WHERE r.is_current = 1 AND p.body IS NOT NULL")
    args: tuple = ()
    if since:
        sql += " AND p.fetched_at >= ?"
        args = (since,)
    return [row[0] for row in archive.conn.execute(sql + " ORDER BY r.id", args)]


def reparse(db_path: str, since: Optional[str] = None, workers: int = 0, parser: str = DEFAULT_PARSER,
            parser_version: Optional[str] = PARSER_VERSION,
            on_progress: Optional[Callable[[str], None]] = None, progress_every: float = 5.0) -> ReparseStats:
    """Re-derive the current reports of `db_path` (those fetched on or after `since`, a date) from
    their archived bytes. `workers`: parser processes (0 = one per core)."""
    if since is not None and not _DATE.match(since):
        raise ArchiveError(f"--since {since!r} is not a date (YYYY-MM-DD)")
    if not os.path.exists(db_path):
        raise ArchiveError(f"{db_path}: no such file")
    stats = ReparseStats()
    t0 = last = time.monotonic()
    with Archive(db_path) as archive:
        archive.refresh_portal_regions()
        ids = _candidates(archive, since)
        stats.total = len(ids)
        workers = workers or os.cpu_count() or 2
        # The parser is imported here, once, and the workers are forked from this process: they start
        # with it loaded (a spawned worker spends seconds importing trafilatura, pdfplumber …). This
        # process runs no threads, so forking it is safe.
        module, _, name = parser.partition(":")
        getattr(import_module(module), name)
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        pending: dict = {}  # future -> (report id, whether it runs alone)
        results: list[tuple[int, str, Any]] = []
        queue = iter(ids)
        # A worker that dies (a crash or the OOM killer in the parser's C libraries) breaks the whole
        # pool and fails every report in flight. Those are read again one at a time in a fresh pool:
        # the one that breaks it alone is the culprit and is reported; the others are read normally.
        suspects: list[int] = []

        def submit() -> bool:
            if suspects:
                if pending:
                    return False  # a suspect runs alone
                rid, alone = suspects.pop(0), True
            else:
                rid, alone = next(queue, None), False
                if rid is None:
                    return False
            url, blob, compression, ctype = archive.conn.execute(
                "SELECT r.url, p.body, p.compression, p.content_type FROM reports r "
                "JOIN pages p ON p.id = r.page_id WHERE r.id = ?", (rid,)).fetchone()
            pending[pool.submit(_parse_one, parser, rid, url, blob, compression, ctype)] = (rid, alone)
            return True

        try:
            while pending or submit():
                while len(pending) < workers * 4 and submit():  # bounded: bodies are read as needed
                    pass
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for fut in finished:
                    rid, alone = pending.pop(fut)
                    if isinstance(fut.exception(), BrokenProcessPool):
                        broken = True
                        if alone:
                            results.append((rid, "error", "the parser process died reading it"))
                        else:
                            suspects.append(rid)
                    else:
                        results.append(fut.result())
                if broken:
                    suspects.extend(rid for rid, _ in pending.values())  # the rest of the broken pool's work
                    pending.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
                now = time.monotonic()
                tick = now - last >= progress_every
                done = not pending and not suspects
                if len(results) >= BATCH or done or tick:
                    _store(archive, results, stats, parser_version)
                    results = []
                if tick:
                    last = now
                if on_progress and (tick or stats.done == stats.total):
                    on_progress(stats.line(now - t0))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if results:
            _store(archive, results, stats, parser_version)
        if on_progress and not ids:
            on_progress(stats.line(time.monotonic() - t0))
    return stats


def _store(archive: Archive, results: list[tuple[int, str, Any]], stats: ReparseStats,
           parser_version: Optional[str]) -> None:
    with archive.db.atomic():  # one transaction per batch; each report is a savepoint of it
        for rid, status, data in results:
            if status != "ok":
                stats.failed += 1
                if len(stats.failures) < 100:
                    stats.failures.append((rid, data))
                continue
            outcome = archive.reread_report(rid, data, parser_version=parser_version)
            if outcome == "changed":
                stats.changed += 1
            elif outcome == "unchanged":
                stats.unchanged += 1
            else:
                stats.skipped += 1


def cmd_reparse(args) -> int:
    def show(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        stats = reparse(args.db, since=args.since, workers=args.workers, on_progress=show)
    except ArchiveError as e:
        print(f"nianbao reparse: {e}", file=sys.stderr)
        return 2
    for rid, reason in stats.failures:
        print(f"nianbao reparse: report {rid} kept as it was: {reason}", file=sys.stderr)
    print(f"{args.db}: {stats.total} report(s) read again with parser {PARSER_VERSION}: {stats.changed} new "
          f"version(s), {stats.unchanged} unchanged, {stats.failed} unreadable", file=sys.stderr)
    return 1 if stats.failed else 0
