"""URL and host helpers of the crawl: which host (and port) a URL is on, which hosts a crawl may
fetch from, which hosts belong to the same body, and the one URL that stands for a page's aliases.

Scrapy-free and stateless: the objects here are built per crawl from its start URLs
(`crawler.policy.CrawlPolicy` holds them).
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_INDEX_PAGES = ("index.html", "index.htm", "index.shtml", "default.html", "default.htm")


def split_urls(value: Any) -> list[str]:
    """Start URLs as given on a command line (`a,b` or a list)."""
    if not value:
        return []
    if isinstance(value, str):
        return [u.strip() for u in value.replace("\n", ",").split(",") if u.strip()]
    return [str(u).strip() for u in value if str(u).strip()]


def host_key(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL; None for any other scheme or a URL without a host."""
    try:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        return parts.hostname.lower().rstrip("."), parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None


def host_label(url: str) -> str:
    """The URL's netloc as `Archive.live_report_urls(host=...)` compares it: host, or host:port
    when the port is not the scheme's default."""
    key = host_key(url)
    if not key:
        return ""
    return key[0] if key[1] == DEFAULT_PORTS[urlsplit(url).scheme] else f"{key[0]}:{key[1]}"


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def is_private_host(host: str) -> bool:
    """A literal private/loopback/link-local/reserved address, or localhost (names are checked
    where they resolve: crawler.policy)."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host in ("localhost",) or host.endswith(".localhost")
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast


class AllowedHosts:
    """The start hosts (host AND port). A start URL on a default port also admits the same host
    on the other default port (http → https redirects are common on portals)."""

    def __init__(self, start_urls: list[str]):
        self.keys: set[tuple[str, int]] = set()
        for u in start_urls:
            k = host_key(u)
            if not k:
                continue
            self.keys.add(k)
            if k[1] in (80, 443):
                self.keys.add((k[0], 443 if k[1] == 80 else 80))

    @property
    def names(self) -> set[str]:
        return {k[0] for k in self.keys}

    def allows(self, url: str) -> bool:
        k = host_key(url)
        return k is not None and k in self.keys


# --- sibling hosts: the body's file servers ----------------------------------------------------
# A body's portal is often www.example.gov.cn while its report PDFs sit on file.example.gov.cn or
# xxgk.example.gov.cn: hosts sharing the registrable domain. The public suffix list knows gov.cn
# as a suffix, so beijing.gov.cn and shanghai.gov.cn are two bodies, not one. The list is
# tldextract's bundled snapshot, never fetched from the network.
@lru_cache(maxsize=1)
def _suffix_list() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """example.gov.cn for xxgk.example.gov.cn; "" for an IP address, localhost or a bare suffix."""
    host = (host or "").lower().rstrip(".")
    if is_ip(host):
        return ""
    r = _suffix_list()(host)
    return r.top_domain_under_public_suffix if r.suffix and r.domain else ""


class SiblingHosts:
    """The registrable domains of a crawl's start hosts. Only *attachments* linked from a report
    page are fetched from a sibling — never its pages, so a crawl does not spread to the
    sibling's site — and its address passes the same check as any host."""

    def __init__(self, start_urls: list[str]):
        self.domains = {d for d in (registrable_domain(urlsplit(u).hostname or "") for u in start_urls) if d}

    def allows(self, url: str) -> bool:
        """An http(s) URL on a host that shares a start host's registrable domain."""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            return False
        if parts.scheme not in ("http", "https"):
            return False
        return bool(self.domains) and registrable_domain(host) in self.domains


# --- one URL per page ---------------------------------------------------------------------------
def page_url(url: str) -> str:
    """The URL that stands for every alias of its page (`col/`, `col/index.html`, http and https,
    the host's case, a default port); not for fetching (the scheme is always http). The duplicate
    filter keys pages with it (crawler.dupefilter)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return url
    host = (parts.hostname or "").rstrip(".")
    port = parts.port if parts.port is not None else None
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = parts.path or "/"
    for tail in _INDEX_PAGES:
        if path.lower().endswith("/" + tail):
            path = path[: -len(tail)]
            break
    return urlunsplit(("http", netloc, path, parts.query, ""))
