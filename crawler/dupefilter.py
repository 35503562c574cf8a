"""One fetch per page: the request fingerprint and duplicate filter of both crawl modes.

A page is fetched once per crawl. Its fingerprint is Scrapy's (`scrapy.utils.request.fingerprint`,
which canonicalises the URL with `w3lib.url.canonicalize_url`: query arguments sorted, fragment
dropped, a bare `?` dropped, percent-escapes normalised) taken on the page's URL with what portals
use as aliases of one page folded together:

* `col/`, `col/index.html`, `col/index.htm`, `col/index.shtml`, `col/default.htm(l)` are one page;
* the host's case, a trailing dot and the scheme's default port (`h:80`) do not matter;
* `http://` and `https://` of one host are one page (portals redirect one to the other);
* a rendered request (Chromium, `meta["render"]`) is a second look at a page fetched statically
  and has a fingerprint of its own.

`PageDupeFilter` (DUPEFILTER_CLASS, one process) and `crawler.distributed.frontier.RedisDupeFilter` (the
shared filter of N workers) both key pages with `page_fingerprint`. A redirect hop is never
filtered when it comes back to a page of its own chain (a loop must end as "max redirections",
not vanish); it is filtered when it leads to a page fetched before, and its target is recorded
either way, so a later link to the page a redirect led to is a duplicate.
"""
from __future__ import annotations

import hashlib
from typing import Any

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.request import fingerprint

from crawler.urls import page_url


def is_rendered(request: Request) -> bool:
    return bool(request.meta.get("render") or request.meta.get("playwright"))


def page_fingerprint(request: Request) -> bytes:
    """20 bytes: Scrapy's fingerprint of the request on its page URL, a rendered look apart. A
    listing API call is named by its key (`meta["nianbao_key"]`, URL#label): an ASP.NET postback's
    body carries a new __VIEWSTATE each time, yet page 3 is page 3."""
    key = request.meta.get("nianbao_key")
    if key:
        base, _, label = key.partition("#")  # page_url drops fragments: keep the label apart
        return hashlib.sha1(f"{request.method} {page_url(base)}#{label}".encode()).digest()
    fp = fingerprint(request.replace(url=page_url(request.url)))
    return hashlib.sha1(fp + b"|rendered").digest() if is_rendered(request) else fp


class PageFingerprinter:
    """REQUEST_FINGERPRINTER_CLASS: Scrapy asks it for every request's fingerprint."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "PageFingerprinter":
        return cls()

    def fingerprint(self, request: Request) -> bytes:
        return page_fingerprint(request)


def loops_back(request: Request) -> bool:
    """A redirect hop back to a URL of its own chain (a loop, left to REDIRECT_MAX_TIMES)."""
    chain = request.meta.get("redirect_urls") or []
    return bool(request.meta.get("redirect_times")) and page_url(request.url) in {page_url(u) for u in chain}


class PageDupeFilter(RFPDupeFilter):
    """DUPEFILTER_CLASS of a one-process crawl: Scrapy's filter on `page_fingerprint`; a
    redirect loop's hops pass."""

    def request_seen(self, request: Request) -> bool:
        if loops_back(request):
            return False
        return super().request_seen(request)

    def _fingerprint(self, request: Request) -> bytes:
        return page_fingerprint(request)
