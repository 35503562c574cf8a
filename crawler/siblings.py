"""Sibling hosts of one body: where its report attachments may live besides its start hosts.

A body's portal is often www.example.gov.cn while its report PDFs sit on file.example.gov.cn or
xxgk.example.gov.cn. Those hosts share the registrable domain (example.gov.cn — the public suffix
list knows gov.cn as a suffix, so beijing.gov.cn and shanghai.gov.cn are two bodies, not one).
Only *attachments* linked from a report page are fetched from a sibling — never its pages, so a
crawl does not spread to the sibling's site — and its address passes the same check as any host
(a sibling name that resolves to a private address is refused; see middlewares.GuardedResolver).

The suffix list is tldextract's bundled snapshot; it is never fetched from the network.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # the bundled snapshot only


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """example.gov.cn for xxgk.example.gov.cn; "" for an IP address, localhost or a bare suffix."""
    host = (host or "").lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return ""
    except ValueError:
        pass
    r = _EXTRACT(host)
    return r.top_domain_under_public_suffix if r.suffix and r.domain else ""


class SiblingHosts:
    """The registrable domains of a crawl's start hosts."""

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
