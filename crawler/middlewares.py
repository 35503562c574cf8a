"""Downloader middlewares: host guard, retries with backoff/Retry-After, conditional requests."""
from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.runtime import AllowedHosts, context_for, host_key, is_private_host

log = logging.getLogger(__name__)

# Set by the spider when it opens: the browser's own sub-requests (XHR, scripts) are checked
# against it in `playwright_abort_request`, since they do not pass through Scrapy's middlewares.
_ALLOWED_FOR_BROWSER: AllowedHosts | None = None


class OffsiteBlocked(IgnoreRequest):
    pass


class HostGuardMiddleware:
    """Only http(s) on the start hosts (host AND port) is ever fetched. Runs first, so another
    host is never contacted, not even for robots.txt; redirects and meta refreshes to another
    host end here too. Private/link-local addresses (169.254.169.254, 10/8, …) are refused unless
    they are start hosts, or NIANBAO_ALLOW_PRIVATE is set."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("NIANBAO_ALLOW_PRIVATE")

    @classmethod
    def from_crawler(cls, crawler: Any) -> "HostGuardMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        allowed: AllowedHosts | None = getattr(spider, "allowed_hosts", None)
        if allowed is None:
            return None
        url = request.url
        key = host_key(url)
        if key is None:
            self._blocked(url, "scheme")
        if not allowed.allows(url):
            if is_private_host(key[0]) and not self.allow_private:
                self._blocked(url, "private address")
            self._blocked(url, "other host")
        return None

    def _blocked(self, url: str, why: str) -> None:
        ctx = context_for(self.crawler)
        ctx.counters["offsite_blocked"] += 1
        self.crawler.stats.inc_value(f"nianbao/blocked/{why.replace(' ', '_')}")
        log.debug("not fetched (%s): %s", why, url)
        raise OffsiteBlocked(f"not fetched ({why}): {url}")


def playwright_abort_request(req: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: the browser loads only the start hosts, and no images/fonts/media."""
    if req.resource_type in ("image", "media", "font"):
        return True
    allowed = _ALLOWED_FOR_BROWSER
    if allowed is None:
        return False
    return not allowed.allows(req.url)


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
    Listings are always fetched whole: they are how new and removed reports are found."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ConditionalRequestMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("kind") not in ("detail", "attachment") or request.meta.get("playwright"):
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        ctx = context_for(self.crawler)
        if ctx.archive is None:
            return None
        try:
            v = ctx.archive.validators(request.url) or {}
        except Exception as e:  # noqa: BLE001
            log.debug("validators(%s) failed: %s", request.url, e)
            return None
        if v.get("etag"):
            request.headers[b"If-None-Match"] = v["etag"]
        if v.get("last_modified"):
            request.headers[b"If-Modified-Since"] = v["last_modified"]
        return None


def same_host(a: str, b: str) -> bool:
    return host_key(a) == host_key(b)


def path_of(url: str) -> str:
    return urlsplit(url).path
