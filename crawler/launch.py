"""Settings, registry and the one launcher of a crawl.

Every way of starting the `reports` spider goes through here: `nianbao crawl` (crawler/cli.py),
a distributed worker (crawler/distributed/worker.py), `nianbao demo`, the benchmarks. `scrapy
crawl reports` builds its settings from crawler/settings.py itself and reaches the same spider,
which reads its start URLs or registry with `crawl_entries`.
"""
from __future__ import annotations

import os
import shutil
import tomllib
from typing import Any

from crawler.state import default_jobdir
from crawler.urls import split_urls

BUNDLED_PORTALS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "portals.toml")
SPIDER = "reports"


# --- settings ------------------------------------------------------------------------------------
def crawler_settings(db: str, overrides: dict[str, Any] | None = None) -> Any:
    """crawler/settings.py, the archive path and the overrides (`--set`, command-line options)."""
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


# --- registry ------------------------------------------------------------------------------------
def crawl_entries(start_urls: Any = None, portals: str | None = None) -> list[dict[str, Any]]:
    """What a crawl starts from: the given start URLs (one nameless entry), else the portals of
    a registry file (default: the bundled crawler/portals.toml). Entries are dicts with
    `start_urls` and, when the registry says, `name`, `region`, `js_listing`. Lenient on purpose:
    a user's own registry may be just `name` and `url`; `nianbao portals` checks the bundled
    one strictly (crawler.registry)."""
    urls = split_urls(start_urls)
    if urls:
        return [{"name": None, "start_urls": urls}]
    path = portals or BUNDLED_PORTALS
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise RegistryFileError(f"portal registry {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryFileError(f"portal registry {path}: not TOML ({exc})") from None
    entries = []
    for p in data.get("portal", []) if isinstance(data.get("portal"), list) else []:
        found = p.get("start_urls") or ([p["url"]] if p.get("url") else []) if isinstance(p, dict) else []
        if isinstance(found, str):
            found = [found]
        if found:
            entries.append({**p, "start_urls": [str(u) for u in found]})
    if not entries:
        raise RegistryFileError(f"portal registry {path}: no [[portal]] with start_urls (or url)")
    return entries


class RegistryFileError(ValueError):
    """A registry file a crawl cannot start from; the message names the file (one line)."""


def start_url_list(entries: list[dict[str, Any]]) -> list[str]:
    return [u for e in entries for u in e["start_urls"]]


# --- the launcher --------------------------------------------------------------------------------
def run_crawl(urls: list[str], db: str, portals: str | None = None, max_pages: int = 0,
              overrides: dict[str, Any] | None = None, fresh: bool = False,
              jobdir: str | None = None) -> dict[str, Any]:
    """Run one crawl in this process (CrawlerProcess) and return its closing stats (a distributed
    worker, which stores nothing, gets Scrapy's `finish_reason` only).

    Once per process (Twisted's reactor cannot restart). From a script, call it under
    `if __name__ == "__main__":`: the parse workers (multiprocessing forkserver) import the main
    module."""
    from scrapy.crawler import CrawlerProcess

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
    crawler = process.create_crawler(SPIDER)  # by name: the launcher does not import the spider
    process.crawl(crawler, **kwargs)
    process.start()
    ctx = getattr(crawler, "_nianbao_ctx", None)
    stats = dict((ctx.final_stats if ctx is not None else None) or {})
    stats.setdefault("finish_reason", crawler.stats.get_value("finish_reason") if crawler.stats else None)
    return stats
