"""One fetch per page: a portal that names its pages in every way real portals do is crawled with
each page requested once — by one process, and by two workers sharing a Redis frontier.

The aliases are the ones that made a crawl fetch a home page and two non-report pages twice: the
home page as `/`, `/index.html`, `/?` and `/#top`; a section reached through a redirect
(`/zwgk` → `/zwgk/`) and linked again under its final address; a second redirect to a page
already fetched; a listing's pages with their query arguments in another order; report links with
fragments. The server log is the judge.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import q
from crawler.dupefilter import page_fingerprint
from crawler.urls import page_url
from crawler.sample_portal.server import Portal, PortalServer
from portals import sites
from test_distributed import redis_url  # noqa: F401  (the module's redis-server fixture)

REPO = Path(__file__).resolve().parents[1]
FAST = ["--no-js", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"]
COL = "/zwgk/zfxxgknb/"
REPORTS = {COL + "202301/t20230120_1.html", COL + "202201/t20220125_2.html", COL + "202101/t20210128_3.html"}


def alias_portal() -> Portal:
    p = Portal()
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    p.set("/", sites.shell("示例县人民政府", sites.li([
        ("首页", "/index.html"), ("首页", "/#top"), ("首页", "/?"),
        ("政务公开", "/zwgk"),  # answers 301 → /zwgk/
        ("示例县2022年政府信息公开工作年度报告", COL + "202301/t20230120_1.html#content"),
    ])))
    p.set("/zwgk/", sites.shell("政务公开", sites.li([
        ("政务公开", "/zwgk/index.html"),
        ("政府信息公开年报", COL),
        ("政府信息公开年报", COL + "index.html#list"),
    ])))
    p.set(COL, sites.shell("政府信息公开年报", sites.li([
        ("示例县2022年政府信息公开工作年度报告", COL + "202301/t20230120_1.html"),
        ("示例县2021年政府信息公开工作年度报告", COL + "202201/t20220125_2.html"),
    ]) + f'<a href="{COL}list?page=2&size=10">下一页</a>'))
    p.set(COL + "list?page=2&size=10", sites.shell("政府信息公开年报", sites.li([
        ("示例县2020年政府信息公开工作年度报告", COL + "202101/t20210128_3.html"),
        ("示例县2022年政府信息公开工作年度报告", COL + "202301/t20230120_1.html#top"),
    ]) + f'<a href="{COL}list?size=10&page=2">2</a> <a href="{COL}index.html">上一页</a>'))
    p.set(COL + "202301/t20230120_1.html", sites.retitle(sites.XIGANG, "2021", "2022"))
    p.set(COL + "202201/t20220125_2.html", sites.FUXIN)
    p.set(COL + "202101/t20210128_3.html", sites.WANGHUA)

    def hook(h, path: str) -> bool:
        # /zwgk → /zwgk/ (new), and the shell's 政府信息公开 link /zwgk/zfxxgk/ → /zwgk/ (fetched before)
        if path in ("/zwgk", "/zwgk/zfxxgk/"):
            h.send_plain(301, b"", {"Location": "/zwgk/"})
            return True
        return False

    p.hook = hook
    return p


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def crawl(db: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nianbao", "crawl", url, "--db", str(db), *FAST, *args]
    r = subprocess.run(cmd, cwd=db.parent, env=env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def fetched_twice(portal: Portal) -> dict[str, int]:
    counts = Counter(path for path in portal.requested() if path != "/robots.txt")
    return {path: n for path, n in counts.items() if n > 1}


def test_every_alias_of_a_page_has_one_fingerprint() -> None:
    from scrapy import Request

    same = ["http://Example.gov.cn/zwgk/", "http://example.gov.cn:80/zwgk/index.html", "https://example.gov.cn/zwgk/#x",
            "https://example.gov.cn:443/zwgk/index.htm", "http://example.gov.cn./zwgk/?"]
    assert {page_url(u) for u in same} == {"http://example.gov.cn/zwgk/"}
    assert len({page_fingerprint(Request(u)) for u in same}) == 1
    assert page_fingerprint(Request("http://h/l?page=2&size=10")) == page_fingerprint(Request("http://h/l?size=10&page=2"))
    # different pages, and a rendered second look at a page, are not the same request
    assert page_fingerprint(Request("http://h/a/")) != page_fingerprint(Request("http://h/a"))
    assert page_fingerprint(Request("http://h:8080/a")) != page_fingerprint(Request("http://h/a"))
    assert page_fingerprint(Request("http://h/a", meta={"render": True})) != page_fingerprint(Request("http://h/a"))


def test_one_process_crawl_fetches_every_page_once(tmp_path: Path) -> None:
    server = PortalServer(alias_portal()).start()
    try:
        crawl(tmp_path / "archive.db", server.url)
        log = server.portal.requested()
    finally:
        server.stop()
    assert fetched_twice(server.portal) == {}
    assert set(log) >= REPORTS | {"/", "/zwgk", "/zwgk/", COL, COL + "list?page=2&size=10"}
    # the redirect to a page already fetched was asked once and not followed into a second fetch
    assert log.count("/zwgk/zfxxgk/") == 1 and log.count("/zwgk/") == 1
    archived = {r[0].split("/", 3)[3] for r in q(tmp_path / "archive.db", "SELECT url FROM reports")}
    assert {"/" + u for u in archived} == REPORTS


def test_two_redis_workers_fetch_every_page_once(tmp_path: Path, redis_url: str) -> None:
    server = PortalServer(alias_portal()).start()
    try:
        r = crawl(tmp_path / "archive.db", server.url, "--redis", redis_url, "--workers", "2")
        log = server.portal.requested()
    finally:
        server.stop()
    assert fetched_twice(server.portal) == {}, r.stderr[-2000:]
    assert set(log) >= REPORTS | {"/", "/zwgk", "/zwgk/", COL, COL + "list?page=2&size=10"}
    archived = {r[0].split("/", 3)[3] for r in q(tmp_path / "archive.db", "SELECT url FROM reports")}
    assert {"/" + u for u in archived} == REPORTS
