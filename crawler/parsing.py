"""Parsing off the reactor: a process pool running `parsers.parse_bytes` on both cores.

The worker returns plain data (a dict, or the ParseError's one-line reason) so nothing
unpicklable crosses the process boundary. Workers are started with `forkserver`, so they import
only the parser (not Scrapy, Twisted or the archive) and stay small; they exit by themselves
when the crawl process dies, even by kill -9.

One hostile page must not stall or sink the crawl (an element-dense page, `<i>x</i>` × 4 M, used
to hold a worker 9 min at 2.3 GB): each job has limits (`ParseLimits`), checked in the worker —
an element count before any tree is built, a time limit (SIGALRM), an address-space limit
(RLIMIT_AS) — with a hard stop in the crawl process behind them (a worker stuck in C code past its
time is killed, the pool replaced, the other jobs it held resubmitted once). Workers are recycled
after `recycle` jobs (a fresh pool takes new jobs; the old one finishes its own and exits), so
memory a large page left fragmented is returned. Closing the pool kills its workers at once: a
Ctrl-C no longer waits for a parse to end.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import re
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from typing import Any, Callable

DEFAULT_PARSER = "parsers:parse_bytes"
_HTMLISH = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)", re.I | re.S)


@dataclass(frozen=True)
class ParseLimits:
    """Per page: NIANBAO_PARSE_TIMEOUT seconds, NIANBAO_PARSE_MAX_MEMORY_MB of address space per
    worker, NIANBAO_PARSE_MAX_ELEMENTS tags in an HTML page; workers replaced every
    NIANBAO_PARSE_RECYCLE jobs. 0 turns a limit off."""
    seconds: float = 120.0
    memory_mb: int = 2048
    max_elements: int = 50_000
    recycle: int = 200

    @classmethod
    def from_settings(cls, s: Any) -> "ParseLimits":
        d = cls()
        return cls(seconds=s.getfloat("NIANBAO_PARSE_TIMEOUT", d.seconds),
                   memory_mb=s.getint("NIANBAO_PARSE_MAX_MEMORY_MB", d.memory_mb),
                   max_elements=s.getint("NIANBAO_PARSE_MAX_ELEMENTS", d.max_elements),
                   recycle=s.getint("NIANBAO_PARSE_RECYCLE", d.recycle))


class _Stopped(Exception):
    pass


class ParseStopped(Exception):
    """The crawl was asked to stop while this page waited for its parse: the page is dropped from
    this run (not archived, not journaled), so a resumed crawl fetches it again
    (`crawler.pipelines.ParsePipeline` drops it quietly)."""


class _TimeUp(BaseException):  # not Exception: the parser's own `except Exception` must not catch it
    pass


@lru_cache(maxsize=8)
def load_callable(path: str) -> Callable[..., Any]:
    """"module:name" → the object (the parser, the archive class), imported once per process."""
    mod, _, name = path.partition(":")
    return getattr(import_module(mod), name)


def element_count(body: bytes, content_type: str | None) -> int:
    """Start tags in an HTML page (0 for anything else), counted on the bytes: no tree is built."""
    ct = (content_type or "").lower()
    if "html" not in ct and not _HTMLISH.match(body[:1024]):
        return 0
    return body.count(b"<") - body.count(b"</") - body.count(b"<!")


def parse_job(parser_path: str, body: bytes, url: str, content_type: str | None,
              limits: ParseLimits = ParseLimits()) -> tuple[str, Any]:
    """Runs in a worker: ("ok", report_dict) or ("error", one-line reason)."""
    if limits.max_elements and (n := element_count(body, content_type)) > limits.max_elements:
        # before lxml and trafilatura: their time and memory grow faster than the page
        return "error", (f"refused: HTML page has {n:,} elements "
                         f"(NIANBAO_PARSE_MAX_ELEMENTS = {limits.max_elements:,})")
    try:
        parse = load_callable(parser_path)
    except Exception as e:  # noqa: BLE001
        return "error", f"parser unavailable: {type(e).__name__}: {e}"
    timed = limits.seconds > 0 and threading.current_thread() is threading.main_thread()
    if timed:
        def time_up(signum: int, frame: Any) -> None:
            raise _TimeUp()
        signal.signal(signal.SIGALRM, time_up)
        signal.setitimer(signal.ITIMER_REAL, limits.seconds)
    try:
        report = parse(body, url, content_type, **_picture_source(parse, url))
    except _TimeUp:
        return "error", f"parse stopped: over the time limit ({limits.seconds:g} s, NIANBAO_PARSE_TIMEOUT)"
    except MemoryError:
        return "error", MEMORY_REASON.format(mb=limits.memory_mb)
    except Exception as e:  # noqa: BLE001 - ParseError and any parser bug: reported, never fatal
        if _hit_memory_limit(limits.memory_mb):
            # lxml reports a failed allocation as a parse error ("unknown error"): say what it was
            return "error", MEMORY_REASON.format(mb=limits.memory_mb)
        name = type(e).__name__
        msg = str(e).splitlines()[0] if str(e) else name
        # "not an annual report" is a verdict on a readable page; any other ParseError (encrypted
        # PDF, no text layer, zip bomb refused, corrupt, truncated …) is a report that could not be
        # read: an error the archive records with its reason
        kind = "not_report" if name == "ParseError" and msg.startswith("not an annual report") else "error"
        return kind, msg[:300]
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
    data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    return "ok", data


MEMORY_REASON = "parse stopped: over the memory limit ({mb} MB, NIANBAO_PARSE_MAX_MEMORY_MB)"


def _hit_memory_limit(memory_mb: int) -> bool:
    """Did this worker's address space reach its limit (VmPeak within 5% of RLIMIT_AS)?"""
    if memory_mb <= 0:
        return False
    try:
        with open("/proc/self/status") as f:
            peak_kb = next(int(line.split()[1]) for line in f if line.startswith("VmPeak:"))
    except (OSError, StopIteration, ValueError):
        return False
    return peak_kb * 1024 >= memory_mb * 1024 * 1024 * 0.95


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


def _worker_init(parser_path: str, crawl_pid: int, memory_mb: int = 0) -> None:
    """In each worker: exit when the crawl process is gone (a crawl killed with -9 must not leave
    parsers behind; they would wait on their queue forever), cap the address space, then import
    the parser once."""

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
    # a worker's log has no handler but Python's last resort (the terminal): pdfminer's
    # "Could not get FontBBox" warnings, a dozen per real PDF, would bury the progress line
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        load_callable(parser_path)
    except Exception:  # noqa: BLE001
        pass


def _join_all(processes: list[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))


def _warm() -> int:
    return os.getpid()


def _kill_workers(executor: Executor) -> None:
    # ProcessPoolExecutor can only wait for its workers (terminate_workers() is Python 3.14);
    # a parse must not hold up shutdown or the crawl, so its processes are killed directly
    for p in list((getattr(executor, "_processes", None) or {}).values()):
        try:
            p.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass
    executor.shutdown(wait=False, cancel_futures=True)


class ParsePool:
    def __init__(self, workers: int = 0, parser_path: str = DEFAULT_PARSER, limits: ParseLimits | None = None,
                 stopping: Callable[[], bool] | None = None):
        self.parser_path = parser_path
        self.stopping = stopping  # True once the crawl is asked to stop (Ctrl-C): waiting parses end
        self.limits = limits or ParseLimits()
        workers = workers or os.cpu_count() or 2
        self.workers = workers
        self.executor: Executor
        self._jobs = 0
        self._running = 0  # jobs submitted and not yet answered
        self._recycling: asyncio.Future | None = None
        self._retired: list[Executor] = []
        self._new_executor()
        # at most a few jobs queued per worker: further responses wait in Scrapy, whose scraper
        # backpressure then pauses downloads, so memory stays bounded however fast the site is
        self._slots = asyncio.Semaphore(2 * abs(workers) + 2)

    def _new_executor(self) -> None:
        if self.workers < 0:  # in-process thread (debugging; distributed workers): no time or memory limit
            self.executor = ThreadPoolExecutor(1)
            return
        # forkserver: workers start from a small, clean process (not a copy of the crawl with
        # Scrapy, Twisted and the archive loaded) and each imports only the parser; nothing is
        # preloaded in the forkserver itself, so it stays ~10 MB
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([])
        self.executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_worker_init,
                                            initargs=(self.parser_path, os.getpid(), self.limits.memory_mb))
        for _ in range(self.workers):  # start and import now, not on the first report
            self.executor.submit(_warm)

    def _recycle(self, kill: bool = False) -> None:
        old = self.executor
        self._new_executor()
        self._jobs = 0
        if kill:
            _kill_workers(old)
        else:
            old.shutdown(wait=False)  # its workers finish the jobs they hold, then exit
            self._retired.append(old)

    async def parse(self, body: bytes, url: str, content_type: str | None) -> tuple[str, Any]:
        async with self._slots:
            for attempt in (1, 2):
                if self.workers > 0 and self.limits.recycle and self._jobs >= self.limits.recycle:
                    await self._recycle_when_idle()
                executor = self.executor
                self._jobs += 1
                try:
                    fut = executor.submit(parse_job, self.parser_path, body, url, content_type, self.limits)
                except (BrokenProcessPool, RuntimeError):  # shut down under us (recycled or killed)
                    if attempt == 2:
                        return "error", "parse worker lost"
                    continue
                hard = self.limits.seconds * 1.5 + 15 if self.limits.seconds and self.workers > 0 else None
                self._running += 1
                try:
                    result = await self._wait(fut, hard)
                    if result[0] == "error" and str(result[1]).startswith(MEMORY_REASON[:30]):
                        self._recycle()  # that worker's peak stays high: new jobs go to fresh ones
                    return result
                except _Stopped:
                    self.close()
                    raise ParseStopped(url) from None
                except asyncio.TimeoutError:
                    # stuck where SIGALRM cannot reach (inside C code): kill that pool, start anew
                    if executor is self.executor:
                        self._recycle(kill=True)
                    return "error", f"parse stopped: over the time limit ({self.limits.seconds:g} s, NIANBAO_PARSE_TIMEOUT)"
                except BrokenProcessPool:
                    # a worker died (killed above for another page, or the memory limit hit hard):
                    # this page gets one more try on a fresh pool
                    if executor is self.executor:
                        self._recycle(kill=True)
                    if attempt == 2:
                        return "error", "parse failed: the parse worker died (memory limit?)"
                finally:
                    self._running -= 1
            return "error", "parse worker lost"

    async def _recycle_when_idle(self) -> None:
        """Fresh workers every `recycle` jobs (memory a large page left fragmented goes back), but
        only once the old workers have answered every job they hold: two pools' workers alive at
        once would double the parse workers' memory at the moment of the switch."""
        if self._recycling is None:
            self._recycling = asyncio.ensure_future(self._switch_when_idle())
        await asyncio.shield(self._recycling)

    async def _switch_when_idle(self) -> None:
        try:
            while self._running > 0:
                await asyncio.sleep(0.01)
            old = self.executor
            processes = list((getattr(old, "_processes", None) or {}).values())
            _kill_workers(old)  # idle: nothing of theirs is lost
            await asyncio.to_thread(_join_all, processes, 5.0)  # gone before their successors start
            self._new_executor()
            self._jobs = 0
        finally:
            self._recycling = None

    async def _wait(self, fut: Any, hard: float | None) -> tuple[str, Any]:
        wrapped = asyncio.wrap_future(fut)
        deadline = None if hard is None else time.monotonic() + hard
        while True:
            done, _ = await asyncio.wait({wrapped}, timeout=0.5)
            if done:
                if wrapped.cancelled():
                    # the pool was closed with this job still queued (the crawl is stopping): an
                    # answer, not a CancelledError, or Scrapy would wait for this response forever
                    raise _Stopped()
                return wrapped.result()
            # (a thread cannot be stopped: there, the parse runs out; the element cap bounds it)
            if self.stopping is not None and self.workers > 0 and self.stopping():
                raise _Stopped()
            if deadline is not None and time.monotonic() > deadline:
                raise asyncio.TimeoutError()

    def close(self) -> None:
        for ex in [*self._retired, self.executor]:
            _kill_workers(ex)
        self._retired = []
