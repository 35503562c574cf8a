"""Parse benchmark: `nianbao parse` cost per page vs bare trafilatura on the same pages.

    python benchmarks/bench_parse.py [--rounds 5]

Pages: every HTML fixture in tests/fixtures (synthetic layouts and real portal pages), each
parsed `rounds` times in one process. Reports pages/s for both and the ratio
parse / trafilatura.extract(html, include_tables=True) (goal: ≤ 1.5).
"""
from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

import parsers  # noqa: E402
from parsers.extract.html import decode_html  # noqa: E402
from parsers.model import ParseError  # noqa: E402


def pages() -> list[tuple[str, bytes]]:
    found = sorted(p for p in (REPO / "tests" / "fixtures").rglob("*.htm*") if p.is_file())
    return [(str(p.relative_to(REPO)), p.read_bytes()) for p in found]


def run_trafilatura(batch):
    for _, data in batch:
        # bare trafilatura gets correctly decoded text, as the parser does
        trafilatura.extract(decode_html(data), include_tables=True)


def run_parser(batch):
    for name, data in batch:
        try:
            parsers.parse_bytes(data, name)
        except ParseError:
            pass


def timed(fn, batch, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        fn(batch)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    batch = pages()
    n = len(batch)
    size = sum(len(d) for _, d in batch)
    run_parser(batch[:3])  # warm imports and caches for both
    run_trafilatura(batch[:3])
    t_bare = timed(run_trafilatura, batch, args.rounds)
    t_ours = timed(run_parser, batch, args.rounds)
    bare, ours = statistics.median(t_bare), statistics.median(t_ours)
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"trafilatura {trafilatura.__version__}")
    print(f"pages: {n} HTML pages, {size / 1024:.0f} KiB, median of {args.rounds} rounds")
    print(f"trafilatura.extract: {bare / n * 1000:.1f} ms/page  {n / bare:.1f} pages/s")
    print(f"nianbao parse:       {ours / n * 1000:.1f} ms/page  {n / ours:.1f} pages/s")
    print(f"ratio parse/trafilatura: {ours / bare:.2f} (goal ≤ 1.5)")


if __name__ == "__main__":
    main()
