"""End-to-end crawls of imitation portals (tests/portals/) into a real SQLite archive.

Each crawl runs as `python -m nianbao crawl …` in a subprocess (a Twisted reactor cannot be
restarted in one process); the portals run in this process on 127.0.0.1 and log every request.
"""
from __future__ import annotations

import json
import re
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portals import sites
from crawler.sample_portal.server import Portal, PortalServer
from conftest import q

REPO = Path(__file__).resolve().parents[1]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=2",
        "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.2", "-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "LOG_LEVEL=WARNING"]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def crawl(tmp: Path, *args: str, js: bool = False, timeout: int = 120) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nianbao", "crawl", "--db", str(tmp / "archive.db"), *FAST, *args]
    if not js:
        cmd.append("--no-js")
    r = subprocess.run(cmd, cwd=tmp, env=env(), capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]
    return r



def live_reports(db: Path) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in q(db, "SELECT url, title, version, year FROM reports "
                                       "WHERE is_current = 1 AND removed_at IS NULL")}


@pytest.fixture()
def trs():
    other = PortalServer(Portal({"/zfxxgknb/t1.html": sites.XIGANG, "/robots.txt": b""})).start()
    site = sites.trs_site(other.url)
    server = sites.serve(site)
    yield site, server, other
    server.stop()
    other.stop()


def test_trs_portal_end_to_end_incremental(tmp_path: Path, trs) -> None:
    site, server, other = trs
    base = server.url.rstrip("/")
    db = tmp_path / "archive.db"
    r = crawl(tmp_path, server.url, "-O", str(tmp_path / "reports.jsonl"))

    # exactly the reports, nothing that is not one
    assert set(live_reports(db)) == {base + p for p in site.reports}, r.stderr[-2000:]
    assert all(v[1] == 1 for v in live_reports(db).values())
    # the feed export has the same reports
    fed = [json.loads(l) for l in (tmp_path / "reports.jsonl").read_text().splitlines()]
    assert {f["url"] for f in fed} == {base + p for p in site.reports}
    assert all(f["archive_status"] == "new" and f["table3"] is not None or f["template"] == "legacy" for f in fed)

    log = site.portal.requested()
    assert not other.portal.requested(), "the second host was contacted"
    assert "links to other hosts ignored 0 " not in r.stderr  # 169.254.169.254, file://, the second host
    assert not (set(log) & site.never), set(log) & site.never
    assert log.count("/robots.txt") == 1
    n = site.notes
    assert log.count(n["503"]) == 2  # 503 with Retry-After, then OK
    assert log.count(n["500"]) == 3  # first try + RETRY_TIMES=2, then recorded
    assert log.count("/zwgk/zfxxgk/zfxxgknb/index_2.html") == 1  # createPageHTML page 3
    assert "/bmnb/list?page=2" in log  # 下一页
    # every request is accounted for: start, nav, listings, reports, attachments, faults
    allowed = ({"/robots.txt", "/", "/zwgk/zfxxgk/", "/zwgk/zfxxgk/zfxxgknb/", "/bmnb/list?page=1",
                "/bmnb/list?page=2", "/zwgk/zfxxgk/zfxxgknb/index_1.html", "/zwgk/zfxxgk/zfxxgknb/index_2.html",
                "/zwgk/zfxxgk/zfxxgknb/202001/t20200120_105.html", "/zwgk/zfxxgk/zfxxgknb/201901/t20190125_106.html",
                "/zwgk/zfxxgk/zfxxgknb/201901/P020190125_6.pdf", n["loop"] + "?x"}
               | set(site.reports) | {v for k, v in n.items() if k != "pdf_ok"})
    assert set(log) <= allowed, set(log) - allowed
    assert set(site.reports) <= set(log)

    errors = {u: why for u, why in q(db, "SELECT url, reason FROM errors")}
    for key in ("500", "slow", "trunc", "loop", "gone"):
        assert base + n[key] in errors, (key, errors)
    assert "500" in errors[base + n["500"]]
    assert "404" in errors[base + n["gone"]]
    # the raw archive: every report page and attachment, compressed, with its sha256
    raw = q(db, "SELECT url, sha256, compression FROM pages WHERE status = 200")
    assert {base + p for p in site.reports} <= {u for u, _, _ in raw}
    assert all(s and c for _, s, c in raw)
    crawls = q(db, "SELECT status, reports_new FROM crawls")
    assert crawls == [("finished", len(site.reports))]

    # --- second run: conditional requests, nothing new ---------------------------------------
    site.portal.log.clear()
    r2 = crawl(tmp_path, server.url, "-O", str(tmp_path / "again.jsonl"))
    assert q(db, "SELECT count(*) FROM reports") == [(len(site.reports),)], r2.stderr[-2000:]
    # the feed of a re-crawl lists every report it saw (the stored version of each unchanged one), not nothing
    again = [json.loads(l) for l in (tmp_path / "again.jsonl").read_text().splitlines()]
    assert {f["url"] for f in again} == {base + p for p in site.reports}
    assert {f["archive_status"] for f in again} == {"unchanged"}
    assert {f["url"]: f["title"] for f in again} == {f["url"]: f["title"] for f in fed}
    assert "new 0, changed 0" in r2.stderr
    # reports reached through a 301 or a meta refresh answered 304 too: still there, not removed
    assert q(db, "SELECT count(*) FROM reports WHERE removed_at IS NOT NULL") == [(0,)], r2.stderr[-2000:]
    assert "304 not modified" in r2.stderr and "304 not modified 0" not in r2.stderr

    # --- third run: one report changed, one gone from its listing, one answering 404 ---------
    col = "/zwgk/zfxxgk/zfxxgknb/"
    changed = col + "202301/t20230120_101.html"
    site.portal.set(changed, sites.XIGANG.replace("认真贯彻落实".encode(), "深入贯彻落实".encode(), 1))
    unlisted = "/bmnb/jyj/2022.html"
    site.portal.set("/bmnb/list?page=2", sites.shell("部门年报", '<a href="/bmnb/list?page=1">上一页</a>'))
    deleted = col + "201803/t20180320_104.html"
    site.portal.remove(deleted)
    r3 = crawl(tmp_path, server.url)
    versions = {u: v for u, v in q(db, "SELECT url, max(version) FROM reports GROUP BY url")}
    assert versions[base + changed] == 2, r3.stderr[-2000:]
    assert sum(versions.values()) == len(site.reports) + 1
    live = live_reports(db)
    assert base + unlisted not in live and base + deleted not in live
    removed = {u for (u,) in q(db, "SELECT url FROM reports WHERE removed_at IS NOT NULL")}
    assert {base + unlisted, base + deleted} <= removed
    # the archived copies are kept
    assert q(db, "SELECT count(*) FROM pages WHERE url = ? AND status = 200", base + deleted)[0][0] >= 1


def test_gbk_portal_without_charset_headers(tmp_path: Path) -> None:
    site = sites.gbk_site()
    with sites.serve(site) as server:
        crawl(tmp_path, server.url)
        log = site.portal.requested()
    reports = live_reports(tmp_path / "archive.db")
    base = server.url.rstrip("/")
    assert set(reports) == {base + p for p in site.reports}
    titles = sorted(v[0] for v in reports.values())
    assert any("青山镇" in t for t in titles) and any("新前街道" in t for t in titles), titles
    assert not (set(log) & site.never)


@pytest.mark.skipif(not os.path.exists("/usr/lib/chromium/chromium"), reason="needs Debian chromium")
def test_js_listing_rendered_with_chromium(tmp_path: Path) -> None:
    site = sites.js_site()
    with sites.serve(site) as server:
        r = crawl(tmp_path, server.url + "zfxxgknb/", js=True, timeout=180)
        log = site.portal.requested()
    base = server.url.rstrip("/")
    assert set(live_reports(tmp_path / "archive.db")) == {base + p for p in site.reports}, r.stderr[-2000:]
    assert "/api/list.json" in log  # fetched by the browser while rendering
    assert not (set(log) & site.never)
    assert "rendered with Chromium: 1" in r.stderr


def test_demo_and_scrapy_crawl_command(tmp_path: Path) -> None:
    """The bundled sample portal through `scrapy crawl reports` with a feed export."""
    from crawler.sample_portal.server import serve_sample

    expected = json.loads((REPO / "crawler/sample_portal/site/_expected_reports.json").read_text())
    server = serve_sample(0)
    try:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "reports", "-a", f"start_urls={server.url}",
               "-s", f"ARCHIVE_DB={tmp_path / 'a.db'}", "-s", "NIANBAO_JS=off", "-s", "DOWNLOAD_HANDLERS={}",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-O", str(tmp_path / "r.jsonl")]
        r = subprocess.run(cmd, cwd=REPO, env=env(), capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-3000:]
    finally:
        server.stop()
    base = server.url.rstrip("/")
    fed = [json.loads(l) for l in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert {f["url"] for f in fed} == {base + p for p in expected}
    assert set(live_reports(tmp_path / "a.db")) == {base + p for p in expected}


def _big_portal(n: int) -> tuple[Portal, set[str]]:
    p = Portal()
    reports = set()
    per_page = 10
    pages = n // per_page
    for i in range(n):
        u = f"/ndbg/t{i:04d}.html"
        body = sites.XIGANG.replace("认真贯彻落实".encode(), f"认真贯彻落实({i})".encode(), 1)
        p.set(u, body)
        reports.add(u)
    for k in range(pages):
        items = [(f"第{i}单位{2000 + i % 20}年政府信息公开工作年度报告", f"/ndbg/t{i:04d}.html")
                 for i in range(k * per_page, (k + 1) * per_page)]
        p.set("/ndbg/" + ("index.html" if k == 0 else f"index_{k}.html"),
              sites.shell("年度报告", sites.li(items) + f'<script>createPageHTML({pages}, {k}, "index", "html");</script>'))
    p.set("/robots.txt", b"User-agent: *\n", "text/plain")

    def slow(h, path: str) -> bool:
        if path.startswith("/ndbg/t"):
            time.sleep(0.05)
        return False

    p.hook = slow
    return p, reports


def test_kill_9_and_resume(tmp_path: Path) -> None:
    portal, reports = _big_portal(120)
    db = tmp_path / "archive.db"
    with PortalServer(portal) as server:
        url = server.url + "ndbg/"
        cmd = [sys.executable, "-m", "nianbao", "crawl", url, "--db", str(db), "--no-js", *FAST,
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        done_before = 0
        while time.time() < deadline:
            time.sleep(0.3)
            if db.exists():
                try:
                    done_before = q(db, "SELECT count(*) FROM reports")[0][0]
                except sqlite3.OperationalError:
                    continue
                if done_before >= 30:
                    break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert 30 <= done_before < len(reports), "the crawl was not killed mid-way"
        archived_before = {u for (u,) in q(db, "SELECT url FROM pages WHERE status = 200")}
        portal.log.clear()
        r = crawl(tmp_path, url)
        second_log = portal.requested()
    base = server.url.rstrip("/")
    assert set(live_reports(db)) == {base + p for p in reports}, r.stderr[-2000:]
    # no duplicates: one version per report, and the crawl recorded once, finished
    assert q(db, "SELECT count(*), count(DISTINCT url), max(version) FROM reports") == [(len(reports), len(reports), 1)]
    assert q(db, "SELECT count(*), min(status) FROM crawls") == [(1, "finished")]
    # pages finished before the kill were not fetched again
    refetched = {base + p for p in second_log} & {u for u in archived_before if "/ndbg/t" in u}
    # a page is journaled in the same step that archives it, so at most the one being written
    # at the kill can be fetched again
    print("refetched after resume:", len(refetched), "archived before the kill:", len(archived_before))
    assert len(refetched) <= 1, sorted(refetched)
    assert "resumed" in r.stderr
    # pages that were in flight at the kill (downloaded, not yet archived) are fetched again,
    # whole; nothing is fetched twice within the resumed run
    assert len(second_log) == len(set(second_log)), sorted(second_log)


REAL = Path(__file__).resolve().parent / "portals" / "real"
PINGTAN_2011 = Path(__file__).resolve().parent / "fixtures" / "real" / "pingtan_2011.html"


@pytest.mark.skipif(not PINGTAN_2011.exists(), reason="real report page fixture missing")
def test_real_pingtan_listing(tmp_path: Path) -> None:
    """The real 平潭 政府信息公开年报 column (TRS WCM, "动静结合"): its 10 static report links are
    followed; its many absolute links to www.pingtan.gov.cn and elsewhere are never fetched, and
    the avalon template list (ms-attr-href, no href) adds nothing. Its two same-host scripts are
    read for SiteInfo.searchId, the channel of its /fjdzapp/search API (not served here, so no
    search is posted; tests/test_listings.py crawls the API pages)."""
    listing = (REAL / "pingtan_zfxxgknb_list.html").read_bytes()
    page = PINGTAN_2011.read_bytes()
    hrefs = re.findall(rb'href="\./(\d{6}/t\d+_\d+\.htm)"', listing)
    assert len(hrefs) == 10
    col = "/zwgk/zfxxgk/zfxxgknb/"
    portal = Portal({col: listing, "/robots.txt": b"User-agent: *\nDisallow: /uc/\n"})
    for h in hrefs:
        portal.set(col + h.decode(), page)
    with PortalServer(portal) as server:
        crawl(tmp_path, server.url.rstrip("/") + col)
        log = portal.requested()
    base = server.url.rstrip("/")
    assert set(live_reports(tmp_path / "archive.db")) == {base + col + h.decode() for h in hrefs}
    scripts = ["/images/model.min.js", "/images/22mb_info_public_js.js"]
    assert sorted(log) == sorted(["/robots.txt", col] + scripts + [col + h.decode() for h in hrefs])


def test_a_trs_column_declaring_more_pages_than_the_cap_is_an_incomplete_listing(tmp_path: Path) -> None:
    """createPageHTML(8, …) with NIANBAO_MAX_TRS_PAGES=3: the first 3 pages are crawled, the cap is
    recorded as an error of the column, and reports archived from pages 4–8 by an earlier crawl
    are not concluded removed (the listing was not read whole)."""
    portal, reports = _big_portal(80)  # 10 reports per listing page: 8 pages
    portal.hook = None
    with PortalServer(portal) as server:
        url = server.url + "ndbg/"
        crawl(tmp_path, url)
        db = tmp_path / "archive.db"
        assert len(live_reports(db)) == 80
        portal.log.clear()
        r = crawl(tmp_path, url, "-s", "NIANBAO_MAX_TRS_PAGES=3")
        requested = set(portal.requested())
    listings = {p for p in requested if p.startswith("/ndbg/index") or p == "/ndbg/"}
    assert listings == {"/ndbg/", "/ndbg/index_1.html", "/ndbg/index_2.html"}, listings
    assert "/ndbg/t0030.html" not in requested and "/ndbg/t0029.html" in requested
    errors = [why for (why,) in q(db, "SELECT reason FROM errors WHERE crawl_id = 2 AND url = ?", url)]
    assert errors == ["listing page cap reached: the column declares 8 pages (createPageHTML), "
                      "the first 3 fetched (NIANBAO_MAX_TRS_PAGES)"], errors
    assert len(live_reports(db)) == 80  # nothing removed: pages 4–8 were not read
    assert q(db, "SELECT count(*) FROM reports WHERE removed_at IS NOT NULL") == [(0,)]
    assert "removal check skipped" in r.stderr or "removed 0" in r.stderr
