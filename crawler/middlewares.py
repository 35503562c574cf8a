"""Downloader middlewares: host guard, retries with backoff/Retry-After, conditional requests."""
from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError

try:  # Scrapy ≥ 2.14 wraps Twisted's DNSLookupError
    from scrapy.exceptions import CannotResolveHostError
    _DNS_ERRORS: tuple = (DNSLookupError, CannotResolveHostError)
except ImportError:  # pragma: no cover
    _DNS_ERRORS = (DNSLookupError,)

from crawler.policy import AddressPolicy, CrawlPolicy
from crawler.runtime import context_for
from crawler.urls import host_key, is_ip, is_private_host
from parsers.fetch import address_refusal  # one address rule for the crawler and `nianbao parse`

log = logging.getLogger(__name__)

class OffsiteBlocked(IgnoreRequest):
    pass


class HostGuardMiddleware:
    """Only http(s) on the start hosts (host AND port) is ever fetched. Runs first, so another
    host is never contacted, not even for robots.txt; redirects and meta refreshes to another
    host end here too. Private/link-local addresses (169.254.169.254, 10/8, …) are refused unless
    they are start hosts, or NIANBAO_ALLOW_PRIVATE is set."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.allow_private = AddressPolicy.from_setting(crawler.settings.get("NIANBAO_ALLOW_PRIVATE")).allow_all
        self.ctx = context_for(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "HostGuardMiddleware":
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        policy: CrawlPolicy | None = self.ctx.policy
        if policy is None:  # no spider of ours has opened: nothing to guard against yet
            return None
        url = request.url
        key = host_key(url)
        if key is None:
            self._blocked(url, "scheme")
        if not policy.hosts.allows(url) and not _sibling_request(policy, request):
            if is_private_host(key[0]) and not self.allow_private and key[0] not in policy.hosts.names:
                self._blocked(url, "private address")
            self._blocked(url, "other host")
        if address_refusal(key[0]) is None and not is_ip(key[0]):
            # a start host *name*: resolve it first (through GuardedResolver and its cache), so a
            # name pointing at a private address is refused before robots.txt or the page is asked
            why = policy.refused_names.get(key[0])
            if why is None:
                from twisted.internet import reactor

                try:
                    await maybe_deferred_to_future(reactor.resolve(key[0]))
                except Exception:  # noqa: BLE001 - refused (reason kept), or unresolvable: the download says so
                    why = policy.refused_names.get(key[0])
            if why:
                request.meta["nianbao_error"] = why
                request.meta["nianbao_record"] = True  # the spider records it in the archive
                self._blocked(url, "private address by DNS", why)
        return None

    def _blocked(self, url: str, why: str, message: str | None = None) -> None:
        ctx = context_for(self.crawler)
        ctx.counters["offsite_blocked"] += 1
        self.crawler.stats.inc_value(f"nianbao/blocked/{why.replace(' ', '_')}")
        log.debug("not fetched (%s): %s", why, url)
        raise OffsiteBlocked(message or f"not fetched ({why}): {url}")


def _sibling_request(policy: CrawlPolicy, request: Request) -> bool:
    """An attachment on a sibling host of the body (same registrable domain, crawler.urls.SiblingHosts),
    or that host's robots.txt. Its name still passes the address check."""
    if not policy.siblings.allows(request.url):
        return False
    return bool(request.meta.get("sibling")) or urlsplit(request.url).path == "/robots.txt"


def playwright_abort_request(req: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: no images/fonts/media (bandwidth only). Where the browser may
    connect is decided by the proxy it must use (crawler/browser_proxy.py), which sees every
    connection, redirects and WebSockets included; this predicate does not."""
    return req.resource_type in ("image", "media", "font")


class SizeGuardMiddleware:
    """HTML pages larger than NIANBAO_HTML_MAXSIZE (16 MB) are not downloaded: stopped when the
    headers announce more, or as soon as more has arrived (chunked, no Content-Length). Listings
    are HTML by definition; report links may be PDFs, so for them the cap applies only when the
    response says text/html. Attachments keep DOWNLOAD_MAXSIZE. Nothing beyond the cap is held."""

    def __init__(self, crawler: Any):
        self.cap = crawler.settings.getint("NIANBAO_HTML_MAXSIZE", 16 * 1024 * 1024)
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SizeGuardMiddleware":
        return cls(crawler)

    def _stop(self, request: Request, size: int, expected: bool) -> None:
        mb = self.cap // (1024 * 1024)
        request.meta["nianbao_error"] = (
            f"refused: HTML page {'announces' if expected else 'exceeds'} "
            f"{size // (1024 * 1024) if size >= 1048576 else size} {'MB' if size >= 1048576 else 'bytes'}"
            f" (NIANBAO_HTML_MAXSIZE = {mb} MB)")
        raise StopDownload(fail=True)

    def headers_received(self, headers: Any, body_length: int, request: Request, spider: Any) -> None:
        if not self.cap or request.meta.get("kind") == "attachment":
            return
        ct = (headers.get(b"Content-Type") or b"").lower()
        html = request.meta.get("kind") in ("start", "nav", "listing") or b"html" in ct or not ct
        request.meta["_nianbao_html_bytes"] = 0 if html else None
        if html and headers.get(b"Content-Encoding"):
            # the cap is on the page as decoded: a gzip body of 58 KB can unpack to 35 MB, and
            # HttpCompressionMiddleware stops decompressing at download_maxsize (set only for
            # encoded bodies: uncoded ones are counted below, with our own reason)
            request.meta["download_maxsize"] = self.cap
        if html and isinstance(body_length, int) and body_length > self.cap:  # else UNKNOWN_LENGTH
            self._stop(request, body_length, True)

    def process_response(self, request: Request, response: Response) -> Response:
        """After decompression (HttpCompressionMiddleware runs first on the way back) and for
        rendered pages (Chromium's DOM, which no byte signal counts): the decoded page itself."""
        if not self.cap or request.meta.get("kind") == "attachment" or len(response.body) <= self.cap:
            return response
        if request.meta.get("_nianbao_html_bytes") is None and not request.meta.get("playwright"):
            return response  # not HTML (a report PDF): DOWNLOAD_MAXSIZE applies
        size = len(response.body)
        request.meta["nianbao_error"] = (f"refused: HTML page decodes to {size // 1048576} MB "
                                         f"(NIANBAO_HTML_MAXSIZE = {self.cap // 1048576} MB)")
        raise IgnoreRequest(request.meta["nianbao_error"])

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        n = request.meta.get("_nianbao_html_bytes")
        if n is None:
            return
        n += len(data)
        request.meta["_nianbao_html_bytes"] = n
        if n > self.cap:
            self._stop(request, n, False)


def _retry_after_seconds(value: bytes | None) -> float | None:
    if not value:
        return None
    text = value.decode("latin-1").strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, plus a wait before each retry: the server's Retry-After (seconds
    or HTTP date) on 429/503 when given, otherwise exponential backoff (1 s, 2 s, 4 s …). A
    Retry-After beyond NIANBAO_RETRY_AFTER_MAX gives up at once. Waiting happens on the reactor
    (asyncio.sleep), never blocking other downloads."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.retry_after_max = settings.getfloat("NIANBAO_RETRY_AFTER_MAX", 60)
        self.base = settings.getfloat("NIANBAO_RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("NIANBAO_RETRY_BACKOFF_MAX", 30.0)

    def _delay(self, request: Request, response: Response | None) -> float | None:
        n = request.meta.get("retry_times", 0)
        if response is not None and response.status in (429, 503):
            ra = _retry_after_seconds(response.headers.get(b"Retry-After"))
            if ra is not None:
                return ra if ra <= self.retry_after_max else None
        return min(self.cap, self.base * (2**n))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self._delay(request, response)
        reason = f"HTTP {response.status}"
        if delay is None:
            request.meta["nianbao_error"] = f"HTTP {response.status} with Retry-After beyond the limit"
            return response
        retry = self._retry(request, reason)
        if retry is None:
            request.meta["nianbao_error"] = (
                f"HTTP {response.status} after {request.meta.get('retry_times', 0)} retries")
            return response
        self.crawler.stats.inc_value("nianbao/retry_wait_seconds", int(delay))
        await asyncio.sleep(delay)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        policy = context_for(self.crawler).policy
        why = policy.refused_name_reason(request.url) if policy is not None else None
        if isinstance(exception, _DNS_ERRORS) and why:
            request.meta["nianbao_error"] = why  # refused by the address check: never retried
            self.crawler.stats.inc_value("nianbao/blocked/private_address_by_dns")
            context_for(self.crawler).counters["offsite_blocked"] += 1
            return None
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry"):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self._delay(request, None) or 0)
        return retry


class ConditionalRequestMiddleware:
    """Re-runs send If-None-Match / If-Modified-Since for report pages and attachments already in
    the archive (`Archive.validators(url)`); a 304 then means "unchanged" without a download.
    Listings are always fetched whole: they are how new and removed reports are found.

    A distributed worker has no archive: it reads the validators the writer published in Redis
    (`<prefix>:validators`), with a detail page's attachment links, which a 304 does not repeat;
    through `redis.asyncio`, so the lookup does not hold up the reactor."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self._redis: Any = None
        self._redis_key = ""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ConditionalRequestMiddleware":
        o = cls(crawler)
        crawler.signals.connect(o._closed, signal=signals.spider_closed)
        return o

    async def _validators(self, url: str) -> dict[str, Any]:
        ctx = context_for(self.crawler)
        if ctx.archive is not None:
            return ctx.archive.validators(url) or {}
        s = self.crawler.settings
        if str(s.get("NIANBAO_ROLE") or "").lower() != "worker" or self.crawler.spider is None:
            return {}
        if self._redis is None:
            from crawler.distributed.keys import async_connect, crawl_keys

            self._redis = async_connect(s.get("REDIS_URL"))
            self._redis_key = crawl_keys(self.crawler).validators
        raw = await self._redis.hget(self._redis_key, url)
        return json.loads(raw) if raw else {}

    async def process_request(self, request: Request) -> None:
        if request.meta.get("kind") not in ("detail", "attachment") or request.meta.get("playwright"):
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        try:
            v = await self._validators(request.url)
        except Exception as e:  # noqa: BLE001 - no validators: the page is fetched whole
            log.debug("validators(%s) failed: %s", request.url, e)
            return None
        if v.get("etag"):
            request.headers[b"If-None-Match"] = v["etag"]
        if v.get("last_modified"):
            request.headers[b"If-Modified-Since"] = v["last_modified"]
        if v.get("links"):
            request.meta["nianbao_known_links"] = v["links"]
        return None

    async def _closed(self, spider: Any, reason: str) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def same_host(a: str, b: str) -> bool:
    return host_key(a) == host_key(b)


def path_of(url: str) -> str:
    return urlsplit(url).path


class SafeMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta refresh, except that a refresh to a URL Scrapy cannot even build
    (`url=javascript:void(0)`, seen on real portals) leaves the page as it is instead of
    losing it to a ValueError."""

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except ValueError:
            return response
