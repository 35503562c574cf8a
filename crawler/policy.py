"""Where one crawl may go: its `CrawlPolicy`, built from its start URLs and NIANBAO_ALLOW_PRIVATE.

One policy per crawl (held by its `CrawlContext`), read by everything that decides whether to
contact a host: the spider (which links to follow), HostGuardMiddleware (every request), the DNS
resolver (every address a name resolves to) and the rendering browser's proxy (every connection
Chromium makes). Nothing here is a module global: two crawls in one process have two policies.

Names are checked where they are resolved, so the address checked is the address connected to
(DNS rebinding: a public name pointed at 169.254.169.254). Twisted reports any resolver failure as
a bare DNSLookupError, so each refusal's reason is kept in the policy (`refused_names`) for the
error recorded in the archive.
"""
from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import urlsplit

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.browser_proxy import BrowserPolicy
from crawler.urls import AllowedHosts, SiblingHosts
from parsers.fetch import address_refusal  # one address rule for the crawler and `nianbao parse`

log = logging.getLogger(__name__)


class AddressPolicy:
    """NIANBAO_ALLOW_PRIVATE: False (default) refuses every private, loopback, link-local or otherwise
    non-public address a host name resolves to; True allows them all; a list ("10.0.0.0/8,127.0.0.1")
    allows those networks. A start URL given as an IP address (or as localhost) always allows that
    address: naming it is the permission. A start host *name* that resolves to a private address is
    refused like any other (DNS rebinding: a public name pointed at 169.254.169.254)."""

    def __init__(self, allow_all: bool = False, networks: tuple = (), start_ips: frozenset = frozenset(),
                 loopback_ok: bool = False):
        self.allow_all = allow_all
        self.networks = networks
        self.start_ips = start_ips
        self.loopback_ok = loopback_ok

    @classmethod
    def from_setting(cls, value: Any, start_urls: list[str] | None = None) -> "AddressPolicy":
        allow_all, nets = False, []
        if isinstance(value, bool):
            allow_all = value
        elif value is not None:
            items = value if isinstance(value, (list, tuple)) else str(value).split(",")
            for it in (str(i).strip() for i in items):
                if it.lower() in ("1", "true", "yes", "on", "all"):
                    allow_all = True
                elif it and it.lower() not in ("0", "false", "no", "off", "none"):
                    try:
                        nets.append(ipaddress.ip_network(it, strict=False))
                    except ValueError:
                        raise ValueError(f"NIANBAO_ALLOW_PRIVATE: not an address or network: {it!r}") from None
        ips, loopback_ok = set(), False
        for u in start_urls or []:
            host = (urlsplit(u).hostname or "").lower().rstrip(".")
            try:
                ips.add(ipaddress.ip_address(host.strip("[]")))
            except ValueError:
                loopback_ok |= host == "localhost" or host.endswith(".localhost")
        return cls(allow_all, tuple(nets), frozenset(ips), loopback_ok)

    def refusal(self, address: str) -> str | None:
        why = address_refusal(address)
        if why is None or self.allow_all:
            return None
        ip = ipaddress.ip_address(address.strip("[]"))
        if ip in self.start_ips or any(ip in n for n in self.networks) or (self.loopback_ok and ip.is_loopback):
            return None
        return why


@dataclass
class CrawlPolicy:
    """The start hosts (host AND port), the body's sibling hosts (attachments only), the address
    rule, and the names the resolver refused with their reasons."""
    hosts: AllowedHosts
    siblings: SiblingHosts
    addresses: AddressPolicy
    refused_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_crawl(cls, start_urls: list[str], allow_private: Any = False) -> "CrawlPolicy":
        return cls(AllowedHosts(start_urls), SiblingHosts(start_urls),
                   AddressPolicy.from_setting(allow_private, start_urls))

    def check_resolved(self, name: str, address: str) -> Optional[str]:
        """The reason `name` resolving to `address` is refused (kept for the archive), or None."""
        why = self.addresses.refusal(address)
        if not why:
            return None
        key = name.lower().rstrip(".")
        self.refused_names[key] = (f"not fetched: {key} resolves to {address} ({why}); "
                                   "NIANBAO_ALLOW_PRIVATE allows it")
        return self.refused_names[key]

    def refused_name_reason(self, url: str) -> Optional[str]:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        return self.refused_names.get(host)

    def for_browser(self) -> BrowserPolicy:
        """The rendering browser's rules: start hosts only (no siblings: a page's scripts never
        reach another host), and the same address rule."""
        hosts = self.hosts

        def host_refusal(scheme: str, host: str, port: int) -> Optional[str]:
            host = host.strip("[]").lower().rstrip(".")
            if (host, port) in hosts.keys:
                return None
            kind = address_refusal(host)
            return f"other host {host}:{port}" + (f" ({kind})" if kind else "")

        return BrowserPolicy(host_refusal=host_refusal, address_refusal=self.addresses.refusal)


class GuardedResolver(CachingThreadedResolver):
    """TWISTED_DNS_RESOLVER: Scrapy's caching resolver, plus the address check. Every lookup, cached
    or not, passes the policy of every crawl running in this process (`watch`), and the address
    returned is the one Twisted connects to, so a name cannot be checked as public and then
    connected as private. (Scrapy builds one resolver per process; several crawls in one
    process share it, each refusal counting for all.)"""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.policies: list[CrawlPolicy] = []

    def watch(self, policy: CrawlPolicy) -> None:
        self.policies.append(policy)

    def forget(self, policy: CrawlPolicy) -> None:
        if policy in self.policies:
            self.policies.remove(policy)

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        for policy in self.policies:
            why = policy.check_resolved(name, address)
            if why:
                log.warning("%s", why)
                raise DNSLookupError(why)
        return address


def resolver_of(reactor: Any) -> Optional[GuardedResolver]:
    """The process's guarded resolver, once Scrapy has installed it (TWISTED_DNS_RESOLVER)."""
    r = getattr(reactor, "resolver", None)
    return r if isinstance(r, GuardedResolver) else None
