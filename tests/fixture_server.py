"""A throw-away HTTP server on 127.0.0.1 (random port, own thread) serving fixed bytes.

    with serve({"/a.html": (data, "text/html")}) as base:
        parsers.parse_source(base + "/a.html")

Paths not in the mapping answer 404. Only loopback is ever contacted.
"""
from __future__ import annotations

import contextlib
import http.server
import threading


@contextlib.contextmanager
def serve(pages: dict[str, tuple[bytes, str | None]]):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            page = pages.get(self.path.split("?", 1)[0])
            if page is None:
                body = b"<html><body><h1>404 Not Found</h1></body></html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            data, ctype = page
            self.send_response(200)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # keep pytest output quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
