"""A hostile portal that tries every way a rendered page can make the browser reach an internal
address, and canary servers standing in for the internal services it aims at.

The portal runs on 127.0.0.1 (its start host); the canaries listen on *other* loopback addresses
(127.0.0.2, 127.0.0.3: on Linux all of 127.0.0.0/8 is the loopback interface), which the crawl's
address policy does not allow, like 169.254.169.254, a LAN host or the crawler's own Redis would
not be. Every canary logs each connection it accepts (TCP) or datagram it receives (UDP), and
answers with a secret that must never reach the archive.

Each channel is one page, rendered by the browser (`js_listing`): a redirect answered to the
browser's fetch, a script navigation, `<meta refresh>`, an iframe, fetch(), a WebSocket, a dedicated
worker's fetch, a service worker's fetch, WebRTC (STUN over UDP and TURN over TCP), and prefetch /
preconnect hints.
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from crawler.sample_portal.server import Portal, PortalServer

SECRET = "CANARY HIT INTERNAL-SECRET"


class Canary:
    """A TCP (and UDP, same port number) listener on `host` logging what reaches it: `hits()` is a
    list of (proto, first request line or "(no data)")."""

    def __init__(self, host: str):
        self.host = host
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((host, 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((host, 0))
        self.udp_port = self.udp.getsockname()[1]
        self._hits: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._stop = False

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def hits(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._hits)

    def _log(self, proto: str, what: str) -> None:
        with self._lock:
            self._hits.append((proto, what))

    def __enter__(self) -> "Canary":
        self.tcp.listen(64)
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._datagrams, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self.tcp.close()
        self.udp.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.tcp.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(3)
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        line = data.split(b"\r\n", 1)[0].decode("latin-1") if data else "(no data)"
        if data and not data[:1].isalpha():
            line = f"(binary {len(data)} bytes)"  # a TURN allocation over TCP
        self._log("tcp", line)
        body = f"<html><body><h1>{SECRET}</h1><p>{line}</p></body></html>".encode()
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nAccess-Control-Allow-Origin: *\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        except OSError:
            pass
        finally:
            conn.close()

    def _datagrams(self) -> None:
        while not self._stop:
            try:
                data, _ = self.udp.recvfrom(65536)
            except (socket.timeout, OSError):
                continue
            self._log("udp", f"(datagram {len(data)} bytes)")


@dataclass
class HostileSite:
    portal: Portal
    channels: dict[str, str]  # page path → the channel it tries
    canary_a: Canary  # 127.0.0.2
    canary_b: Canary  # 127.0.0.3
    hosts: list[str] = field(default_factory=list)

    def start_urls(self, base: str) -> list[str]:
        return [base.rstrip("/") + p for p in self.channels]

    def portals_toml(self, base: str, path: Path) -> Path:
        urls = ", ".join(f'"{u}"' for u in self.start_urls(base))
        path.write_text(f'[[portal]]\nname = "hostile"\nstart_urls = [{urls}]\njs_listing = true\n', encoding="utf-8")
        return path

    def canary_hits(self) -> dict[str, list[tuple[str, str]]]:
        return {self.canary_a.host: self.canary_a.hits(), self.canary_b.host: self.canary_b.hits()}


def _page(title: str, body: str, head: str = "") -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
            f'<body><h2>{title}</h2><ul id="list"></ul><div id="out"></div>{body}</body></html>').encode()


def hostile_site(canary_a: Canary, canary_b: Canary) -> HostileSite:
    a, b = canary_a.base, canary_b.base
    show = "document.getElementById('out').textContent += "
    p = Portal()
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    pages = {
        "/redirect.html": "a redirect answered to the browser's own fetch",
        "/scriptnav.html": "a script setting location",
        "/httpsnav.html": "a script navigating to https:// on another host (a refused tunnel: Chromium's error page)",
        "/meta.html": "<meta http-equiv=refresh>",
        "/iframe.html": "an iframe to another host",
        "/fetch.html": "fetch() to another host",
        "/ws.html": "a WebSocket",
        "/worker.html": "a dedicated worker's fetch",
        "/sw.html": "a service worker's fetch",
        "/webrtc.html": "WebRTC (STUN over UDP, TURN over TCP)",
        "/prefetch.html": "prefetch, preconnect and DNS-prefetch hints",
    }
    p.set("/scriptnav.html", _page("信息公开", f"<script>location.href = '{a}/scriptnav';</script>"))
    p.set("/httpsnav.html", _page("信息公开", f"<script>location.href = 'https://{a[7:]}/httpsnav';</script>"))
    p.set("/meta.html", _page("信息公开", "", f'<meta http-equiv="refresh" content="0;url={a}/meta">'))
    p.set("/iframe.html", _page("信息公开", f'<iframe src="{b}/iframe"></iframe>'))
    p.set("/fetch.html", _page("信息公开", f"<script>fetch('{b}/fetch').then(r => r.text()).then(t => {{ {show} t; }});</script>"))
    p.set("/ws.html", _page("信息公开", f"""<script>
const ws = new WebSocket('ws://{a[7:]}/ws');
ws.onmessage = e => {{ {show} 'WS-READ: ' + e.data; }};
</script>"""))
    p.set("/worker.html", _page("信息公开", "<script>const w = new Worker('/worker.js'); "
                                        f"w.onmessage = e => {{ {show} e.data; }};</script>"))
    p.set("/worker.js", f"fetch('{b}/worker').then(r => r.text()).then(t => postMessage(t));",
          "application/javascript")
    p.set("/sw.html", _page("信息公开", "<script>navigator.serviceWorker.register('/sw.js')"
                                    f".then(() => {{ {show} 'sw registered'; }}, e => {{ {show} 'sw refused'; }});"
                                    "</script>"))
    p.set("/sw.js", f"fetch('{a}/serviceworker');", "application/javascript")
    p.set("/webrtc.html", _page("信息公开", f"""<script>
const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:{canary_b.host}:{canary_b.udp_port}'}},
  {{urls: 'turn:{canary_b.host}:{canary_b.port}?transport=tcp', username: 'u', credential: 'p'}}]}});
pc.createDataChannel('x');
pc.createOffer().then(o => pc.setLocalDescription(o));
</script>"""))
    p.set("/prefetch.html", _page("信息公开", "", f'<link rel="prefetch" href="{b}/prefetch">'
                                              f'<link rel="preconnect" href="{a}">'
                                              '<link rel="dns-prefetch" href="//canary-dns.invalid">'))

    def hook(h, path: str) -> bool:  # noqa: ANN001
        if path == "/redirect.html":
            h.send_response(302)
            h.send_header("Location", f"{a}/redirect")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return True
        return False

    p.hook = hook
    return HostileSite(p, pages, canary_a, canary_b)


def serve(site: HostileSite) -> PortalServer:
    return PortalServer(site.portal).start()
