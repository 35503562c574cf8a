"""Fast checks of the crawler's discovery helpers (no network, no reactor)."""
from __future__ import annotations

import email.utils
import time

import pytest

from crawler import classify
from crawler.html import decode_html, extract_links, parse_html
from crawler.middlewares import _retry_after_seconds
from crawler.urls import AllowedHosts, host_label, is_private_host


@pytest.mark.parametrize("title, ok", [
    ("大连市西岗区2021年政府信息公开工作年度报告", True),
    ("新前街道2020年度政府信息公开年度报告", True),
    ("二〇一九年政府信息公开工作年度报告", True),
    ("平潭综合实验区2022年政府信息公开工作年度...", True),  # cut short by the listing
    ("政府信息公开年报", False),  # a column
    ("关于做好2021年度政府信息公开工作年度报告编制发布工作的通知", False),
    ("2023年示例市政府工作报告", False),
    ("2023年部门预算公开说明", False),
    ("2022年政府信息公开工作年度报告解读", False),
    ("我区召开2023年政务公开工作会议", False),
])
def test_report_titles(title: str, ok: bool) -> None:
    assert classify.is_report_title(title) is ok


def test_columns_pagination_attachments() -> None:
    assert classify.is_column_link("政府信息公开年报", "http://x/a/")
    assert classify.is_column_link("部门年报", "http://x/bmnb/")
    assert classify.is_column_link("", "http://x/zwgk/zfxxgk/zfxxgknb/")
    assert classify.is_column_link("年度报告", "http://x/ndbg/")
    assert not classify.is_column_link("通知公告", "http://x/tzgg/")
    assert classify.is_pager_link("下一页", "http://x/a/index_1.html", "http://x/a/index.html")
    assert classify.is_pager_link("2", "http://x/list?page=2", "http://x/list?page=1")
    assert not classify.is_pager_link("首页", "http://x/", "http://x/a/index.html")
    assert classify.is_attachment_url("http://x/a/P0201.PDF")
    assert classify.is_attachment_url("http://x/down.jsp?id=3&filename=nb2020.docx")
    assert not classify.is_attachment_url("http://x/a/t1.html")


def test_trs_create_page_html() -> None:
    assert classify.trs_pages('createPageHTML(3, 0, "index", "html");') == ["index.html", "index_1.html", "index_2.html"]
    assert classify.trs_pages("createPageHTML('page_div',2, 1,'index','shtml',40);") == ["index.shtml", "index_1.shtml"]
    assert len(classify.trs_pages('createPageHTML(99999, 0, "index", "html")')) == 500  # trap guard


def test_decode_gbk_with_and_without_declarations() -> None:
    text = "<html><body><a href='/a.html' title='青山镇2020年政府信息公开工作年度报告'>青山镇…</a></body></html>"
    gbk = text.encode("gbk")
    assert decode_html(gbk, "text/html")[0] == text  # no declaration anywhere
    assert decode_html(gbk, "text/html; charset=utf-8")[0] == text  # a header that lies
    declared = b'<meta charset="gb2312">' + gbk
    assert decode_html(declared, None)[1] == "gb18030"
    links = extract_links(parse_html(decode_html(gbk, None)[0]), "http://h:81/x/")
    assert links == [("http://h:81/a.html", "青山镇2020年政府信息公开工作年度报告")]


def test_hosts_and_private_addresses() -> None:
    allowed = AllowedHosts(["http://127.0.0.1:8800/", "https://www.example.gov.cn/zfxxgknb/"])
    assert allowed.allows("http://127.0.0.1:8800/a")
    assert not allowed.allows("http://127.0.0.1:8801/a")  # same host, other port
    assert allowed.allows("http://www.example.gov.cn/b")  # http ↔ https on default ports
    assert not allowed.allows("http://169.254.169.254/latest/meta-data/")
    assert not allowed.allows("file:///etc/passwd")
    assert not allowed.allows("ftp://www.example.gov.cn/x")
    assert is_private_host("169.254.169.254") and is_private_host("10.0.0.1") and is_private_host("localhost")
    assert not is_private_host("www.example.gov.cn")
    assert host_label("https://www.example.gov.cn/x") == "www.example.gov.cn"
    assert host_label("http://127.0.0.1:8800/x") == "127.0.0.1:8800"


def test_retry_after() -> None:
    assert _retry_after_seconds(b"3") == 3.0
    later = email.utils.formatdate(time.time() + 30, usegmt=True).encode()
    assert 25 <= _retry_after_seconds(later) <= 31
    assert _retry_after_seconds(b"soon") is None


def test_meta_refresh_to_javascript_keeps_the_page():
    """Portals write <meta http-equiv=refresh content="0;url=javascript:void(0)">: the page stays."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import SafeMetaRefreshMiddleware

    mw = SafeMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 30}))
    request = Request("http://127.0.0.1:8000/t1.html")
    body = b'<html><head><meta http-equiv="refresh" content="0;url=javascript:void(0)"></head><body>x</body></html>'
    response = HtmlResponse(request.url, body=body, request=request)
    assert mw.process_response(request, response) is response
    moved = HtmlResponse(request.url, request=request,
                         body=b'<meta http-equiv="refresh" content="0;url=/t2.html">')
    assert mw.process_response(request, moved).url == "http://127.0.0.1:8000/t2.html"


def test_a_trs_columns_declared_pages_are_issued_once_not_again_from_each_page() -> None:
    """Every page of a TRS column writes `createPageHTML(N, current, …)`: the first page seen
    issues the N pages, the others issue none again (with 2,500 pages, each page used to build and
    fingerprint 2,500 requests). A column that later declares more pages issues the new count."""
    from crawler.policy import CrawlPolicy
    from crawler.spiders.reports import ReportsSpider

    column = "http://127.0.0.1:8800/zfxxgknb/"
    spider = ReportsSpider(start_urls=column)
    spider.policy = CrawlPolicy.for_crawl([column], False)
    spider.max_trs_pages, spider.max_listing_pages, spider.max_nav_depth = 500, 300, 3

    def page(current: int, count: int) -> str:
        return f'<script>createPageHTML({count}, {current}, "index", "html");</script>'

    def issued(specs: list) -> list[str]:
        return [url for url, kind, extra in specs if kind == "listing" and extra.get("trs")]

    first = issued(spider._classify("start", column, [], page(0, 4), {}))
    # (index.html is the column page itself: the duplicate filter folds it into column/)
    assert first == [column + "index.html", column + "index_1.html", column + "index_2.html", column + "index_3.html"]
    meta = {"pages": 1, "trs": True, "column": column}
    assert issued(spider._classify("listing", column + "index_2.html", [], page(2, 4), meta)) == []
    assert issued(spider._classify("listing", column + "index_3.html", [], page(3, 4), meta)) == []
    # a new report pushed the column to a fifth page: that count is issued once more
    grown = issued(spider._classify("listing", column + "index_1.html", [], page(1, 5), meta))
    assert column + "index_4.html" in grown
