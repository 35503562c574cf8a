"""Fetch one URL for `nianbao parse URL` (the crawler has its own downloader).

Every hop, the first and each redirect, passes the same address rule as the crawler: http(s)
only, and a host whose addresses are private, loopback, link-local or otherwise non-public is
refused, unless it is where the URL the user gave points (naming it is the permission). The check
is made where the connection is opened, on the address actually connected to, so any spelling of
169.254.169.254 (IPv4-mapped IPv6, hex, decimal, a name resolving there) is caught; no proxy from
the environment is used (it would connect on our behalf, unchecked); no ftp:// or file:// handler
exists to follow a redirect to.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from parsers.model import ParseError

MAX_BYTES = 60 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao; archival research crawler)"


@dataclass
class Fetched:
    url: str
    body: bytes
    content_type: str | None


def address_refusal(address: str) -> Optional[str]:
    """Why an address must not be contacted ("link-local address", …), or None for a public one."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0].strip("[]"))
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, why in ((ip.is_link_local, "link-local address"), (ip.is_loopback, "loopback address"),
                      (ip.is_private, "private address"), (ip.is_unspecified, "unspecified address"),
                      (ip.is_multicast, "multicast address"), (not ip.is_global, "non-public address")):
        if test:
            return why
    return None


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise ParseError(f"unreachable: {host}: {e}") from None
    return list(dict.fromkeys(i[4][0] for i in infos))


class _Policy:
    def __init__(self, start_url: str):
        parts = urlsplit(start_url)
        self.permitted: set[str] = set()
        if parts.hostname:
            try:
                self.permitted = set(_addresses(parts.hostname, parts.port or 80))
            except ParseError:
                pass  # unresolvable: the connection says so

    def address(self, host: str, port: int) -> str:
        """The address to connect to; ParseError if any address of `host` is refused."""
        addresses = _addresses(host, port)
        for a in addresses:
            why = address_refusal(a)
            if why and a not in self.permitted:
                shown = host if a == host else f"{host} ({a})"
                raise ParseError(f"refused: {shown} is a {why}; only public addresses are fetched")
        return addresses[0]


def _guarded(base: type, policy: _Policy) -> type:
    class Guarded(base):  # type: ignore[misc, valid-type]
        def connect(self) -> None:
            address = policy.address(self.host, self.port)
            real = self._create_connection
            self._create_connection = lambda _addr, *a, **k: real((address, self.port), *a, **k)
            try:
                super().connect()  # HTTPS: TLS with SNI and certificate check for self.host
            finally:
                self._create_connection = real
    return Guarded


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, policy: _Policy):
        super().__init__()
        self.conn = _guarded(http.client.HTTPConnection, policy)

    def http_open(self, req):  # noqa: ANN001, ANN201
        return self.do_open(self.conn, req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, policy: _Policy):
        super().__init__()
        self.conn = _guarded(http.client.HTTPSConnection, policy)

    def https_open(self, req):  # noqa: ANN001, ANN201
        return self.do_open(self.conn, req, context=self._context)


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        scheme = urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise ParseError(f"refused redirect to {newurl[:200]}: only http and https")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(url: str) -> urllib.request.OpenerDirector:
    policy = _Policy(url)
    opener = urllib.request.OpenerDirector()
    for h in (_HTTP(policy), _HTTPS(policy), _Redirects(), urllib.request.HTTPDefaultErrorHandler(),
              urllib.request.HTTPErrorProcessor()):
        opener.add_handler(h)
    return opener


def fetch(url: str, timeout: float = 30.0) -> Fetched:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ParseError(f"refused URL scheme {scheme!r}: only http and https")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with _opener(url).open(request, timeout=timeout) as resp:
            body = resp.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise ParseError(f"response larger than {MAX_BYTES // 1048576} MB")
            return Fetched(url=resp.geturl(), body=body, content_type=resp.headers.get("Content-Type"))
    except urllib.error.HTTPError as exc:
        raise ParseError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ParseError):
            raise exc.reason from None
        raise ParseError(f"unreachable: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise ParseError(f"unreachable: {exc}") from None
