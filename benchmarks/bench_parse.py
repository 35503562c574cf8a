"""Parse benchmark: `nianbao parse` cost per page vs bare trafilatura on the same pages.

    python benchmarks/bench_parse.py [--rounds 5] [--generated 200]

Pages: every HTML fixture in tests/fixtures (real portal pages and synthetic layouts) and 200
generated report pages, all parsed in one process, `rounds` times. Reports pages/s for both and the ratio
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


def pages(generated: int) -> list[tuple[str, bytes]]:
    """The HTML fixtures (real portal pages and synthetic layouts) plus `generated` pages from
    the test suite's layout generator (TRS, UCAP, JCMS, Hanweb, table layouts; UTF-8 and GBK)."""
    found = sorted(p for p in (REPO / "tests" / "fixtures").rglob("*.htm*") if p.is_file())
    batch = [(str(p.relative_to(REPO)), p.read_bytes()) for p in found]
    sys.path.insert(0, str(REPO / "tests"))
    from layouts import generate
    for seed in range(generated):
        case = generate(seed)
        batch.append((case.url, case.html))
    return batch


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
    ap.add_argument("--generated", type=int, default=200, help="generated layout pages to add")
    args = ap.parse_args()
    batch = pages(args.generated)
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
