"""The `reports` spider: from portal home pages or report columns to every annual report.

    scrapy crawl reports -a start_urls=URL,URL -s ARCHIVE_DB=archive.db [-O reports.jsonl]
    scrapy crawl reports -a portals=crawler/portals.toml        (default: the bundled registry)

Page kinds (request.meta["kind"]):
  start      a start URL: anything below may be followed from it
  nav        a 信息公开 section on the way to report columns (depth-limited)
  listing    an annual-report column or one of its pages (pagination, TRS createPageHTML), or an
             answer of a CMS family's listing API (meta["call"]: crawler/listings/)
  detail     a page whose link text is a report title: parsed as a report, attachments followed
  attachment a PDF/DOC/DOCX linked from a detail page (or from a listing with a report title)
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, AsyncIterator, Iterable, Iterator
from urllib.parse import urldefrag, urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import browser_proxy, classify, listings, middlewares
from crawler.html import decode_html, extract_links, page_title, parse_html
from crawler.items import PageItem
from crawler.listings import ApiCall, xhr_json
from crawler.launch import crawl_entries, start_url_list
from crawler.runtime import context_for
from crawler.policy import CrawlPolicy, resolver_of
from crawler.urls import host_key, host_label, is_private_host
from crawler.urls import page_url as page_key
from parsers.fetch import address_refusal

log = logging.getLogger(__name__)

_XHR_HINT = re.compile(rb"\$\.(?:ajax|post|get|getJSON)\s*\(|\bfetch\s*\(|XMLHttpRequest|\baxios\b")
_ATTACHMENT_HINT = re.compile(rb"""\.(?:pdf|docx?|wps)(?:["'?&#\s>]|$)""", re.I)
PRIORITY = {"attachment": 30, "detail": 20, "listing": 10, "start": 5, "nav": 0}
# schemes that fetch something (javascript:, mailto: and the like are dropped without a note)
_FETCHING_SCHEMES = {"file", "ftp", "ftps", "sftp", "smb", "gopher", "ldap", "dict", "jar", "netdoc", "ws", "wss"}


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
        self.portal_entries = crawl_entries(start_urls, portals)
        bad = [u for e in self.portal_entries for u in e["start_urls"]
               if urlsplit(u).scheme not in ("http", "https")]
        if bad:
            raise ValueError(f"start URL must be http(s): {bad[0]}")
        self.start_url_list = start_url_list(self.portal_entries)
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
        self._column_pages: dict[str, set[str]] = {}  # listing pages issued per report column
        self._refused: set[str] = set()  # refused links already recorded
        self._trs_capped: set[str] = set()  # columns whose declared TRS page count was capped
        self._trs_issued: set[tuple[str, int]] = set()  # (column, declared count) whose pages were issued
        self._api_pages: dict[str, set[str]] = {}  # listing API pages issued per column (declared counts)
        self.captures = xhr_json.CaptureStore()  # the XHR answers of pages being rendered

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "ReportsSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.ctx = context_for(crawler)
        s = crawler.settings
        # where this crawl may go: start hosts, the body's sibling hosts (attachments), addresses
        spider.policy = spider.ctx.policy = CrawlPolicy.for_crawl(spider.start_url_list,
                                                                   s.get("NIANBAO_ALLOW_PRIVATE"))
        spider.js_mode = (s.get("NIANBAO_JS") or "auto").lower()
        if "playwright" not in str(s.getdict("DOWNLOAD_HANDLERS").get("http", "")):
            spider.js_mode = "off"
        spider.max_listing_pages = s.getint("NIANBAO_MAX_LISTING_PAGES", 300)
        spider.max_trs_pages = s.getint("NIANBAO_MAX_TRS_PAGES", classify.TRS_PAGE_CAP)
        spider.max_nav_depth = s.getint("NIANBAO_MAX_NAV_DEPTH", 3)
        crawler.signals.connect(spider._on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        return spider

    # --- lifecycle ---------------------------------------------------------------------------
    def _on_opened(self, spider: Any) -> None:
        from twisted.internet import reactor

        if (resolver := resolver_of(reactor)) is not None:  # every name this crawl resolves is checked
            resolver.watch(self.policy)

    def _on_closed(self, spider: Any, reason: str) -> None:
        from twisted.internet import reactor

        if (resolver := resolver_of(reactor)) is not None:
            resolver.forget(self.policy)

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
        same crawl are replayed from the journal (their links followed), not fetched again.
        Duplicates are the scheduler's duplicate filter's business (crawler.dupefilter); a replay
        asks the same filter, so a page is replayed or fetched once."""
        stack = list(reversed(list(specs)))
        journal = self.ctx.journal
        while stack:
            url, kind, extra = stack.pop()
            render = bool(extra.get("render"))
            if kind in ("detail", "attachment"):
                self.ctx.seen_reports.add(url)
            entry = journal.get(url) if journal is not None and not render else None
            if entry is not None:
                if self._already_requested(url, kind, extra):
                    continue
                self.ctx.counters["resumed_skipped"] += 1
                _, links, reports = entry
                self.ctx.seen_reports.update(reports)
                stack.extend(reversed(links))
                continue
            yield self._request(url, kind, extra)

    def _already_requested(self, url: str, kind: str, extra: dict[str, Any]) -> bool:
        """Asks the crawl's duplicate filter (and records the page there), as the scheduler does."""
        scheduler = getattr(getattr(self.crawler.engine, "_slot", None), "scheduler", None)
        df = getattr(scheduler, "df", None)
        return df is not None and df.request_seen(self._request(url, kind, extra))

    def _request(self, url: str, kind: str, extra: dict[str, Any]) -> scrapy.Request:
        meta: dict[str, Any] = {"kind": kind, **extra}
        if extra.get("call"):  # a listing API call: `url` is its key (URL#label for a POST)
            call = ApiCall.from_dict(extra["call"])
            meta["nianbao_key"] = url
            headers = dict(call.headers)
            if call.body is not None:
                return scrapy.Request(call.url, method=call.method, body=call.body.encode(), headers=headers,
                                      callback=self.parse_page, errback=self.on_error, meta=meta,
                                      priority=PRIORITY["listing"])
            if call.method == "POST":
                return scrapy.FormRequest(call.url, method="POST", formdata=call.form or {}, headers=headers,
                                          callback=self.parse_page, errback=self.on_error, meta=meta,
                                          priority=PRIORITY["listing"])
            return scrapy.Request(call.url, headers=headers, callback=self.parse_page, errback=self.on_error,
                                  meta=meta, priority=PRIORITY["listing"])
        if extra.get("render"):
            from scrapy_playwright.page import PageMethod

            meta.update(playwright=True, playwright_include_page=False,
                        playwright_page_methods=[PageMethod("wait_for_load_state", "networkidle")],
                        # the XHR answers that fill the listing (crawler/listings/xhr_json.py)
                        playwright_page_event_handlers={"response": "_on_browser_response"})
        # duplicates: the scheduler's filter (DUPEFILTER_CLASS, one fingerprint in both modes;
        # a rendered request is a fingerprint of its own: same URL, second look; a listing API
        # call is named by its key, URL#label, since POSTs to one URL are different pages)
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, meta=meta,
                              priority=PRIORITY.get(kind, 0))

    # --- responses ---------------------------------------------------------------------------
    def _item(self, response: Any) -> PageItem:
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        ct = headers.get("Content-Type")
        req_url = response.request.meta.get("redirect_urls", [response.request.url])[0]
        key = response.meta.get("nianbao_key")
        if key:  # a listing API answer: archived and journaled under its key
            req_url = key
        return PageItem(url=key or response.url, kind=response.meta.get("kind", "start"),
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
            why = browser_proxy.final_url_refusal(self.policy.hosts, response.url)
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

        if response.meta.get("call"):
            done = self._read_answer(response, item)
            if done is not None:
                yield item
                for note in done:
                    yield note
                for req in self._follow_many(item.links):
                    yield req
                return
        if kind == "attachment" or not _looks_html(item.content_type, response.body):
            item.to_parse = True
            yield item
            return

        if kind == "detail" and not _ATTACHMENT_HINT.search(response.body):
            # a report page without attachment links: no need to build its tree here (the
            # parser reads it in a worker); this keeps the reactor's process light
            item.to_parse = True
            yield item
            return
        text, _enc = decode_html(response.body, item.content_type)
        doc = parse_html(text)
        links = extract_links(doc, response.url)
        notes: list[PageItem] = []
        # the URL as asked keeps its fragment (gkmlpt names its category there); Scrapy's drops it
        asked = response.request.url
        call = ApiCall.from_dict(response.meta["call"]) if response.meta.get("call") else None
        found = listings.inspect(asked if urldefrag(asked)[0] == response.url else response.url, text, doc, call) \
            if kind in ("start", "nav", "listing") else None
        if response.meta.get("playwright") and kind in ("start", "nav", "listing"):
            found.extend(xhr_json.from_captures(response.url, await self.captures.take(response.url), links))
        if found:
            claimed = {urldefrag(c.url)[0] for c in found.calls}  # fetched as calls, not again as links
            links = [lk for lk in links if lk[0] not in claimed] + found.links
        specs = self._classify(kind, response.url, links, text, response.meta, notes)
        if found:
            specs += self._family_specs(found, response.url, response.meta, notes, self._session_cookies(response))
        title = page_title(doc)
        if kind == "detail" or (kind == "start" and classify.is_report_title(title)):
            item.to_parse = True
            if kind == "start":
                specs += [[u, "attachment", {}] for u, _ in links
                          if self.policy.hosts.allows(u) and classify.is_attachment_url(u)]
        elif kind in ("start", "nav", "listing") and self._wants_render(response, specs, found, title):
            self.ctx.counters["rendered"] += 1
            specs.append([response.url, kind, {**self._carry(response.meta), "render": True}])
        item.links = specs
        yield item
        for note in notes:
            yield note
        for req in self._follow_many(specs):
            yield req

    async def _on_browser_response(self, response: Any) -> None:
        """scrapy-playwright's page event handler (named in the rendering request's meta)."""
        await self.captures.on_response(response)

    def _read_answer(self, response: Any, item: PageItem) -> list | None:
        """A listing API answer: its entries and further calls as the item's links (and the notes
        to store), or None when the answer is an HTML listing page to read as one."""
        call = ApiCall.from_dict(response.meta["call"])
        text, _enc = decode_html(response.body, item.content_type)
        text = text.lstrip("\ufeff")  # a BOM before JSON
        try:
            found = listings.answer(call, response.url, response.body, text)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            item.error = f"listing answer not understood ({call.family}): {type(e).__name__}: {e}"[:500]
            self.ctx.discovery_errors.append(item.url)
            return []
        if found.html:
            return None
        notes: list[PageItem] = []
        specs = self._classify("listing", item.url, found.links, "", response.meta, notes)
        item.links = specs + self._family_specs(found, item.url, response.meta, notes, self._session_cookies(response))
        return notes

    @staticmethod
    def _session_cookies(response: Any) -> str:
        return listings.session_cookies(response.request.headers.get(b"Cookie"),
                                        response.headers.getlist(b"Set-Cookie"))

    def _family_specs(self, found: "listings.Found", page_url: str, meta: dict[str, Any], notes: list,
                      cookies: str = "") -> list[list]:
        """Follow specs for what a CMS family found beyond plain links: declared pages (counted by
        the site: capped like TRS createPageHTML) and API calls (a chain without a declared count,
        like ASP.NET postbacks, spends the column's pager budget)."""
        pages = meta.get("pages", 0)
        column = meta.get("column") or page_url
        specs: list[list] = []
        if meta.get("kind") == "nav":  # a 信息公开 section: its own lists are not paged through
            found = listings.Found(calls=[c for c in found.calls if c.state.get("to_column")])
        for u in found.pages:
            if u != page_url and self.policy.hosts.allows(u):
                specs.append([u, "listing", {"pages": pages + 1, "trs": True, "column": column}])
        for c in found.calls:
            if not self.policy.hosts.allows(c.url):
                continue
            if cookies and host_key(c.url) == host_key(page_url) and "Cookie" not in c.headers:
                c.headers["Cookie"] = cookies
            if not c.declared and not (pages < self.max_listing_pages
                                       and self._column_budget(column, c.key, notes, page_url)):
                continue
            if c.declared and not self._declared_budget(column, c.key, notes):
                continue
            specs.append([c.key, c.kind, {"pages": pages + 1, "column": column, "call": c.to_dict()}])
        return specs

    def _declared_budget(self, column: str, key: str, notes: list) -> bool:
        """API pages a family declares for one column: at most NIANBAO_MAX_TRS_PAGES (a count of a
        million is a trap or a mistake); the cap is recorded as an error of the column."""
        return self._spend(self._api_pages, column, key, self.max_trs_pages, notes,
                           f"listing page cap reached: the column's listing API declares more than "
                           f"{self.max_trs_pages} pages, the first {self.max_trs_pages} fetched (NIANBAO_MAX_TRS_PAGES)")

    def _spend(self, budgets: dict[str, set[str]], column: str, key: str, cap: int, notes: list,
               why: str) -> bool:
        """One page more of a column's budget: True while under `cap` (a page counted once however
        often it is linked); the cap is recorded once as an error of the column."""
        pages = budgets.setdefault(column, set())
        if key in pages:
            return True
        n = len(pages)
        if n < cap:
            pages.add(key)
            return True
        if n == cap:
            pages.add("")
            notes.append(PageItem(url=column, kind="listing", status=None, fetched_at=self.now(),
                                  error=why[:500], portal=self._portal(column)))
        return False

    def _wants_render(self, response: Any, specs: list, found: Any = None, title: str = "") -> bool:
        if self.js_mode == "off" or response.meta.get("playwright") or response.meta.get("call"):
            return False
        if host_label(response.url) in self.js_hosts and response.meta.get("kind") == "listing":
            return True
        useful = [s for s in specs if s[1] in ("detail", "attachment", "listing")]
        if not useful:
            return True
        # a report column (or a start URL titled as one) showing no entry at all while its script
        # asks for data (an XHR-fed list beside links to other columns); not one a family reads
        kind = response.meta.get("kind")
        column = kind == "listing" or (kind == "start" and classify.is_column_link(re.split(r"[_|-]", title)[0], ""))
        return (column and not (found and found.family)
                and not any(s[1] in ("detail", "attachment") for s in specs)
                and bool(_XHR_HINT.search(response.body)))

    @staticmethod
    def _carry(meta: dict[str, Any]) -> dict[str, Any]:
        return {k: meta[k] for k in ("nav_depth", "pages", "column") if k in meta}

    def _refuse_link(self, url: str, page_url: str, notes: list) -> None:
        """A link to a private/link-local address or with a non-http(s) scheme (file://, ftp://) is
        never requested; it is recorded once in the archive's errors (other hosts only counted)."""
        self.ctx.counters["offsite_links"] += 1
        key = host_key(url)
        if key is None:
            scheme = urlsplit(url).scheme.lower()
            why = f"{scheme}:// is not http(s)" if scheme in _FETCHING_SCHEMES else None
        elif key[0] in self.policy.hosts.names:
            why = None  # a start host on another port: just another host
        else:
            why = "private address" if is_private_host(key[0]) or address_refusal(key[0]) else None
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
        return self._spend(self._column_pages, column, page_key(url), self.max_listing_pages, notes,
                           f"listing page cap reached: {self.max_listing_pages} pages of this column "
                           f"(NIANBAO_MAX_LISTING_PAGES); further pages not fetched, e.g. from {page_url}")

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
            if not self.policy.hosts.allows(url):
                if (kind == "detail" or classify.is_report_title(label)) and classify.is_attachment_url(url) \
                        and self.policy.siblings.allows(url):
                    # the body's file server: the address check still applies (HostGuardMiddleware)
                    specs.append([url, "attachment", {"title": label, "sibling": True}])
                    continue
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
        declared = classify.trs_declared_pages(text) if kind in ("listing", "start") and "createPageHTML" in text else 0
        if declared and (column, declared) not in self._trs_issued:
            # TRS declares its page count: no budget, but a cap (a trap may declare a million).
            # Every page of the column declares all N pages again: they are issued once per
            # column and count (N requests built on each of N pages made big columns quadratic)
            self._trs_issued.add((column, declared))
            for name in classify.trs_pages(text, cap=self.max_trs_pages):
                url = urljoin(page_url, name)
                if url not in seen and url != page_url and self.policy.hosts.allows(url):
                    seen.add(url)
                    specs.append([url, "listing", {"pages": pages + 1, "trs": True, "column": column}])
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
            why = browser_proxy.final_url_refusal(self.policy.hosts, final)
            reason = f"rendering refused: {why}" if why else "rendering failed: " + reason
        url = request.meta.get("redirect_urls", [request.url])[0]  # the URL as linked
        if url != request.url:
            reason += f" (redirected to {request.url})"
        yield PageItem(url=url, kind=kind, status=None, fetched_at=self.now(),
                       error=reason[:500], portal=self._portal(request.url))
