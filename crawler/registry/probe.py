"""`nianbao portals --probe`: does each start URL of the registry answer?

One GET per start URL (redirects followed), a few at a time; the answer is the status, where a
redirect led, or why nothing answered. For users online: the registry's URLs were seen in public
copies of the sites, and portals move their columns.
"""
from __future__ import annotations

import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Iterator

from crawler import settings as defaults
from crawler.registry import Portal


@dataclass(frozen=True)
class Answer:
    ok: bool
    text: str  # "200", "200 → https://…/", "404", "unreachable: …"


def probe(url: str, timeout: float = 15.0) -> Answer:
    # the crawler's User-Agent, sent as the UTF-8 bytes Scrapy sends (http.client wants latin-1 text)
    agent = defaults.USER_AGENT.encode("utf-8").decode("latin-1")
    req = urllib.request.Request(url, headers={"User-Agent": agent, "Accept": "text/html,*/*"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read(65536)
            final = resp.geturl()
            return Answer(True, f"{resp.status}" + (f" → {final}" if final != url else ""))
    except urllib.error.HTTPError as exc:
        return Answer(False, f"{exc.code}")
    except urllib.error.URLError as exc:
        reason = exc.reason
        return Answer(False, f"unreachable: {reason.strerror if isinstance(reason, OSError) and reason.strerror else reason}")
    except (socket.timeout, TimeoutError):
        return Answer(False, f"unreachable: no answer in {timeout:g}s")
    except (OSError, ValueError) as exc:
        return Answer(False, f"unreachable: {exc}")


def probe_all(portals: Iterable[Portal], timeout: float = 15.0, workers: int = 8) -> Iterator[tuple[Portal, str, Answer]]:
    """(portal, start URL, answer) in registry order."""
    jobs = [(p, u) for p in portals for u in p.start_urls]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = pool.map(lambda job: probe(job[1], timeout), jobs)
        for (p, u), a in zip(jobs, answers):
            yield p, u, a
