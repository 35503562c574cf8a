"""Security: only the crawled hosts are fetched; `nianbao parse` refuses non-http(s) schemes;
Datasette serves the archive read-only.

Crawls run through the launcher of tests/portals/faulty.py: a test DNS maps `portal.test` and
`rebind.test`, and every connect to an address outside 127.0.0.0/8 is refused before it is made
and logged, so 169.254.169.254 and 10/8 are provably never contacted, not even attempted.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.sample_portal.server import Portal, PortalServer
from portals import faulty, sites
from conftest import q

REPO = Path(__file__).resolve().parents[1]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=1",
        "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.1", "-s", "DOWNLOAD_TIMEOUT=3", "-s", "LOG_LEVEL=WARNING"]


def env(tmp: Path, hosts: str = "") -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    e["NIANBAO_TEST_CONNECT_LOG"] = str(tmp / "connects.log")
    e["NIANBAO_TEST_HOSTS"] = hosts
    return e


def crawl(tmp: Path, *args: str, hosts: str = "") -> subprocess.CompletedProcess:
    cmd = faulty.launcher_cmd("crawl", "--db", str(tmp / "archive.db"), "--no-js", *FAST, *args)
    r = subprocess.run(cmd, cwd=tmp, env=env(tmp, hosts), capture_output=True, text=True, timeout=120)
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    return r



def attempted(tmp: Path) -> str:
    f = tmp / "connects.log"
    return f.read_text() if f.exists() else ""


@pytest.fixture()
def servers():
    other = Portal({"/gknb/t1.html": sites.XIGANG, "/robots.txt": b""})
    with PortalServer(other) as other_server:
        site = faulty.security_site(other_server.url)
        with faulty.serve(site) as server:
            yield site, server, other


def test_only_the_start_hosts_are_fetched(tmp_path: Path, servers) -> None:
    site, server, other = servers
    base = server.url.rstrip("/")
    port = server.port
    # two start hosts by name: rebind.test resolves to the cloud metadata address (DNS rebinding),
    # the literal 127.0.0.1 is the portal itself
    r = crawl(tmp_path, server.url, f"http://rebind.test:{port}/",
              hosts="rebind.test=169.254.169.254")
    assert r.returncode in (0, 1), r.stderr[-3000:]
    db = tmp_path / "archive.db"

    # nothing but the portal was contacted, and nothing else was even attempted
    assert attempted(tmp_path) == "", attempted(tmp_path)
    assert not other.requested(), other.requested()
    assert {h for _, h, _ in site.hosts} == {f"127.0.0.1:{port}"}, site.hosts
    log = set(site.requested())
    assert log <= {"/robots.txt", "/", "/zwgk/zfxxgk/", "/gknb/", "/gknb/ok.html", "/gknb/refresh_private.html",
                   *site.errors}, log
    assert "/gknb/ok.html" in log
    assert {u for (u,) in q(db, "SELECT url FROM reports")} == {base + "/gknb/ok.html"}

    errors: dict[str, str] = {}
    for u, why in q(db, "SELECT url, reason FROM errors"):
        errors.setdefault(u, why)
    # the host name resolving to a link-local address: refused, with the reason
    rebind = errors.get(f"http://rebind.test:{port}/", "")
    assert "resolves to 169.254.169.254 (link-local address)" in rebind, errors
    # redirects and meta refreshes to refused addresses: recorded under the linked URL
    for path in site.errors:
        assert base + path in errors, (path, errors)
        assert "refused" in errors[base + path] or "scheme" in errors[base + path], errors[base + path]
    assert "169.254.169.254" in errors[base + "/gknb/to_metadata.html"]
    # links to private/link-local addresses and to file:// / ftp:// are recorded, never requested
    for url in ("http://169.254.169.254/latest/meta-data/iam/", "http://10.1.2.3/gknb/2018.html",
                "http://10.0.0.1/gknb/", "file:///etc/passwd", "ftp://127.0.0.1/pub/2016.pdf",
                "http://[::ffff:169.254.169.254]/latest/"):
        assert url in errors and "not fetched" in errors[url], (url, errors.get(url))
    assert not any(u.startswith("javascript:") for u in errors)  # dropped at link extraction
    assert not any(u.startswith(("http://169.254", "http://10.")) for (u,) in q(db, "SELECT url FROM pages"))


def test_start_host_name_resolving_to_loopback_needs_permission(tmp_path: Path, servers) -> None:
    site, server, _ = servers
    port = server.port
    start = f"http://portal.test:{port}/"
    # by default a name that resolves to a private/loopback address is refused
    crawl(tmp_path, start, hosts="portal.test=127.0.0.1")
    db = tmp_path / "archive.db"
    assert not site.requested(), site.requested()
    reasons = [r for (r,) in q(db, "SELECT reason FROM errors WHERE url = ?", start)]
    assert any("resolves to 127.0.0.1 (loopback address)" in r for r in reasons), reasons
    # NIANBAO_ALLOW_PRIVATE lets it through (here as a network list), and only it
    r = crawl(tmp_path, start, "--fresh", "-s", "NIANBAO_ALLOW_PRIVATE=127.0.0.0/8", hosts="portal.test=127.0.0.1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert {h for _, h, _ in site.hosts} == {f"portal.test:{port}"}, site.hosts
    assert {u for (u,) in q(db, "SELECT url FROM reports")} == {start + "gknb/ok.html"}
    assert attempted(tmp_path) == ""


def test_a_js_listing_start_host_resolving_to_a_private_address_never_reaches_the_browser(tmp_path: Path) -> None:
    """A `js_listing` portal's start URL goes straight to Chromium. Chromium resolves no name
    itself: it connects only through the crawl's proxy, which resolves with the crawl's DNS. Here
    that DNS says portal.test is 127.0.0.1, a loopback address reached by *name*: refused by
    default (HostGuardMiddleware before the request reaches the browser, and the proxy behind it),
    and reached through the browser once NIANBAO_ALLOW_PRIVATE allows it (the control)."""
    portal = Portal({"/": sites.shell("首页", "<p>JS listing</p>").encode(), "/robots.txt": b""})
    with PortalServer(portal) as server:
        start = f"http://portal.test:{server.port}/"
        (tmp_path / "portals.toml").write_text(f'[[portal]]\nname = "test"\nurl = "{start}"\njs_listing = true\n')

        def run(*extra: str) -> subprocess.CompletedProcess:
            cmd = faulty.launcher_cmd("crawl", "--portals", str(tmp_path / "portals.toml"), "--db",
                                      str(tmp_path / "archive.db"), *FAST, "-s", "DOWNLOAD_TIMEOUT=20",
                                      # the rendering request itself is checked, not only robots.txt
                                      "-s", "ROBOTSTXT_OBEY=False", *extra)
            r = subprocess.run(cmd, cwd=tmp_path, env=env(tmp_path, "portal.test=127.0.0.1"),
                               capture_output=True, text=True, timeout=180)
            assert "Traceback" not in r.stderr, r.stderr[-3000:]
            return r

        run()
        assert portal.requested() == [], portal.requested()
        assert attempted(tmp_path) == ""
        reasons = [why for (why,) in q(tmp_path / "archive.db", "SELECT reason FROM errors WHERE url = ?", start)]
        assert reasons == ["not fetched: portal.test resolves to 127.0.0.1 (loopback address); "
                           "NIANBAO_ALLOW_PRIVATE allows it"], reasons

        run("--fresh", "-s", "NIANBAO_ALLOW_PRIVATE=127.0.0.0/8")  # the control
        assert "/" in portal.requested(), "the browser did not reach the portal: the test proves nothing"


def test_address_policy_units() -> None:
    from crawler.policy import AddressPolicy, address_refusal

    assert address_refusal("169.254.169.254") == "link-local address"
    assert address_refusal("::ffff:169.254.169.254") == "link-local address"
    assert address_refusal("10.2.3.4") == "private address"
    assert address_refusal("127.0.0.1") == "loopback address"
    assert address_refusal("100.64.0.1") == "non-public address"
    assert address_refusal("0.0.0.0") is not None
    assert address_refusal("202.108.22.5") is None
    default = AddressPolicy.from_setting(False, ["http://127.0.0.1:8800/", "http://www.example.gov.cn/"])
    assert default.refusal("127.0.0.1") is None  # the start URL's own address
    assert default.refusal("127.0.0.2") == "loopback address"
    assert default.refusal("169.254.169.254") == "link-local address"
    assert AddressPolicy.from_setting("true").refusal("10.0.0.1") is None
    nets = AddressPolicy.from_setting("10.0.0.0/8, 192.168.1.5")
    assert nets.refusal("10.9.9.9") is None and nets.refusal("192.168.1.5") is None
    assert nets.refusal("192.168.1.6") == "private address" and nets.refusal("169.254.169.254")
    with pytest.raises(ValueError):
        AddressPolicy.from_setting("intranet")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/report.pdf", "javascript:alert(1)",
                                 "gopher://127.0.0.1:70/_x", "data:text/html,<p>x</p>"])
def test_parse_refuses_non_http_schemes(url: str) -> None:
    r = subprocess.run([sys.executable, "-m", "nianbao", "parse", url], cwd=REPO, capture_output=True,
                       text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert r.returncode == 1
    scheme = url.split(":", 1)[0]
    assert r.stderr.strip() == f"nianbao parse: {url}: refused URL scheme '{scheme}': only http and https", r.stderr
    assert "Traceback" not in r.stderr


def test_crawl_refuses_non_http_start_urls(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "file:///etc/passwd", "--db",
                        str(tmp_path / "a.db")], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
    assert r.returncode == 2 and "not an http(s) URL: file:///etc/passwd" in r.stderr
    assert not (tmp_path / "a.db").exists()


def test_datasette_is_read_only(tmp_path: Path) -> None:
    """The archive is served immutable: Datasette's SQL box takes only SELECT, there is no write
    endpoint, its own connection cannot write, and the file is byte-for-byte unchanged."""
    from archive.serve import make_datasette
    from archive.store import Archive

    db = tmp_path / "archive.db"
    a = Archive(str(db))
    cid = a.begin_crawl(start_urls=["http://127.0.0.1/"], settings={})
    pid = a.record_page(url="http://127.0.0.1/r.html", status=200, headers={}, body=sites.XIGANG,
                        fetched_at="2026-01-01T00:00:00Z", crawl_id=cid, content_type="text/html")
    from parsers import parse_bytes

    a.add_report(parse_bytes(sites.XIGANG, "http://127.0.0.1/r.html", "text/html").to_dict(),
                 page_id=pid, crawl_id=cid, portal="test")
    a.finish_crawl(cid, stats={}, status="finished")
    a.close()
    ds = make_datasette(str(db))
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    async def go() -> list[int]:
        c = ds.client
        out = [
            (await c.get("/archive.json", params={"sql": "DELETE FROM reports"})).status_code,
            (await c.get("/archive.json", params={"sql": "UPDATE reports SET title = 'x'"})).status_code,
            (await c.get("/archive.json", params={"sql": "ATTACH DATABASE '/tmp/x.db' AS x"})).status_code,
            (await c.post("/archive/reports/-/insert", json={"row": {"title": "x"}})).status_code,
            (await c.post("/archive/-/create", json={"table": "x", "row": {"a": 1}})).status_code,
            (await c.post("/archive", data={"sql": "DELETE FROM reports"})).status_code,
            (await c.post("/archive/reports/1/-/delete")).status_code,
        ]
        dbo = ds.get_database("archive")
        assert dbo.is_mutable is False
        with pytest.raises(Exception):
            await dbo.execute_write("DELETE FROM reports")
        conn = dbo.connect()
        with pytest.raises(Exception, match="readonly|read-only|read only"):
            conn.execute("DELETE FROM reports")
        conn.close()
        n = (await c.get("/archive/reports.json", params={"_shape": "array"})).json()
        assert len(n) == 1
        return out

    statuses = asyncio.run(go())
    assert all(s in (400, 403, 404, 405) for s in statuses), statuses
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_bad_allow_private_value_is_one_line_not_a_traceback(tmp_path):
    import subprocess
    import sys
    run = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "http://127.0.0.1:9/", "--db",
                          str(tmp_path / "a.db"), "-s", "NIANBAO_ALLOW_PRIVATE=intranet"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip() == "nianbao crawl: NIANBAO_ALLOW_PRIVATE: not an address or network: 'intranet'"
