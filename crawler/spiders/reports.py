"""The `reports` spider: from portal home pages or report columns to every annual report.

    scrapy crawl reports -a start_urls=URL,URL -s ARCHIVE_DB=archive.db [-O reports.jsonl]
    scrapy crawl reports -a portals=crawler/portals.toml        (default: the bundled registry)

Page kinds (request.meta["kind"]):
  start      a start URL: anything below may be followed from it
  nav        a 信息公开 section on the way to report columns (depth-limited)
  listing    an annual-report column or one of its pages (pagination, TRS createPageHTML)
  detail     a page whose link text is a report title: parsed as a report, attachments followed
  attachment a PDF/DOC/DOCX linked from a detail page (or from a listing with a report title)
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tomllib
from typing import Any, AsyncIterator, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import browser_proxy, classify, middlewares
from crawler.html import decode_html, extract_links, page_title, parse_html
from crawler.items import PageItem
from crawler.parsing import ParseLimits, ParsePool
from crawler.runtime import AllowedHosts, context_for, host_key, host_label, is_private_host

log = logging.getLogger(__name__)

BUNDLED_PORTALS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "portals.toml")
_ATTACHMENT_HINT = re.compile(rb"""\.(?:pdf|docx?|wps)(?:["'?&#\s>]|$)""", re.I)
PRIORITY = {"attachment": 30, "detail": 20, "listing": 10, "start": 5, "nav": 0}
# schemes that fetch something (javascript:, mailto: and the like are dropped without a note)
_FETCHING_SCHEMES = {"file", "ftp", "ftps", "sftp", "smb", "gopher", "ldap", "dict", "jar", "netdoc", "ws", "wss"}


def load_portals(path: str) -> list[dict[str, Any]]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    out = []
    for p in data.get("portal", []):
        urls = p.get("start_urls") or ([p["url"]] if p.get("url") else [])
        if urls:
            out.append({**p, "start_urls": list(urls)})
    return out


def _split(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [u.strip() for u in value.replace("\n", ",").split(",") if u.strip()]
    return [str(u).strip() for u in value if str(u).strip()]


def _dedup_key(url: str) -> str:
    """listing/ and listing/index.html are one page."""
    parts = urlsplit(url)
    path = parts.path
    for tail in ("index.html", "index.htm", "index.shtml"):
        if path.endswith("/" + tail):
            path = path[: -len(tail)]
    return parts._replace(path=path or "/").geturl()


_FAILURE_TEXT = {  # exceptions whose own message says nothing
    "ResponseDataLossError": "body shorter than its Content-Length (truncated, or the connection was lost mid-body)",
}
_NESTED_FAILURE = re.compile(r"<twisted\.python\.failure\.Failure [\w.]*?(\w+): (.*?)>")


def _failure_reason(failure: Any) -> str:
    """One readable line: "ConnectionLost: Connection to the other side was lost …" rather than
    Twisted's list of Failure reprs."""
    name = failure.type.__name__
    text = (str(failure.value).splitlines() or [""])[0]
    nested = _NESTED_FAILURE.findall(text)
    if nested:
        text = "; ".join(f"{n}: {m}" for n, m in dict(nested).items())
    elif not text:
        text = _FAILURE_TEXT.get(name, "")
    return f"{name}: {text}".strip(": ")


def _looks_html(content_type: str | None, body: bytes) -> bool:
    ct = (content_type or "").lower()
    if "html" in ct or "xml" in ct:
        return True
    if ct and not ct.startswith("text/") and "octet-stream" not in ct:
        return False
    head = body[:512].lstrip().lower()
    if head.startswith((b"%pdf", b"pk\x03\x04", b"\xd0\xcf\x11\xe0")):
        return False
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<meta", b"<!--")) or b"<html" in body[:2048].lower()


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, start_urls: Any = None, portals: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        urls = _split(start_urls)
        if urls:
            self.portal_entries = [{"name": None, "start_urls": urls}]
        else:
            self.portal_entries = load_portals(portals or BUNDLED_PORTALS)
        bad = [u for e in self.portal_entries for u in e["start_urls"]
               if urlsplit(u).scheme not in ("http", "https")]
        if bad:
            raise ValueError(f"start URL must be http(s): {bad[0]}")
        self.start_url_list = [u for e in self.portal_entries for u in e["start_urls"]]
        self.allowed_hosts = AllowedHosts(self.start_url_list)
        self.portal_by_host: dict[str, str] = {}
        self.region_by_host: dict[str, str] = {}
        self.js_hosts: set[str] = set()
        for e in self.portal_entries:
            for u in e["start_urls"]:
                self.portal_by_host[host_label(u)] = e.get("name") or urlsplit(u).netloc
                if e.get("region"):
                    self.region_by_host[host_label(u)] = e["region"]
                if e.get("js_listing"):
                    self.js_hosts.add(host_label(u))
        self._issued: set[tuple[str, bool]] = set()
        self.pool: ParsePool | None = None
        self._column_pages: dict[str, int] = {}  # listing pages issued per report column
        self._refused: set[str] = set()  # refused links already recorded
        self._trs_capped: set[str] = set()  # columns whose declared TRS page count was capped
        self._start_names = {k[0] for k in self.allowed_hosts.keys}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "ReportsSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.ctx = context_for(crawler)
        s = crawler.settings
        spider.js_mode = (s.get("NIANBAO_JS") or "auto").lower()
        if "playwright" not in str(s.getdict("DOWNLOAD_HANDLERS").get("http", "")):
            spider.js_mode = "off"
        spider.max_listing_pages = s.getint("NIANBAO_MAX_LISTING_PAGES", 300)
        spider.max_trs_pages = s.getint("NIANBAO_MAX_TRS_PAGES", classify.TRS_PAGE_CAP)
        spider.max_nav_depth = s.getint("NIANBAO_MAX_NAV_DEPTH", 3)
        spider.spider_dedup = s.getbool("NIANBAO_SPIDER_DEDUP", True)
        crawler.signals.connect(spider._on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        return spider

    # --- lifecycle ---------------------------------------------------------------------------
    def _on_opened(self, spider: Any) -> None:
        s = self.crawler.settings
        middlewares.install_address_policy(self.start_url_list, s.get("NIANBAO_ALLOW_PRIVATE"))
        # stopping: a Ctrl-C ends parses in progress instead of waiting for them
        self.pool = ParsePool(s.getint("NIANBAO_PARSE_WORKERS", 0), s.get("NIANBAO_PARSER"),
                              ParseLimits.from_settings(s),
                              stopping=lambda: not getattr(self.crawler.engine, "running", False))
        # a forced stop (second Ctrl-C) stops the reactor without spider_closed: the parse workers
        # are killed then too, or the interpreter's exit would wait for a running parse
        from twisted.internet import reactor

        reactor.addSystemEventTrigger("before", "shutdown", self.pool.close)

    def _on_closed(self, spider: Any, reason: str) -> None:
        if self.pool is not None:
            self.pool.close()

    def settings_summary(self) -> dict[str, Any]:
        s = self.crawler.settings
        keys = ("ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "CONCURRENT_REQUESTS",
                "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT",
                "RETRY_TIMES", "CLOSESPIDER_PAGECOUNT", "NIANBAO_JS", "USER_AGENT")
        return {k: s.get(k) for k in keys} | {"portals": [e.get("name") for e in self.portal_entries]}

    @staticmethod
    def now() -> str:
        return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # --- requests ----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        specs = []
        for e in self.portal_entries:
            for u in e["start_urls"]:
                extra: dict[str, Any] = {"nav_depth": 0}
                if e.get("js_listing") and self.js_mode != "off":
                    extra["render"] = True
                specs.append([u, "start", extra])
        for req in self._follow_many(specs):
            yield req

    def _follow_many(self, specs: Iterable[list]) -> Iterator[scrapy.Request]:
        """Requests for the given follow specs; pages already done in an interrupted run of the
        same crawl are replayed from the journal (their links followed), not fetched again."""
        stack = list(reversed(list(specs)))
        journal = self.ctx.journal
        while stack:
            url, kind, extra = stack.pop()
            render = bool(extra.get("render"))
            if kind in ("detail", "attachment"):
                self.ctx.seen_reports.add(url)
            key = (_dedup_key(url), render)
            if key in self._issued:
                continue
            self._issued.add(key)
            entry = journal.get(url) if journal is not None and not render else None
            if entry is not None:
                self.ctx.counters["resumed_skipped"] += 1
                _, links, reports = entry
                self.ctx.seen_reports.update(reports)
                stack.extend(reversed(links))
                continue
            yield self._request(url, kind, extra)

    def _request(self, url: str, kind: str, extra: dict[str, Any]) -> scrapy.Request:
        meta: dict[str, Any] = {"kind": kind, **extra}
        if extra.get("render"):
            from scrapy_playwright.page import PageMethod

            meta.update(playwright=True, playwright_include_page=False,
                        playwright_page_methods=[PageMethod("wait_for_load_state", "networkidle")])
        # Duplicates are filtered by the spider (_issued, kept across resume); Scrapy's filter
        # would also swallow a redirect loop's second hop silently instead of reporting it.
        # (Distributed mode sets NIANBAO_SPIDER_DEDUP=False so a shared scrapy-redis dupefilter sees
        # every request; rendering requests always bypass it: same URL, second look.)
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, meta=meta,
                              priority=PRIORITY.get(kind, 0),
                              dont_filter=self.spider_dedup or bool(extra.get("render")))

    # --- responses ---------------------------------------------------------------------------
    def _item(self, response: Any) -> PageItem:
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        ct = headers.get("Content-Type")
        req_url = response.request.meta.get("redirect_urls", [response.request.url])[0]
        return PageItem(url=response.url, kind=response.meta.get("kind", "start"),
                        status=response.status, fetched_at=self.now(), headers=headers,
                        body=response.body, content_type=ct, portal=self._portal(response.url),
                        portal_region=self.region_by_host.get(host_label(response.url)),
                        request_url=req_url, rendered=bool(response.meta.get("playwright")))

    def _portal(self, url: str) -> str:
        return self.portal_by_host.get(host_label(url)) or urlsplit(url).netloc

    async def parse_page(self, response: Any) -> AsyncIterator[Any]:
        if response.meta.get("playwright"):
            # the browser's refused connections are recorded; a page it was led away from the
            # start hosts (or to its error page) is recorded as refused, never archived
            for note in browser_proxy.proxy_refusal_items(self.crawler, self._portal(response.request.url),
                                                             self.now()):
                yield note
            why = browser_proxy.final_url_refusal(self.allowed_hosts, response.url)
            if why:
                self.ctx.counters["offsite_blocked"] += 1
                yield PageItem(url=response.request.url, kind=response.meta.get("kind", "start"), status=None,
                               fetched_at=self.now(), error=f"rendering refused: {why}"[:500],
                               portal=self._portal(response.request.url))
                return
        item = self._item(response)
        kind = item.kind
        if response.status == 304:
            item.not_modified = True
            item.body = b""
            if kind == "detail":  # its attachments, as found when the page was last fetched
                item.links = (self.ctx.journal.page_links(response.url) if self.ctx.journal is not None
                              else list(response.meta.get("nianbao_known_links") or []))
            yield item
            for req in self._follow_many(item.links):
                yield req
            return
        if response.status in (404, 410):
            item.error = f"HTTP {response.status}"
            yield item
            return

        if kind == "attachment" or not _looks_html(item.content_type, response.body):
            await self._parse_into(item)
            yield item
            return

        if kind == "detail" and not _ATTACHMENT_HINT.search(response.body):
            # a report page without attachment links: no need to build its tree here (the
            # parser reads it in a worker); this keeps the reactor's process light
            await self._parse_into(item)
            yield item
            return
        text, _enc = decode_html(response.body, item.content_type)
        doc = parse_html(text)
        links = extract_links(doc, response.url)
        notes: list[PageItem] = []
        specs = self._classify(kind, response.url, links, text, response.meta, notes)
        title = page_title(doc)
        if kind == "detail" or (kind == "start" and classify.is_report_title(title)):
            await self._parse_into(item)
            if kind == "start":
                specs += [[u, "attachment", {}] for u, _ in links
                          if self.allowed_hosts.allows(u) and classify.is_attachment_url(u)]
        elif kind in ("start", "nav", "listing") and self._wants_render(response, specs):
            self.ctx.counters["rendered"] += 1
            specs.append([response.url, kind, {**self._carry(response.meta), "render": True}])
        item.links = specs
        yield item
        for note in notes:
            yield note
        for req in self._follow_many(specs):
            yield req

    def _wants_render(self, response: Any, specs: list) -> bool:
        if self.js_mode == "off" or response.meta.get("playwright"):
            return False
        if host_label(response.url) in self.js_hosts and response.meta.get("kind") == "listing":
            return True
        useful = [s for s in specs if s[1] in ("detail", "attachment", "listing")]
        return not useful

    @staticmethod
    def _carry(meta: dict[str, Any]) -> dict[str, Any]:
        return {k: meta[k] for k in ("nav_depth", "pages", "column") if k in meta}

    async def _parse_into(self, item: PageItem) -> None:
        assert self.pool is not None
        status, data = await self.pool.parse(item.body, item.url, item.content_type)
        item.parse_status = status
        if status == "ok":
            item.report = data
        else:
            item.parse_error = data
            # the page is archived with the reason (pages.error); parse errors also go to `errors`
            item.error = (f"not a report: {data}" if status == "not_report" else f"parse failed: {data}")[:500]

    def _refuse_link(self, url: str, page_url: str, notes: list) -> None:
        """A link to a private/link-local address or with a non-http(s) scheme (file://, ftp://) is
        never requested; it is recorded once in the archive's errors (other hosts only counted)."""
        self.ctx.counters["offsite_links"] += 1
        key = host_key(url)
        if key is None:
            scheme = urlsplit(url).scheme.lower()
            why = f"{scheme}:// is not http(s)" if scheme in _FETCHING_SCHEMES else None
        elif key[0] in self._start_names:
            why = None  # a start host on another port: just another host
        else:
            why = "private address" if is_private_host(key[0]) or middlewares.address_refusal(key[0]) else None
        if why is None or url in self._refused or len(self._refused) >= 1000:
            return
        self._refused.add(url)
        notes.append(PageItem(url=url[:2000], kind="link", status=None, fetched_at=self.now(),
                              error=f"not fetched ({why}): linked from {page_url}"[:500],
                              portal=self._portal(page_url)))

    def _column_budget(self, column: str, url: str, notes: list, page_url: str) -> bool:
        """Pages of one report column reached through pager links (下一页, page numbers, ?page=N,
        ?date=…) are capped at NIANBAO_MAX_LISTING_PAGES in all: a calendar that links to new
        dates without end stops there, and the cap is recorded as an error of the column (so
        nothing is concluded removed from an incomplete listing). TRS createPageHTML pages are
        not counted: they declare their number."""
        if (_dedup_key(url), False) in self._issued:
            return True  # already requested (or replayed): costs nothing more
        n = self._column_pages.get(column, 0)
        if n < self.max_listing_pages:
            self._column_pages[column] = n + 1
            return True
        if n == self.max_listing_pages:
            self._column_pages[column] = n + 1
            notes.append(PageItem(url=column, kind="listing", status=None, fetched_at=self.now(),
                                  error=f"listing page cap reached: {self.max_listing_pages} pages of this "
                                        f"column (NIANBAO_MAX_LISTING_PAGES); further pages not fetched, "
                                        f"e.g. from {page_url}"[:500],
                                  portal=self._portal(column)))
        self.ctx.counters["listing_pages_capped"] += 1
        return False

    def _classify(self, kind: str, page_url: str, links: list[tuple[str, str]], text: str,
                  meta: dict[str, Any], notes: list | None = None) -> list[list]:
        specs: list[list] = []
        seen: set[str] = set()
        notes = notes if notes is not None else []
        nav_depth = meta.get("nav_depth", 0)
        pages = meta.get("pages", 0)
        column = meta.get("column") or page_url
        discovering = kind in ("start", "nav", "listing")
        for url, label in links:
            if url in seen or url == page_url:
                continue
            seen.add(url)
            if not self.allowed_hosts.allows(url):
                self._refuse_link(url, page_url, notes)
                continue
            if classify.is_skipped_url(url):
                continue
            if classify.is_attachment_url(url):
                if kind == "detail" or classify.is_report_title(label):
                    specs.append([url, "attachment", {"title": label}])
                continue
            if classify.is_report_title(label):
                specs.append([url, "detail", {"title": label}])
            elif not discovering:
                continue
            elif classify.is_column_link(label, url):
                specs.append([url, "listing", {"pages": 0}])
            elif kind in ("listing", "start") and classify.is_pager_link(label, url, page_url):
                if pages < self.max_listing_pages and self._column_budget(column, url, notes, page_url):
                    specs.append([url, "listing", {"pages": pages + 1, "column": column}])
            elif kind in ("start", "nav") and nav_depth < self.max_nav_depth and classify.is_nav_link(label, url):
                specs.append([url, "nav", {"nav_depth": nav_depth + 1}])
        if kind in ("listing", "start") and "createPageHTML" in text:
            # TRS declares its page count: no budget, but a cap (a trap may declare a million)
            for name in classify.trs_pages(text, cap=self.max_trs_pages):
                url = urljoin(page_url, name)
                if url not in seen and url != page_url and self.allowed_hosts.allows(url):
                    seen.add(url)
                    specs.append([url, "listing", {"pages": pages + 1, "trs": True, "column": column}])
            declared = classify.trs_declared_pages(text)
            if declared > self.max_trs_pages and column not in self._trs_capped:
                # recorded as an error of the column: nothing is concluded removed from it
                self._trs_capped.add(column)
                notes.append(PageItem(url=column, kind="listing", status=None, fetched_at=self.now(),
                                      error=f"listing page cap reached: the column declares {declared} pages "
                                            f"(createPageHTML), the first {self.max_trs_pages} fetched "
                                            f"(NIANBAO_MAX_TRS_PAGES)"[:500],
                                      portal=self._portal(column)))
        return specs

    def on_error(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        kind = request.meta.get("kind", "start")
        if failure.check(middlewares.OffsiteBlocked):
            linked = request.meta.get("redirect_urls")
            if request.meta.get("nianbao_record"):  # a start host name resolving to a refused address
                yield PageItem(url=(linked or [request.url])[0], kind=kind, status=None, fetched_at=self.now(),
                               error=str(request.meta.get("nianbao_error") or failure.value)[:500],
                               portal=self._portal(request.url))
            elif linked:  # a redirect or meta refresh to another host/address: recorded, not followed
                yield PageItem(url=linked[0], kind=kind, status=None, fetched_at=self.now(),
                               error=f"redirected to a refused address, {failure.value}"[:500],
                               portal=self._portal(linked[0]))
            return
        if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            self.ctx.counters["robots_forbidden"] += 1
            return
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = request.meta.get("nianbao_error") or f"HTTP {status}"
            location = failure.value.response.headers.get(b"Location")
            if 300 <= status < 400 and location:  # Scrapy follows only http(s) redirects
                reason += (f": redirect to a refused URL not followed "
                           f"({location.decode('latin-1')[:200]})")
        else:
            reason = request.meta.get("nianbao_error") or _failure_reason(failure)
            if request.meta.get("retry_times"):
                reason += f" (after {request.meta['retry_times']} retries)"
        if request.meta.get("playwright"):
            yield from browser_proxy.proxy_refusal_items(self.crawler, self._portal(request.url), self.now())
            final = failure.value.response.url if failure.check(HttpError) else request.url
            why = browser_proxy.final_url_refusal(self.allowed_hosts, final)
            reason = f"rendering refused: {why}" if why else "rendering failed: " + reason
        url = request.meta.get("redirect_urls", [request.url])[0]  # the URL as linked
        if url != request.url:
            reason += f" (redirected to {request.url})"
        yield PageItem(url=url, kind=kind, status=None, fetched_at=self.now(),
                       error=reason[:500], portal=self._portal(request.url))
