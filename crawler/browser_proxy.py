"""The rendering browser's only way out: a forward proxy in the crawl process that applies the
crawl's address policy to every connection Chromium makes.

Chromium is started with `--proxy-server=http://127.0.0.1:PORT` and `--proxy-bypass-list=<-loopback>`
(so even loopback goes through it), its own name resolution mapped to nothing, and non-proxied UDP
(WebRTC) off (crawler/playwright_guard.py). Whatever a page does — a redirect answered only to the
browser, `location = …`, `<meta refresh>`, an iframe, fetch/XHR, a WebSocket, a worker, a prefetch —
the connection arrives here as `GET http://host:port/…` or `CONNECT host:port`, and is made only if

- host AND port are a start host (`AllowedHosts`, as for Scrapy's own requests), and
- the name, resolved here, leads to an address the `AddressPolicy` allows (NIANBAO_ALLOW_PRIVATE);
  the address checked is the address connected to, so DNS rebinding cannot slip between the two.

Everything else is answered `403` and recorded (`refusals`), so the crawl can say what the browser
was refused. Page scripts cannot reach the network any other way: this is enforced in the browser's
network stack, not by the request-interception API (which never sees redirects or WebSockets).
"""
from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024  # a request head larger than this is refused
MAX_REFUSALS = 1000  # refusals kept for the archive (more are only counted)


@dataclass(frozen=True)
class Refusal:
    url: str  # as the browser asked for it (`host:port` for a tunnel)
    reason: str


@dataclass
class BrowserPolicy:
    """What the browser may connect to: `host_refusal(scheme, host, port)` for the host check (the
    spider's start hosts), `address_refusal(ip)` for the resolved address (NIANBAO_ALLOW_PRIVATE)."""
    host_refusal: Callable[[str, str, int], Optional[str]]
    address_refusal: Callable[[str], Optional[str]]


class BrowserProxy:
    def __init__(self, policy: BrowserPolicy, host: str = "127.0.0.1", connect_timeout: float = 15.0):
        self.policy = policy
        self.host = host
        self.port = 0
        self.connect_timeout = connect_timeout
        self.refusals: list[Refusal] = []
        self.refused_count = 0
        self.allowed_count = 0
        self._server: Optional[asyncio.base_events.Server] = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> "BrowserProxy":
        self._server = await asyncio.start_server(self._serve, self.host, 0, limit=MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("browser proxy on %s", self.url)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for t in list(self._tasks):
                t.cancel()
            self._server = None

    def take_refusals(self) -> list[Refusal]:
        out, self.refusals = self.refusals, []
        return out

    # --- one client connection: one request (plain HTTP) or one tunnel (CONNECT) ------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
                return
            await self._handle(head, reader, writer)
        except (ConnectionError, asyncio.CancelledError, OSError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _handle(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            return self._refuse(writer, lines[0][:200], "not an HTTP request", status=400)
        if method.upper() == "CONNECT":
            host, _, port_s = target.rpartition(":")
            host = host.strip("[]").lower()
            scheme, url = ("https", f"https://{target}") if port_s == "443" else ("http", f"{target} (tunnel)")
            try:
                port = int(port_s)
            except ValueError:
                return self._refuse(writer, target, "bad CONNECT target", status=400)
        else:
            parts = urlsplit(target)
            scheme, url = parts.scheme.lower(), target
            try:
                host, port = (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme, 0)
            except ValueError:
                return self._refuse(writer, target, "bad URL", status=400)
            if scheme != "http" or not host:
                return self._refuse(writer, target, f"{scheme or 'no'} scheme through the proxy")
        why = self.policy.host_refusal(scheme, host, port)
        if why:
            return self._refuse(writer, url, why)
        address, why = await self._resolve(host, port)
        if why or address is None:
            return self._refuse(writer, url, why or "unresolvable")
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(address, port),
                                                          self.connect_timeout)
        except (OSError, asyncio.TimeoutError) as e:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            log.debug("browser proxy: %s unreachable: %s", url, e)
            return
        self.allowed_count += 1
        if method.upper() == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        else:
            up_writer.write(_origin_form(lines, method, target, version))
        await _pipe_both(reader, writer, up_reader, up_writer)

    async def _resolve(self, host: str, port: int) -> tuple[Optional[str], Optional[str]]:
        """The address to connect to, or why not. Every address the name has must pass: a name with
        one public and one private address is refused (the browser must not pick)."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as e:
            return None, f"unresolvable: {e}"
        addresses = list(dict.fromkeys(i[4][0] for i in infos))
        for a in addresses:
            why = self.policy.address_refusal(a)
            if why:
                return None, (why if a == host else f"{host} resolves to {a} ({why})")
        return (addresses[0], None) if addresses else (None, "no address")

    def _refuse(self, writer: asyncio.StreamWriter, url: str, why: str, status: int = 403) -> None:
        self.refused_count += 1
        if len(self.refusals) < MAX_REFUSALS:
            self.refusals.append(Refusal(url[:2000], why))
        log.info("browser proxy refused %s: %s", url[:200], why)
        body = f"nianbao: refused by the crawl's address policy: {why}\n".encode()
        writer.write(b"HTTP/1.1 %d Refused\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (status, len(body)) + body)


def _origin_form(lines: list[str], method: str, target: str, version: str) -> bytes:
    """`GET http://h:p/x?y HTTP/1.1` → `GET /x?y HTTP/1.1`, without hop-by-hop proxy headers; one
    request per connection (`Connection: close`), so nothing else rides on this upstream socket."""
    parts = urlsplit(target)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    out = [f"{method} {path} {version}"]
    for line in lines[1:]:
        if not line:
            continue
        name = line.split(":", 1)[0].strip().lower()
        if name in ("proxy-connection", "proxy-authorization", "connection", "keep-alive"):
            continue
        out.append(line)
    out.append("Connection: close")
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


async def _pipe_both(c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter,
                     u_reader: asyncio.StreamReader, u_writer: asyncio.StreamWriter) -> None:
    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                dst.close()
            except Exception:  # noqa: BLE001
                pass

    tasks = [asyncio.ensure_future(pipe(c_reader, u_writer)), asyncio.ensure_future(pipe(u_reader, c_writer))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        # the upstream answered and closed (Connection: close): the client side ends with it
        await asyncio.wait(tasks, timeout=1)
    finally:
        for t in tasks:
            t.cancel()


# --- what the spider records of it --------------------------------------------------------------

def final_url_refusal(allowed: Any, final_url: str) -> Optional[str]:
    """Why a rendered page whose browser ended on `final_url` must not be archived: a navigation
    (redirect, script, meta refresh) left the start hosts, or ended on Chromium's error page
    (`chrome-error://chromewebdata/`, a navigation the proxy refused)."""
    if allowed.allows(final_url):
        return None
    if final_url.startswith("chrome-error:"):
        return "the browser's navigation was refused or failed (it ended on Chromium's error page)"
    return f"the browser was led to {final_url[:300]}, outside the crawl's hosts"


# Chromium's own background calls (network time, component updates, sign-in) that its switches do
# not all silence: refused like everything else, counted, but not archived as the portal's errors.
BROWSER_SERVICE_DOMAINS = ("google.com", "googleapis.com", "gvt1.com", "gvt2.com", "gstatic.com")


def is_browser_service(url: str) -> bool:
    host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in BROWSER_SERVICE_DOMAINS)


def proxy_refusal_items(crawler: Any, portal: str, now: str) -> list[Any]:
    """The connections the browser was refused since the last call, as error records (one per
    URL), so the archive says what rendered pages tried to reach. (Which page asked is not known:
    two pages render at once, and a tunnel carries no Referer.)"""
    from crawler.items import PageItem
    from crawler.runtime import context_for

    proxy = getattr(context_for(crawler), "browser_proxy", None)
    if proxy is None:
        return []
    out, seen = [], set()
    for r in proxy.take_refusals():
        if r.url in seen:
            continue
        seen.add(r.url)
        if is_browser_service(r.url):
            crawler.stats.inc_value("nianbao/blocked/browser_service")
            continue
        crawler.stats.inc_value("nianbao/blocked/browser")
        out.append(PageItem(url=r.url, kind="link", status=None, fetched_at=now, portal=portal,
                            error=f"not fetched (refused to the rendering browser: {r.reason})"[:500]))
    return out
