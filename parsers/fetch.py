"""Fetch one URL for `nianbao parse URL` (the crawler has its own downloader)."""
from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from parsers.model import ParseError

MAX_BYTES = 60 * 1024 * 1024
USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao; archival research crawler)"


@dataclass
class Fetched:
    url: str
    body: bytes
    content_type: str | None


def fetch(url: str, timeout: float = 30.0) -> Fetched:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ParseError(f"refused URL scheme {scheme!r}: only http and https")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body = resp.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise ParseError(f"response larger than {MAX_BYTES // 1048576} MB")
            return Fetched(url=resp.geturl(), body=body, content_type=resp.headers.get("Content-Type"))
    except urllib.error.HTTPError as exc:
        raise ParseError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise ParseError(f"unreachable: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise ParseError(f"unreachable: {exc}") from None
