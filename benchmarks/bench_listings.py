"""What the listing families (crawler/listings/) add to the crawling process: the CPU of running
every family's detector on a listing page, next to the lxml parse and link extraction the spider
already does on it, for pages no family claims (a TRS createPageHTML column, as in bench_crawl's
portal) and for pages a family does claim (the real 平潭 column, the replicas' column pages).

    python3 benchmarks/bench_listings.py [--rounds 300]

The crawl benchmark's portal has 250 listing pages for 5,000 reports: the detectors' cost is
per listing page, never per report page.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))

from crawler import listings  # noqa: E402
from crawler.html import extract_links, parse_html  # noqa: E402


def pages() -> list[tuple[str, str, str]]:
    """(name, URL, text) of the listing pages measured."""
    from portals import listings as replicas

    out = []
    sample = os.path.join(REPO, "crawler", "sample_portal", "site", "zwgk", "zfxxgk", "zfxxgknb", "index.html")
    with open(sample, encoding="utf-8") as f:
        out.append(("TRS createPageHTML column (no family)", "http://x.gov.cn/zwgk/zfxxgk/zfxxgknb/", f.read()))
    with open(os.path.join(REPO, "tests", "portals", "real", "pingtan_zfxxgknb_list.html"), encoding="utf-8") as f:
        out.append(("平潭 column, real (trs fjdzapp)", "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/", f.read()))
    for name, build in (("Hanweb JCMS", replicas.hanweb), ("ASP.NET", replicas.aspnet), ("Epoint", replicas.epoint)):
        rep = build("http://127.0.0.1:1/")
        path = {"Hanweb JCMS": "/col/col1813/index.html"}.get(name, rep.start)
        out.append((f"{name} column (replica)", "http://127.0.0.1:1" + path, rep.portal.files[path].decode()))
    return out


def timed(fn, rounds: int) -> float:
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(rounds // 5):
            fn()
        samples.append((time.perf_counter() - t) / (rounds // 5))
    return statistics.median(samples) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=300)
    a = ap.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cores")
    print(f"{'listing page':42} {'KB':>6} {'parse+links':>12} {'families':>10}")
    for name, url, text in pages():
        doc = parse_html(text)
        base = timed(lambda: extract_links(parse_html(text), url), a.rounds)
        fam = timed(lambda: listings.inspect(url, text, doc), a.rounds)
        claimed = listings.inspect(url, text, doc).family or "-"
        print(f"{name:42} {len(text.encode()) / 1024:6.1f} {base:9.2f} ms {fam:7.2f} ms  ({claimed})")


if __name__ == "__main__":
    main()
