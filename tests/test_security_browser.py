"""The rendering browser reaches nothing but the start hosts, whatever a page's scripts do.

A hostile portal (tests/portals/hostile.py) on 127.0.0.1 tries every channel a rendered page has
towards "internal" services — canaries on 127.0.0.2 and 127.0.0.3, loopback addresses the crawl's
policy does not allow, standing in for 169.254.169.254, the LAN or the crawler's own Redis. Each
canary logs every connection and datagram it receives.

With the crawl's settings the canaries receive nothing, nothing of theirs is archived, and each
refusal is recorded. The control run uses scrapy-playwright's stock handler (no proxy, no context
options: the crawler as it was before) on the same portal, and every canary fires: the portal
really does reach them, so the first run's silence is the policy's doing.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import q
from portals import faulty, hostile

CHROMIUM = "/usr/lib/chromium/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium")
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=0",
        "-s", "DOWNLOAD_TIMEOUT=20", "-s", "LOG_LEVEL=WARNING"]
STOCK = ('{"http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler", '
         '"https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"}')


def crawl_hostile(tmp: Path, *extra: str) -> tuple[hostile.HostileSite, str, dict]:
    with hostile.Canary("127.0.0.2") as a, hostile.Canary("127.0.0.3") as b:
        site = hostile.hostile_site(a, b)
        with hostile.serve(site) as server:
            toml = site.portals_toml(server.url, tmp / "portals.toml")
            cmd = faulty.launcher_cmd("crawl", "--portals", str(toml), "--db", str(tmp / "archive.db"), *FAST, *extra)
            r = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=240,
                               env={**os.environ, "NIANBAO_TEST_CONNECT_LOG": str(tmp / "connects.log")})
            assert "Traceback" not in r.stderr, r.stderr[-3000:]
            assert r.returncode == 0, r.stderr[-3000:]
            time.sleep(0.5)  # a late datagram or connection still gets logged
            return site, server.url.rstrip("/"), site.canary_hits()


def test_every_channel_of_a_hostile_page_is_refused_and_nothing_of_it_archived(tmp_path: Path) -> None:
    site, base, hits = crawl_hostile(tmp_path)
    db = tmp_path / "archive.db"

    # the canaries' own logs: not one connection, not one datagram
    assert hits == {"127.0.0.2": [], "127.0.0.3": []}, hits
    # the crawl process itself (Scrapy, the proxy) attempted nothing outside loopback either
    assert not (tmp_path / "connects.log").exists() or (tmp_path / "connects.log").read_text() == ""

    # nothing from a canary in the archive: no page under its address, no byte of its answer
    urls = [u for (u,) in q(db, "SELECT url FROM pages")]
    assert urls and all(u.startswith(base) for u in urls), urls
    assert q(db, "SELECT count(*) FROM pages WHERE CAST(body AS TEXT) LIKE '%CANARY%' "
                 "OR CAST(body AS TEXT) LIKE '%INTERNAL-SECRET%'") == [(0,)]
    assert not any(u.startswith("chrome-error:") for u in urls)

    errors: dict[str, str] = {}
    for u, why in q(db, "SELECT url, reason FROM errors"):
        errors.setdefault(u, why)
    a, b = site.canary_a.base, site.canary_b.base
    # pages whose navigation the browser was led away on: refused with the reason, not archived
    for page, target in (("/redirect.html", a + "/redirect"), ("/scriptnav.html", a + "/scriptnav"),
                         ("/meta.html", a + "/meta")):
        assert errors.get(base + page) == (f"rendering refused: the browser was led to {target}, "
                                           "outside the crawl's hosts"), (page, errors.get(base + page))
        assert base + page not in urls
    # a navigation whose tunnel the proxy refused ends on Chromium's error page: refused, not archived
    assert errors.get(base + "/httpsnav.html") == ("rendering refused: the browser's navigation was refused or "
                                                   "failed (it ended on Chromium's error page)"), errors.get(base + "/httpsnav.html")
    assert base + "/httpsnav.html" not in urls
    # each connection the proxy refused is recorded with its reason
    for url in (a + "/redirect", a + "/scriptnav", a + "/meta", b + "/iframe", b + "/fetch", b + "/worker",
                b + "/prefetch", f"{a[7:]} (tunnel)", f"{b[7:]} (tunnel)"):
        host_port = url.split("//")[-1].split("/")[0].split(" ")[0]
        assert errors.get(url) == (f"not fetched (refused to the rendering browser: other host {host_port} "
                                   "(loopback address))"), (url, errors.get(url))
    # the service worker was never even registered: its script was not fetched
    assert "/sw.js" not in site.portal.requested()
    # pages whose scripts only reached out were archived as rendered, from the portal itself
    assert {base + p for p in ("/ws.html", "/worker.html", "/fetch.html", "/iframe.html", "/webrtc.html",
                               "/prefetch.html", "/sw.html")} <= set(urls)


def test_control_without_the_policy_every_canary_fires(tmp_path: Path) -> None:
    """scrapy-playwright's stock handler on the same portal: the channels are real."""
    site, base, hits = crawl_hostile(tmp_path, "-s", f"DOWNLOAD_HANDLERS={STOCK}")
    a = {line for _, line in hits["127.0.0.2"]}
    b = {line for _, line in hits["127.0.0.3"]}
    for path in ("/redirect", "/scriptnav", "/meta", "/ws", "/serviceworker"):
        assert f"GET {path} HTTP/1.1" in a, (path, hits)
    assert any(line.startswith("(binary") for line in a), hits  # the https navigation's TLS hello
    for path in ("/iframe", "/fetch", "/worker", "/prefetch"):
        assert f"GET {path} HTTP/1.1" in b, (path, hits)
    # WebRTC: STUN over UDP and a TURN allocation over TCP
    assert ("udp", "(datagram 20 bytes)") in hits["127.0.0.3"], hits
    assert any(proto == "tcp" and line.startswith("(binary") for proto, line in hits["127.0.0.3"]), hits


REDIS_SERVER = shutil.which("redis-server")


@pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary (Debian redis-server)")
def test_distributed_workers_render_behind_the_same_policy(tmp_path: Path) -> None:
    """`nianbao crawl --redis … --workers 1`: the worker renders with the same settings (the same
    guarded handler and proxy, in the worker's process); the canaries stay silent and the writer
    archives the worker's refusals."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    redis = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        site, base, hits = crawl_hostile(tmp_path, "--redis", f"redis://127.0.0.1:{port}/0", "--workers", "1")
    finally:
        redis.terminate()
        redis.wait(10)
    db = tmp_path / "archive.db"
    assert hits == {"127.0.0.2": [], "127.0.0.3": []}, hits
    urls = [u for (u,) in q(db, "SELECT url FROM pages")]
    assert urls and all(u.startswith(base) for u in urls), urls
    assert q(db, "SELECT count(*) FROM pages WHERE CAST(body AS TEXT) LIKE '%CANARY%'") == [(0,)]
    errors = dict(q(db, "SELECT url, reason FROM errors"))
    a = site.canary_a.base
    assert errors.get(base + "/redirect.html", "").startswith(f"rendering refused: the browser was led to {a}/redirect")
    assert errors.get(f"{a[7:]} (tunnel)", "").startswith("not fetched (refused to the rendering browser"), errors
