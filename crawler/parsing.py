"""Parsing off the reactor: a process pool running `parsers.parse_bytes` on both cores.

The worker returns plain data (a dict, or the ParseError's one-line reason) so nothing
unpicklable crosses the process boundary. Workers are started with `forkserver`, so they import
only the parser (not Scrapy, Twisted or the archive) and stay small; they exit by themselves
when the crawl process dies, even by kill -9.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from importlib import import_module
from typing import Any, Callable

DEFAULT_PARSER = "parsers:parse_bytes"
_parser_cache: dict[str, Callable[..., Any]] = {}


def load_callable(path: str) -> Callable[..., Any]:
    if path not in _parser_cache:
        mod, _, name = path.partition(":")
        _parser_cache[path] = getattr(import_module(mod), name)
    return _parser_cache[path]


def parse_job(parser_path: str, body: bytes, url: str, content_type: str | None) -> tuple[str, Any]:
    """Runs in a worker: ("ok", report_dict) or ("error", one-line reason)."""
    try:
        parse = load_callable(parser_path)
    except Exception as e:  # noqa: BLE001
        return "error", f"parser unavailable: {type(e).__name__}: {e}"
    try:
        report = parse(body, url, content_type, **_picture_source(parse, url))
    except Exception as e:  # noqa: BLE001 - ParseError and any parser bug: reported, never fatal
        name = type(e).__name__
        msg = str(e).splitlines()[0] if str(e) else name
        # "not an annual report" is a verdict on a readable page; any other ParseError (encrypted
        # PDF, no text layer, zip bomb refused, corrupt, truncated …) is a report that could not be
        # read: an error the archive records with its reason
        kind = "not_report" if name == "ParseError" and msg.startswith("not an annual report") else "error"
        return kind, msg[:300]
    data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    return "ok", data


def _picture_source(parse: Callable[..., Any], url: str) -> dict[str, Any]:
    """A page whose tables are pictures: the worker fetches them itself from the page's own
    host (parsers/extract/ocr_sources.py), for a parser that takes a `pictures` source. Done
    here rather than by the spider: only the parser knows whether a page's tables are
    pictures, and a parse job must not wait on the reactor (see crawler/README.md, Pictures)."""
    if not url.startswith(("http://", "https://")):
        return {}
    try:
        import inspect

        if "pictures" not in inspect.signature(parse).parameters:
            return {}
    except (TypeError, ValueError):
        return {}
    from parsers.extract.ocr_sources import web_pictures

    return {"pictures": web_pictures(url)}


def _worker_init(parser_path: str, crawl_pid: int) -> None:
    """In each worker: exit when the crawl process is gone (a crawl killed with -9 must not leave
    parsers behind; they would wait on their queue forever), then import the parser once."""

    def watchdog() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(crawl_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watchdog, name="crawl-watchdog", daemon=True).start()
    try:
        load_callable(parser_path)
    except Exception:  # noqa: BLE001
        pass


def _warm() -> int:
    return os.getpid()


class ParsePool:
    def __init__(self, workers: int = 0, parser_path: str = DEFAULT_PARSER):
        self.parser_path = parser_path
        workers = workers or os.cpu_count() or 2
        self.executor: Executor
        if workers < 0:  # in-process thread (debugging, tiny crawls)
            self.executor = ThreadPoolExecutor(1)
        else:
            # forkserver: workers start from a small, clean process (not a copy of the crawl with
            # Scrapy, Twisted and the archive loaded) and each imports only the parser; nothing is
            # preloaded in the forkserver itself, so it stays ~10 MB
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload([])
            self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                                initargs=(parser_path, os.getpid()))
            for _ in range(workers):  # start and import now, not on the first report
                self.executor.submit(_warm)
        self.workers = workers
        # at most a few jobs queued per worker: further responses wait in Scrapy, whose scraper
        # backpressure then pauses downloads, so memory stays bounded however fast the site is
        self._slots = asyncio.Semaphore(2 * abs(workers) + 2)

    async def parse(self, body: bytes, url: str, content_type: str | None) -> tuple[str, Any]:
        async with self._slots:
            fut = self.executor.submit(parse_job, self.parser_path, body, url, content_type)
            return await asyncio.wrap_future(fut)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
