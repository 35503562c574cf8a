"""A small threaded HTTP server for portal imitations on 127.0.0.1.

Serves a folder (or an in-memory {path: bytes} map) like a portal's web server does: directory
index (index.html), Content-Type by extension (or per-path overrides, e.g. a GBK page sent as
bare "text/html"), ETag + Last-Modified with 304 answers to conditional requests, 404s, and a
log of every request (method, path) for tests and the demo.
"""
from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site")

CT = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
      ".shtml": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
      ".css": "text/css", ".js": "application/javascript", ".json": "application/json",
      ".pdf": "application/pdf", ".doc": "application/msword",
      ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


class Portal:
    """Content of one imitated site: path → body (bytes), with optional content types."""

    def __init__(self, files: Optional[dict[str, bytes]] = None, types: Optional[dict[str, str]] = None,
                 mtime: float | None = None):
        self.files: dict[str, bytes] = dict(files or {})
        self.types: dict[str, str] = dict(types or {})
        self.mtime = mtime or time.time() - 86400
        self.log: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        # hook(handler, path) -> True when it answered the request itself (faults in tests)
        self.hook: Optional[Callable[[BaseHTTPRequestHandler, str], bool]] = None
        self.posts: list[tuple[str, bytes]] = []  # (path, body) of every POST
        self.conditional = True

    @classmethod
    def from_dir(cls, root: str = SITE_DIR) -> "Portal":
        files, types = {}, {}
        for d, _, names in os.walk(root):
            for n in names:
                full = os.path.join(d, n)
                rel = "/" + os.path.relpath(full, root).replace(os.sep, "/")
                if n.startswith("_"):
                    continue
                with open(full, "rb") as f:
                    files[rel] = f.read()
        hdr = os.path.join(root, "_headers.json")
        if os.path.exists(hdr):
            with open(hdr, encoding="utf-8") as f:
                types.update(json.load(f))
        return cls(files, types)

    def set(self, path: str, body: bytes | str, content_type: str | None = None) -> None:
        self.files[path] = body.encode() if isinstance(body, str) else body
        if content_type:
            self.types[path] = content_type

    def remove(self, path: str) -> None:
        self.files.pop(path, None)

    def requested(self) -> list[str]:
        with self.lock:
            return [p for _, p in self.log]

    def lookup(self, path: str) -> tuple[bytes, str] | None:
        p = path if path in self.files else path.split("?", 1)[0]
        if p not in self.files and (p.endswith("/") or p == ""):
            p = p + "index.html"
        if p not in self.files:
            return None
        ext = os.path.splitext(p.split("?", 1)[0])[1].lower() or ".html"  # folders and ?page=N: HTML
        ct = self.types.get(p) or CT.get(ext) or mimetypes.guess_type(p)[0] or "application/octet-stream"
        return self.files[p], ct


def make_handler(portal: Portal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "nginx"
        sys_version = ""

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_POST(self) -> None:
            """POSTs (listing APIs, ASP.NET postbacks) are answered by the portal's hook only;
            the body is kept in `portal.posts` for tests."""
            n = int(self.headers.get("Content-Length") or 0)
            self.post_body = self.rfile.read(n) if n else b""
            with portal.lock:
                portal.log.append(("POST", self.path))
                portal.posts.append((self.path, self.post_body))
            if portal.hook is not None and portal.hook(self, self.path):
                return
            self.send_plain(405, b"<html><body><h1>405 Method Not Allowed</h1></body></html>")

        def do_GET(self, head: bool = False) -> None:
            with portal.lock:
                portal.log.append((self.command, self.path))
            if portal.hook is not None and portal.hook(self, self.path):
                return
            hit = portal.lookup(self.path)
            if hit is None:
                self.send_plain(404, b"<html><body><h1>404 Not Found</h1></body></html>")
                return
            body, ct = hit
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            lm = email.utils.formatdate(portal.mtime, usegmt=True)
            if portal.conditional and (self.headers.get("If-None-Match") == etag or (
                    not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == lm)):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ct)
            self.send_header("Content-Length", str(len(body)))
            if portal.conditional:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", lm)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def send_plain(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                       ct: str = "text/html; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ct)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    return Handler


class PortalServer:
    """Run a Portal on 127.0.0.1:port (0 = a free port) in a background thread."""

    def __init__(self, portal: Portal, port: int = 0, host: str = "127.0.0.1"):
        self.portal = portal
        self.httpd = ThreadingHTTPServer((host, port), make_handler(portal))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "PortalServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> "PortalServer":
        if not self.thread.is_alive():
            self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_sample(port: int = 0) -> PortalServer:
    return PortalServer(Portal.from_dir(SITE_DIR), port=port).start()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Serve the bundled sample portal on 127.0.0.1")
    ap.add_argument("--port", type=int, default=8800)
    a = ap.parse_args()
    s = serve_sample(a.port)
    print(f"sample portal at {s.url} (Ctrl-C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        s.stop()
