"""Report columns of the CMS families whose pages plain links do not reach (crawler/listings/):
each replica (tests/portals/listings.py, built from the real markup and API formats) is crawled
from its start page into an archive, and the server's own log is the witness — every report
archived, nothing that is not a report archived or even requested, every page and API call
fetched once, and the family's listing API asked exactly as often as it has pages."""
from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from conftest import q
from crawler import listings
from crawler.html import parse_html
from crawler.listings import ApiCall, aspnet, epoint, gkmlpt, hanweb, jpaas, trs, xhr_json
from crawler.sample_portal.server import PortalServer
from portals import listings as replicas
from test_crawl import PINGTAN_2011, crawl

VOLATILE = {"__VIEWSTATE", "__EVENTVALIDATION"}  # differ per answer; the page is named by the rest


def post_key(path: str, body: bytes) -> tuple:
    return path, tuple(sorted((k, v) for k, v in parse_qsl(body.decode(), keep_blank_values=True)
                              if k not in VOLATILE))


def run(tmp_path: Path, build, *extra: str, js: bool = False) -> tuple[replicas.Replica, str, Path]:
    """Serve a replica (its builder needs the server's URL) and crawl it from its start page."""
    served = replicas.Portal()
    server = PortalServer(served)
    rep = build(server.url)
    rep = rep[0] if isinstance(rep, tuple) else rep
    served.files, served.types, served.hook = rep.portal.files, rep.portal.types, rep.portal.hook
    rep.portal = served
    with server:
        crawl(tmp_path, server.url.rstrip("/") + rep.start, *extra, js=js)
    return rep, server.url.rstrip("/"), tmp_path / "archive.db"


def check(rep: replicas.Replica, base: str, db: Path) -> None:
    gets = [p for m, p in rep.portal.log if m == "GET"]
    twice = {p: n for p, n in Counter(gets).items() if n > 1}
    assert not twice, f"fetched more than once: {twice}"
    posts = Counter(post_key(p, b) for p, b in rep.portal.posts)
    assert all(n == 1 for n in posts.values()), posts
    archived = {u for (u,) in q(db, "SELECT url FROM reports")}
    assert archived == {base + p for p in rep.reports}, (
        sorted(archived ^ {base + p for p in rep.reports}))
    touched = set(gets) | {p for p, _ in rep.portal.posts}
    assert not (touched & rep.never), sorted(touched & rep.never)
    assert q(db, "SELECT count(*) FROM errors") == [(0,)], q(db, "SELECT url, reason FROM errors")


def api_requests(rep: replicas.Replica, prefix: str) -> int:
    return sum(1 for m, p in rep.portal.log if p.startswith(prefix))


@pytest.mark.parametrize("spelling", ["cdata", "plain"])
def test_hanweb_jcms_column_from_the_home_page_through_every_dataproxy_group(tmp_path: Path, spelling: str) -> None:
    """大汉 JCMS: the column page holds 15 of 35 entries as CDATA records; the other 20 come from
    two POSTs to dataproxy.jsp carrying the nextgroup's parameters. The sidebar's news list
    (another columnid, 900 records) and the 信息公开 section's own list (600) are not paged.
    The same column spelt without CDATA, with JSON settings and no declared count, answers
    counting pages only: the same two POSTs."""
    rep, base, db = run(tmp_path, lambda b: replicas.hanweb(b, spelling))
    check(rep, base, db)
    assert len(rep.reports) == 30
    groups = sorted(p for p, _ in rep.portal.posts)
    assert groups == ["/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=5",
                      "/module/web/jpage/dataproxy.jsp?startrecord=31&endrecord=35&perpage=5"]


@pytest.mark.parametrize("start", ["/", "/gkmlpt/annualreport#2629"])
def test_gkmlpt_annual_report_catalogue_read_through_its_json_api(tmp_path: Path, start: str) -> None:
    """gkmlpt: the home page links to /gkmlpt/annualreport#2629 (or the crawl starts there); the
    shell page gives the SID, the API /gkmlpt/api/all/2629?page=N&sid=… 23 entries over 3 pages."""
    rep, base, db = run(tmp_path, lambda b: dataclasses.replace(replicas.gkmlpt(b), start=start))
    check(rep, base, db)
    assert len(rep.reports) == 19
    api = sorted(p for m, p in rep.portal.log if p.startswith("/gkmlpt/api/"))
    expected = [f"/gkmlpt/api/all/2629?page={n}&sid=755031" for n in (1, 2, 3)]
    if start == "/":  # the catalogue page (政府信息公开) names the column and its parent in its tree
        expected.insert(0, "/gkmlpt/api/all/2620?page=1&sid=755031")
    assert api == expected


@pytest.mark.skipif(not PINGTAN_2011.exists(), reason="real report page fixture missing")
def test_pingtan_trs_column_static_page_then_fjdzapp_search(tmp_path: Path) -> None:
    """平潭's real column: 10 static reports, then page 2 from POST /fjdzapp/search with the
    channelid its script (SiteInfo.searchId) names and the column's classsql."""
    rep, base, db = run(tmp_path, lambda b: replicas.fjdzapp(b, PINGTAN_2011.read_bytes()))
    check(rep, base, db)
    assert len(rep.reports) == 18
    searches = [dict(parse_qsl(b.decode())) for p, b in rep.portal.posts if p == "/fjdzapp/search"]
    assert searches == [{"channelid": "200210", "sortfield": "-docorderpri,-docreltime", "classsql": "chnlid=1813",
                         "page": "2", "prepage": "10"}]


def test_trs_pager_written_by_document_write_from_count_page(tmp_path: Path) -> None:
    rep, base, db = run(tmp_path, replicas.trs_countpage)
    check(rep, base, db)
    listing = sorted(p for m, p in rep.portal.log if p.startswith("/xxgk/gknb/index") or p == "/xxgk/gknb/")
    assert listing == ["/xxgk/gknb/", "/xxgk/gknb/index_1.html", "/xxgk/gknb/index_2.html", "/xxgk/gknb/index_3.html"]


def test_trs_count_page_read_by_a_site_script_with_onclick_entries(tmp_path: Path) -> None:
    """天津's TRS lists (markup as kept in a public collector's fixture, find_string id
    70374499014): `<script>var countPage = 4</script>` and nothing else of the pager on the page,
    each entry an `<a onclick="isDownLoad(this,'URL')">` without an href: all four pages and
    every report, each once."""
    rep, base, db = run(tmp_path, lambda b: replicas.trs_countpage(b, "external"))
    check(rep, base, db)
    listing = sorted(p for m, p in rep.portal.log if p.startswith("/xxgk/gknb/index") or p == "/xxgk/gknb/")
    assert listing == ["/xxgk/gknb/", "/xxgk/gknb/index_1.html", "/xxgk/gknb/index_2.html", "/xxgk/gknb/index_3.html"]


def test_trs_create_page_html_given_its_count_in_a_variable(tmp_path: Path) -> None:
    """`createPageHTML(countPage, currentPage, "index", "shtml")` with `var countPage = 4` and the
    pager function in a site script: every .shtml page once, the script never needed."""
    rep, base, db = run(tmp_path, lambda b: replicas.trs_countpage(b, "create"))
    check(rep, base, db)
    listing = sorted(p for m, p in rep.portal.log if p.startswith("/xxgk/gknb/index"))
    assert listing == ["/xxgk/gknb/index.shtml"] + [f"/xxgk/gknb/index_{n}.shtml" for n in (1, 2, 3)]


def test_epoint_webbuilder_column_paged_through_get_page_info_list(tmp_path: Path) -> None:
    rep, base, db = run(tmp_path, replicas.epoint)
    check(rep, base, db)
    assert len(rep.reports) == 13
    indexes = sorted(json.loads(dict(parse_qsl(b.decode()))["params"])["pageIndex"] for _, b in rep.portal.posts)
    assert indexes == [0, 1, 2]


def test_aspnet_webforms_pager_followed_by_postbacks(tmp_path: Path) -> None:
    """AspNetPager: pages 2–4 are POSTs of the form (with the current __VIEWSTATE, without the
    search button, with the session cookie the page set) with __EVENTTARGET/__EVENTARGUMENT; each
    page once, though every answer links to every page."""
    rep, base, db = run(tmp_path, replicas.aspnet)
    check(rep, base, db)
    assert len(rep.reports) == 16
    args = sorted(dict(parse_qsl(b.decode(), keep_blank_values=True))["__EVENTARGUMENT"] for _, b in rep.portal.posts)
    assert args == ["2", "3", "4"]


def test_aspnet_link_button_pager_followed_by_postbacks(tmp_path: Path) -> None:
    """The same column paged by LinkButtons (no argument, the number in the link's text) and a
    下一页 LinkButton: three postbacks, one per page, though 下一页 and the number both lead to
    the next page on every answer."""
    rep, base, db = run(tmp_path, lambda b: replicas.aspnet(b, "linkbutton"))
    check(rep, base, db)
    assert len(rep.reports) == 16
    forms = [dict(parse_qsl(b.decode(), keep_blank_values=True)) for _, b in rep.portal.posts]
    assert all(f["__EVENTARGUMENT"] == "" for f in forms) and len(forms) == 3


# --- the detectors and entry parsers on their own --------------------------------------------------

def test_hanweb_without_a_declared_count_learns_it_from_the_first_answer() -> None:
    """A column page without totalRecord: the next group is asked, and its answer's <totalrecord>
    gives the rest. (Its entries are reports: a list of something else is not paged.)"""
    page = ('<script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?'
            'page=1&appid=1&webid=7&path=/&columnid=55&unitid=99&webname=X&permissiontype=0"></a>]]></nextgroup>'
            "<recordset>" + "".join(f"<record><![CDATA[<li><a href='/art/{i}.html'>某某区{2020 - i}年政府信息公开工作年度报告"
                                    f"</a></li>]]></record>" for i in range(3)) + "</recordset></datastore></script>")
    found = listings.inspect("http://h.gov.cn/col/col55/index.html", page, parse_html(page))
    assert [lk[0] for lk in found.links] == [f"http://h.gov.cn/art/{i}.html" for i in range(3)]
    first = found.calls[0]
    assert first.form["webid"] == "7" and first.form["columnid"] == "55" and first.form["unitid"] == "99"
    assert first.url == "http://h.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=15"
    answer = "<datastore><totalrecord>11</totalrecord><recordset></recordset></datastore>"
    more = hanweb.answer(first, first.url, answer.encode(), answer)
    assert [c.url.split("?")[1] for c in more.calls] == ["startrecord=7&endrecord=9&perpage=15",
                                                         "startrecord=10&endrecord=11&perpage=15"]


def test_epoint_jsp_column_pages_from_count_and_one_pager_link() -> None:
    """A JSP column showing "共 7 页" and one link with its page parameter: pages 2–7 are the same
    link with the parameter set (page 1 is the column itself)."""
    page = ('<div class="page">共 7 页 <a href="iList.jsp?cat_id=10009&cur_page=2">下一页</a>'
            '<a href="iList.jsp?cat_id=10009&cur_page=7">尾页</a></div>')
    found = listings.inspect("http://h.gov.cn/info/iList.jsp?cat_id=10009", page, parse_html(page))
    assert found.pages == [f"http://h.gov.cn/info/iList.jsp?cat_id=10009&cur_page={i}" for i in range(2, 8)]
    # Epoint TPFront: "页次:1/8页" and the pager's URL in an onclick
    page = '<div>页次:1/8页 <a href="javascript:;" onclick="window.location=\'?Paging=2\'">下一页</a></div>'
    found = listings.inspect("http://h.gov.cn/TPFront/xxgk/003001/", page, parse_html(page))
    assert found.pages == [f"http://h.gov.cn/TPFront/xxgk/003001/?Paging={i}" for i in range(2, 9)]
    # a script that appends the number to the URL, with the count on the page
    page = ('<span>共 3 页</span><a href="javascript:goPage(2)">下一页</a><script>function goPage(n) '
            '{ location.href = "moreinfo.jsp?categoryNum=003001&curpage=" + n; }</script>')
    found = listings.inspect("http://h.gov.cn/xxgk/moreinfo.jsp?categoryNum=003001", page, parse_html(page))
    assert found.pages == [f"http://h.gov.cn/xxgk/moreinfo.jsp?categoryNum=003001&curpage={i}" for i in (2, 3)]


def test_a_call_is_named_apart_from_other_posts_to_the_same_url() -> None:
    a = ApiCall("aspnet", "http://h.gov.cn/List.aspx", "POST", {"x": "1"}, label="pager=2")
    assert a.key == "http://h.gov.cn/List.aspx#pager=2"
    assert ApiCall.from_dict(a.to_dict()) == a
    assert ApiCall("gkmlpt", "http://h.gov.cn/gkmlpt/api/all/1?page=1&sid=2").key.endswith("sid=2")


def test_plain_pages_are_claimed_by_no_family() -> None:
    page = '<ul><li><a href="/a.html">某某区2022年政府信息公开工作年度报告</a></li></ul><a href="?page=2">下一页</a>'
    assert not listings.inspect("http://h.gov.cn/gknb/", page, parse_html(page))
    assert all(f.inspect(listings.Page("http://h.gov.cn/", page, parse_html(page))) in (None,) or
               not f.inspect(listings.Page("http://h.gov.cn/", page, parse_html(page)))
               for f in (hanweb, gkmlpt, trs, epoint, aspnet))


def test_xhr_json_listing_rendered_once_then_its_api_paged_directly(tmp_path: Path) -> None:
    """A listing whose entries come from a JSON POST: Chromium renders it once (the page is fetched
    static, then rendered: it links to another column but to no report, and its script asks for
    data), the crawler notices the request that brought the entries and asks pages 2 and 3 of
    that API itself; the browser asked page 1."""
    rep, base, db = run(tmp_path, replicas.xhr_json, js=True)
    gets = Counter(p for m, p in rep.portal.log if m == "GET")
    assert gets.pop("/xxgk/gknb/index.html") == 2  # static, then rendered
    rep.portal.log = [(m, p) for m, p in rep.portal.log if p != "/xxgk/gknb/index.html"]
    check(rep, base, db)
    assert len(rep.reports) == 12  # 11 from the API, 1 in the sidebar's other column
    pages = sorted(json.loads(b)["pageNo"] for _, b in rep.portal.posts)
    assert pages == [1, 2, 3]


def test_xhr_json_captures_in_a_form_or_query() -> None:
    items = [{"id": i, "bt": f"某某区{2020 - i}年政府信息公开工作年度报告", "lj": f"/a/{i}.html"} for i in range(4)]
    form = xhr_json.Capture("POST", "http://h.gov.cn/api/list", "channel=9&pageIndex=1&rows=4",
                            "application/x-www-form-urlencoded", json.dumps({"rows": items, "totalPage": 3}))
    found = xhr_json.from_captures("http://h.gov.cn/gknb/", [form])
    assert [lk[0] for lk in found.links] == [f"http://h.gov.cn/a/{i}.html" for i in range(4)]
    assert [dict(parse_qsl(c.body))["pageIndex"] for c in found.calls] == ["2", "3"]
    assert len({c.key for c in found.calls}) == 2
    query = xhr_json.Capture("GET", "http://h.gov.cn/api/list?cat=5&page=0&size=4", "", "",
                             json.dumps({"data": {"list": items, "total": 10}}))
    calls = xhr_json.from_captures("http://h.gov.cn/gknb/", [query]).calls
    assert [c.url for c in calls] == ["http://h.gov.cn/api/list?cat=5&page=1&size=4",
                                      "http://h.gov.cn/api/list?cat=5&page=2&size=4"]
    answer = json.dumps({"data": {"list": items[:1], "total": 10}})
    assert xhr_json.answer(calls[0], calls[0].url, answer.encode(), answer).links == [
        ("http://h.gov.cn/a/0.html", "某某区2020年政府信息公开工作年度报告")]


def test_hanweb_jpaas_unit_paged_until_an_empty_page(tmp_path: Path) -> None:
    """jpaas: the shell's unitbuild script names the unit (queryData); pages 1–3 hold 33 entries,
    page 4 answers empty and ends the column."""
    rep, base, db = run(tmp_path, replicas.jpaas)
    check(rep, base, db)
    assert len(rep.reports) == 28
    pages = sorted(json.loads(dict(parse_qsl(p.split("?", 1)[1]))["paramJson"])["pageNo"]
                   for m, p in rep.portal.log if "build/unit" in p)
    assert pages == [1, 2, 3, 4]


def test_xhr_json_entries_without_links_are_read_through_the_rendered_page() -> None:
    """An API that sends ids, not links (the script builds "/detail.html?id=" + id): the rendered
    page's own links show how, and the other pages' entries get the same links."""
    items = [{"infoId": f"a{i}9", "infoTitle": f"某某区{2020 - i}年政府信息公开工作年度报告"} for i in range(3)]
    cap = xhr_json.Capture("POST", "http://h.gov.cn/api/getList", json.dumps({"pageNo": 1, "pageSize": 3}),
                           "application/json", json.dumps({"results": {"data": items, "total": 7}}))
    dom = [(f"http://h.gov.cn/detail.html?id=a{i}9", t["infoTitle"]) for i, t in enumerate(items)]
    found = xhr_json.from_captures("http://h.gov.cn/gknb/", [cap], dom)
    assert [lk[0] for lk in found.links] == [u for u, _ in dom]
    assert [json.loads(c.body)["pageNo"] for c in found.calls] == [2, 3]
    more = json.dumps({"results": {"data": [{"infoId": "z77", "infoTitle": "某某区2016年政府信息公开工作年度报告"}]}})
    assert xhr_json.answer(found.calls[0], found.calls[0].url, more.encode(), more).links == [
        ("http://h.gov.cn/detail.html?id=z77", "某某区2016年政府信息公开工作年度报告")]


def test_gkmlpt_catalogue_without_a_category_finds_its_report_columns_in_the_tree() -> None:
    """A gkmlpt page opened without #category: the report columns are read from the category tree
    embedded in window._CONFIG (names unicode-escaped as the real pages send them)."""
    page = ("<script>window._CONFIG = { SID: '758019', DETAIL: {}, TREE: [{\"id\": 2620, \"name\": "
            "\"\\u653f\\u7b56\\u6587\\u4ef6\", \"children\": [{\"id\": 2629, \"name\": "
            "\"\\u653f\\u5e9c\\u4fe1\\u606f\\u516c\\u5f00\\u5e74\\u62a5\", \"children\": []}]}, "
            "{\"id\": 2700, \"name\": \"机构概况\"}] };</script>")
    assert gkmlpt.tree_columns(page) == ["2629"]
    found = listings.inspect("http://h.gov.cn/zqhjj/gkmlpt/index", page, parse_html(page))
    assert [c.url for c in found.calls] == ["http://h.gov.cn/zqhjj/gkmlpt/api/all/2629?page=1&sid=758019"]


def test_aspnet_gridview_next_previous_pager_counts_pages_from_the_answer() -> None:
    """GridView with only 下一页 (Page$Next, relative, and event validation forbids inventing
    Page$3): page 2 is asked from page 1, page 3 from page 2's answer; both named by number. An
    answer listing no report asks for nothing more."""
    def grid(n: int) -> str:
        return ('<form method="post" action="./nb.aspx" id="form1"><input type="hidden" name="__VIEWSTATE" '
                f'value="vs{n}"/><input type="hidden" name="__EVENTVALIDATION" value="ev{n}"/>'
                f'<a href="show.aspx?id={n}">某某区{2020 - n}年政府信息公开工作年度报告</a>'
                "<a href=\"javascript:__doPostBack('gvList','Page$Prev')\">上一页</a>"
                "<a href=\"javascript:__doPostBack('gvList','Page$Next')\">下一页</a></form>")
    first = listings.inspect("http://h.gov.cn/xxgk/nb.aspx", grid(1), parse_html(grid(1)))
    assert [(c.key, c.form["__EVENTARGUMENT"], c.form["__VIEWSTATE"]) for c in first.calls] == [
        ("http://h.gov.cn/xxgk/nb.aspx#gvList@2", "Page$Next", "vs1")]
    second = listings.inspect("http://h.gov.cn/xxgk/nb.aspx", grid(2), parse_html(grid(2)), first.calls[0])
    assert [(c.key, c.form["__VIEWSTATE"]) for c in second.calls] == [("http://h.gov.cn/xxgk/nb.aspx#gvList@3", "vs2")]
    news = grid(3).replace("某某区2017年政府信息公开工作年度报告", "区政府召开常务会议")
    assert listings.inspect("http://h.gov.cn/xxgk/nb.aspx", news, parse_html(news), second.calls[0]).calls == []


def test_epoint_site_guid_read_from_the_sites_common_script() -> None:
    """An Epoint column naming only its categoryNum: webBuilderCommon.js (same host, read first)
    holds `var siteInfo = {siteGuid: …}`; the listing call follows from it."""
    page = ('<script src="/js/jquery.js"></script><script src="/js/webBuilderCommon.js"></script>'
            '<script src="https://cdn.example.com/x.js"></script><script>var categoryNum = "003001";</script>')
    found = listings.inspect("http://h.gov.cn/xxgk/003001/moreinfo.html", page, parse_html(page))
    assert [c.url for c in found.calls] == ["http://h.gov.cn/js/webBuilderCommon.js", "http://h.gov.cn/js/jquery.js"]
    assert all(c.kind == "asset" for c in found.calls)
    common = 'var siteInfo = {"siteGuid": "7eb5f7f1-9041-43ad-8e13-8fcb82ea831a", "projectName": "EpointWebBuilder"};'
    listing = epoint.answer(found.calls[0], found.calls[0].url, common.encode(), common).calls
    assert [c.url for c in listing] == ["http://h.gov.cn/EpointWebBuilder/rest/frontAppCustomAction/getPageInfoListNew"]
    assert json.loads(listing[0].form["params"])["categoryNum"] == "003001"
    assert epoint.answer(found.calls[1], found.calls[1].url, b"/* jquery */", "/* jquery */").calls == []


def test_ilist_jsp_column_paged_by_cur_page_from_a_script(tmp_path: Path) -> None:
    """A JSP column whose pager links are javascript:goPage(n): its script's URL and "共 4 页" give
    pages 2–4 (page 1 is the column's own URL)."""
    rep, base, db = run(tmp_path, replicas.ilist_jsp)
    check(rep, base, db)
    assert len(rep.reports) == 15
    listing = sorted(p for m, p in rep.portal.log if "info_id" not in p and p.startswith("/info/"))
    assert listing == ["/info/iList.jsp?cat_id=10009"] + [f"/info/iList.jsp?cat_id=10009&cur_page={n}" for n in (2, 3, 4)]


def test_api_pages_a_family_declares_are_capped_per_column(tmp_path: Path) -> None:
    """A listing API declaring more pages than NIANBAO_MAX_TRS_PAGES: the first ones are asked, and
    the cap is an error of the column (so nothing is concluded removed from it)."""
    rep, base, db = run(tmp_path, lambda b: dataclasses.replace(replicas.gkmlpt(b), start="/gkmlpt/annualreport#2629"),
                        "-s", "NIANBAO_MAX_TRS_PAGES=2")
    api = sorted(p for m, p in rep.portal.log if p.startswith("/gkmlpt/api/"))
    assert api == [f"/gkmlpt/api/all/2629?page={n}&sid=755031" for n in (1, 2)]
    errors = q(db, "SELECT url, reason FROM errors")
    assert len(errors) == 1 and errors[0][0] == base + "/gkmlpt/annualreport", errors
    assert errors[0][1].startswith("listing page cap reached: the column's listing API declares more than 2 pages")


# --- real markup varies: each family's detector on the variants real sites write -------------------
# Where the variants were read (the search tool's stored public code; find_string ids, whose
# excerpts name no repository):
# - Hanweb: nextgroup `dataproxy.jsp?page=1&webid=…&columnid=…&unitid=…` read page by page, answers
#   carrying `<totalpage>` (a cma.org.cn collector, id 71101888413); a GET of the same with
#   `path=https://swj.dl.gov.cn/` (id 5647983); a POST with `path=http://www.jiangxi.gov.cn/` and
#   sourceContentType=3, perpage in the URL only (id 5270493678); perpage=20 in the URL, form
#   col/appid/webid/path/columnid/sourceContentType/unitid/webname/permissiontype (id 20781097593).
# - gkmlpt: `SID:\s*'…'` read from the page (id 71212404334), sid in the API query (ids 33884433996,
#   5043784488, 57397333413).
# - Epoint: `getPageInfoListNew2` / `…NewYzm`, pageIndex as a string "0" or counted from 1, siteGuid
#   7eb5f7f1-… (ids 59424977419, 26657209467, 29484407600); the answer's lowercase `categorynum`
#   and `infourl`/`customtitle` fields (id 21156813341).
# - TRS, jpaas, ASP.NET: the spellings below (quoted counts, `createPageHTML(countPage, …)`,
#   bare-key / trailing-comma / entity-escaped queryData, LinkButton pagers) are what the
#   families' templates emit; no stored copy of a government page was found for them.

def _hanweb_page(store: str, settings: str) -> str:
    return f"<div id='99'><script type='text/xml'>{store}</script></div><script>{settings}</script>"


_HW_TITLES = [f"某某区{2020 - i}年政府信息公开工作年度报告" for i in range(3)]
_HW_NEXT = ('<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=7&path=/'
            '&columnid=55&unitid=99&webname=X&permissiontype=0"></a>]]></nextgroup>')


@pytest.mark.parametrize("store,settings", [
    # tags with attributes, whitespace and newlines around the CDATA
    ("<datastore >" + _HW_NEXT + "<recordset>" + "".join(
        f"<record id='{i}'>\n  <![CDATA[\n<li><a href=/art/{i}.html>{t}</a></li>\n]]>\n</record >\n"
        for i, t in enumerate(_HW_TITLES)) + "</recordset></datastore>",
     "$('#99').jpage({ totalRecord : '10', perPage : '3' });"),
    # records without CDATA (entity-escaped), a nextgroup without CDATA, settings written as JSON
    ("<datastore><nextgroup><a href='/module/web/jpage/dataproxy.jsp?page=1&amp;webid=7&amp;path=/&amp;"
     "columnid=55&amp;unitid=99&amp;permissiontype=0'></a></nextgroup><recordset>" + "".join(
        f"<record>&lt;li&gt;&lt;a href=&quot;/art/{i}.html&quot;&gt;{t}&lt;/a&gt;&lt;/li&gt;</record>"
        for i, t in enumerate(_HW_TITLES)) + "</recordset></datastore>",
     'jQuery("#99").jpage({"totalRecord": 10, "perPage": 3, "proxyUrl": "/module/web/jpage/dataproxy.jsp"});'),
    # raw markup in the records; the count as a variable, perpage only in a dataproxy URL
    ("<DATASTORE>" + _HW_NEXT + "<recordset>" + "".join(
        f"<record><li><a href='/art/{i}.html'>{t}</a></li></record>" for i, t in enumerate(_HW_TITLES))
     + "</recordset></DATASTORE>",
     "var totalrecord = 10; var url = '/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=9&perpage=3';"),
])
def test_hanweb_datastore_as_real_pages_write_it(store: str, settings: str) -> None:
    """Three spellings of one JCMS column (10 records, 3 in the page, 3 a page): each yields the
    page's three reports and the POSTs for records 4–10 with the nextgroup's parameters."""
    page = _hanweb_page(store, settings)
    found = listings.inspect("http://h.gov.cn/col/col55/index.html", page, parse_html(page))
    assert found.links == [(f"http://h.gov.cn/art/{i}.html", t) for i, t in enumerate(_HW_TITLES)]
    assert [c.url.split("?")[1] for c in found.calls] == [
        "startrecord=4&endrecord=6&perpage=3", "startrecord=7&endrecord=9&perpage=3",
        "startrecord=10&endrecord=10&perpage=3"]
    assert {(c.form["webid"], c.form["columnid"], c.form["unitid"]) for c in found.calls} == {("7", "55", "99")}


def test_hanweb_older_jpage_with_a_script_array_and_ajax_param() -> None:
    """An older JCMS column (南通市政府采购网's markup, find_string id 28373273468): no datastore;
    the first group is `var InitData49468 = ['<a …>…</a>[date]', …]` (titles with brackets),
    named by `dataStore:` in `$('#49468').jpage({…, proxyUrl:'/module/jslib/jquery/jpage/
    dataproxy.jsp', ajaxParam:{col:1, appid:'1', webid:60, …}})`: its entries, then the rest
    POSTed with exactly the ajaxParam form."""
    titles = [f"某某区{2013 - i}年政府信息公开工作年度报告[N{i}]" for i in range(3)]
    array = ",".join(f"'<a href=\"/art/2014/5/8/art_30067_{i}.html\" target=\"_blank\">{t}</a>[2014-05-08]'"
                     for i, t in enumerate(titles))
    page = ("<div id='49468'></div><script>var InitData49468 = [" + array + "];$(function(){$('#49468').jpage("
            "{themeName:'default',showMode:'full',totalRecord:8,openCookies:false,dataBefore:'',dataStore:InitData49468,"
            "dataAfter:'',groupSize:3,proxyUrl:'/module/jslib/jquery/jpage/dataproxy.jsp',perPage:1,barPosition:'bottom',"
            "ajaxParam:{col:1,appid:'1',webid:60,path:'/',columnid:30067,unitid:'49468',webname:'示例市政府采购网',"
            "permissiontype:0}});});</script>")
    found = listings.inspect("http://h.gov.cn/col/col30067/index.html", page, parse_html(page))
    assert found.links == [(f"http://h.gov.cn/art/2014/5/8/art_30067_{i}.html", t) for i, t in enumerate(titles)]
    assert [c.url for c in found.calls] == [
        "http://h.gov.cn/module/jslib/jquery/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=1",
        "http://h.gov.cn/module/jslib/jquery/jpage/dataproxy.jsp?startrecord=7&endrecord=8&perpage=1"]
    assert found.calls[0].form == {"col": "1", "appid": "1", "webid": "60", "path": "/", "columnid": "30067",
                                   "unitid": "49468", "webname": "示例市政府采购网", "permissiontype": "0"}


def test_hanweb_answer_counting_pages_only() -> None:
    """A column page without a count whose dataproxy answers give `<totalpage>` but no
    `<totalrecord>` (cma.org.cn): the pages times perpage bound the records still to ask."""
    page = _hanweb_page("<datastore>" + _HW_NEXT + "<recordset>" + "".join(
        f"<record><![CDATA[<a href='/art/{i}.html'>{t}</a>]]></record>" for i, t in enumerate(_HW_TITLES))
        + "</recordset></datastore>", "$('#99').jpage({perPage: 3});")
    first = listings.inspect("http://h.gov.cn/col/col55/index.html", page, parse_html(page)).calls[0]
    answer = ("<datastore><totalpage>4</totalpage><recordset><record><![CDATA[<a href='/art/9.html'>"
              "某某区2010年政府信息公开工作年度报告</a>]]></record></recordset></datastore>")
    more = hanweb.answer(first, first.url, answer.encode(), answer)
    assert more.links == [("http://h.gov.cn/art/9.html", "某某区2010年政府信息公开工作年度报告")]
    assert [c.url.split("?")[1] for c in more.calls] == ["startrecord=7&endrecord=9&perpage=3",
                                                         "startrecord=10&endrecord=12&perpage=3"]


@pytest.mark.parametrize("query_data", [
    "queryData=\"{'webId':'3630','pageId':'1229123351','tagId':'当前栏目list'}\"",
    "querydata='{\"webId\":\"3630\",\"pageId\":\"1229123351\"}'",
    'queryData="{&quot;webId&quot;:&quot;3630&quot;,&quot;pageId&quot;:&quot;1229123351&quot;}"',
    "queryData=\"{'webId': 3630, 'pageId': 1229123351}\"",
    "queryData=\"{webId:'3630',pageId:'1229123351',editType:'null',}\"",
])
def test_jpaas_query_data_as_real_pages_write_it(query_data: str) -> None:
    """queryData single- or double-quoted, entity-escaped, with numbers, bare keys or a trailing
    comma, before or after the unit URL: the first unit call carries webId and pageId."""
    for script in (f'<script type="text/javascript" src="/module/unitbuild.js" '
                   f'url="/api-gateway/jpaas-publish-server/front/page/build/unit" {query_data}></script>',
                   f'<script {query_data} src="/module/unitbuild.js"></script>'):
        found = listings.inspect("http://h.gov.cn/col/col1229123351/index.html", script, parse_html(script))
        assert len(found.calls) == 1, script
        q = dict(parse_qsl(found.calls[0].url.split("?", 1)[1]))
        assert found.calls[0].url.startswith("http://h.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?")
        assert (q["webId"], q["pageId"], json.loads(q["paramJson"])["pageNo"]) == ("3630", "1229123351", 1)
    # a unit answering its markup as `data` itself, not `data.html`: read the same, page 2 asked
    call = found.calls[0]
    body = json.dumps({"success": True, "data": '<ul><li><a href="/art/1.html">某某区2022年政府信息公开工作年度报告</a></li></ul>'})
    more = jpaas.answer(call, call.url, body.encode(), body)
    assert more.links == [("http://h.gov.cn/art/1.html", "某某区2022年政府信息公开工作年度报告")]
    assert [json.loads(dict(parse_qsl(c.url.split("?", 1)[1]))["paramJson"])["pageNo"] for c in more.calls] == [2]


@pytest.mark.parametrize("page,expected", [
    # mohurd: the unit URL on the script, queryData without a webId (provenance: find_string id 66550603837)
    ('<script\n  url="/api-gateway/jpaas-publish-server/front/page/build/unit"\n'
     "  queryData=\"{'parseType':'bulidstatic','pageId':'abc'}\"></script>", {"pageId": "abc"}),
    # no queryData: the parameters as data attributes or script settings near the unit URL
    # (a collector reading `key: '…'` and `data-key="…"` beside it, find_string id 66636607569)
    ('<div class="list" data-web-id="3630" data-page-id="1229123351" data-tag-id="当前栏目list"></div>'
     "<script>var unitUrl = '/api-gateway/jpaas-publish-server/front/page/build/unit';</script>",
     {"webId": "3630", "pageId": "1229123351", "tagId": "当前栏目list"}),
    ('<script>$.ajax({url: "/api-gateway/jpaas-publish-server/front/page/build/unit", data: {webId: \'3630\', '
     "pageId: '1229123351', pageType: 'column', tagId: '当前栏目list'}})</script>",
     {"webId": "3630", "pageId": "1229123351", "pageType": "column", "tagId": "当前栏目list"}),
])
def test_jpaas_unit_parameters_outside_a_full_query_data(page: str, expected: dict) -> None:
    found = listings.inspect("http://h.gov.cn/col/col1229123351/index.html", page, parse_html(page))
    assert len(found.calls) == 1
    q = dict(parse_qsl(found.calls[0].url.split("?", 1)[1]))
    assert {k: q[k] for k in expected} == expected and q["parseType"] == "bulidstatic"
    assert found.calls[0].url.startswith("http://h.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?")


@pytest.mark.parametrize("sid", ["SID: '755031'", 'SID:"755031"', '"SID":"755031"', "sid: 755031",
                                 "window.SID = '755031';", 'var SID = "755031"'])
def test_gkmlpt_sid_as_real_pages_write_it(sid: str) -> None:
    page = f"<script>window._CONFIG = {{ {sid} }};</script>"
    found = listings.inspect("http://h.gov.cn/gkmlpt/annualreport#2629", page, parse_html(page))
    assert [c.url for c in found.calls] == ["http://h.gov.cn/gkmlpt/api/all/2629?page=1&sid=755031"]


@pytest.mark.parametrize("script,names", [
    # the count in a variable, the pager function in a site script (no document.write on the page)
    ('var currentPage = 0;var countPage = 4;\ncreatePageHTML(countPage, currentPage, "index", "html");',
     ["index.html", "index_1.html", "index_2.html", "index_3.html"]),
    ("var countPage = 3; createPageHTML('page_div', countPage, 0, 'list', 'shtml', 42);",
     ["list.shtml", "list_1.shtml", "list_2.shtml"]),
    # the page defines the pager function itself before calling it
    ("function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) { if (_nPageCount == null || "
     "_nPageCount <= 1) return; document.write('…'); }\nvar countPage = 2;\n"
     'createPageHTML(countPage, 0, "index", "htm");', ["index.htm", "index_1.htm"]),
    # countPage quoted, the page name from the written link
    ('countPage = "3";\ndocument.write("<a href=\\"list_" + nextPage + ".htm\\">下一页</a>");',
     ["list.htm", "list_1.htm", "list_2.htm"]),
    ("var countPage=2;document.write('<a href=\"index_'+nextPage+'.shtml\">下一页</a>');",
     ["index.shtml", "index_1.shtml"]),
])
def test_trs_pager_counts_as_real_pages_write_them(script: str, names: list[str]) -> None:
    found = listings.inspect("http://h.gov.cn/xxgk/gknb/", script, parse_html(script))
    assert found.pages == ["http://h.gov.cn/xxgk/gknb/" + n for n in names]


def test_trs_count_page_alone_only_on_a_static_listing_page() -> None:
    """`var countPage = N` without document.write pages a TRS static listing (a directory or
    index_N.html) — not a dynamic page that merely uses the name."""
    page = "<ul><li><a onclick=\"isDownLoad(this,'./202205/t20220520_1.html')\">x</a></li></ul><script>var countPage = 3</script>"
    found = listings.inspect("http://h.gov.cn/xxgk/gknb/index_1.html", page, parse_html(page))
    assert found.pages == [f"http://h.gov.cn/xxgk/gknb/{n}" for n in ("index.html", "index_1.html", "index_2.html")]
    assert found.links == [("http://h.gov.cn/xxgk/gknb/202205/t20220520_1.html", "x")]
    assert not listings.inspect("http://h.gov.cn/search/list.jsp?id=3", page, parse_html(page))


def test_trs_literal_create_page_html_is_left_to_the_spider() -> None:
    """createPageHTML with a literal count (4, 5 or 6 arguments, any spacing) is read by the
    spider (classify.trs_pages); the family adds nothing, so no page is asked twice."""
    for script in ('createPageHTML(5, 0, "index", "html");', "createPageHTML( 5 , 0 , 'index' , 'shtml' );",
                   'createPageHTML(5,0,"index","html",48);', "createPageHTML('page_div',5,0,'index','html',48);"):
        assert not listings.inspect("http://h.gov.cn/xxgk/gknb/", script, parse_html(script)).pages
    # also beside `var countPage = 2` (the sample portal's columns), with or without document.write
    for script in ('var currentPage = 0;var countPage = 2\ncreatePageHTML(2, 0, "index", "html");',
                   'var countPage = 2; document.write("共"+countPage+"页"); createPageHTML(2, 0, "index", "html");'):
        assert not listings.inspect("http://h.gov.cn/xxgk/gknb/", script, parse_html(script))


def test_jsp_pager_counting_from_zero() -> None:
    """`pageIndex=1` is the second page when the link reading "2" carries it (or 下一页 on the first
    page does): pages 1 and 2 of 0…2 are asked; a pager counting from 1 asks 2 and 3."""
    zero = ('<div>共 3 页 <span>1</span> <a href="list.jsp?cat=5&pageIndex=1">2</a> '
            '<a href="list.jsp?cat=5&pageIndex=2">3</a></div>')
    only_next = '<div>共 3 页 <a href="list.jsp?cat=5&pageIndex=1">下一页</a></div>'
    one = '<div>共 3 页 <a href="list.jsp?cat=5&pageIndex=2">2</a> <a href="list.jsp?cat=5&pageIndex=2">下一页</a></div>'
    for page, pages in ((zero, (1, 2)), (only_next, (1, 2)), (one, (2, 3))):
        found = listings.inspect("http://h.gov.cn/xxgk/list.jsp?cat=5", page, parse_html(page))
        assert found.pages == [f"http://h.gov.cn/xxgk/list.jsp?cat=5&pageIndex={n}" for n in pages]


def test_epoint_lowercase_keys_and_a_one_based_first_call() -> None:
    """`"categorynum"`/`"siteguid"` written in lower case and the first call asking pageIndex 1:
    the answer's count gives indexes 2 and 3; entries under infolist/linkurl are read too."""
    page = ('<script>var p = {"siteguid": "7eb5f7f1-9041-43ad-8e13-8fcb82ea831a", "categorynum": "003001", '
            '"pageIndex": "1", "pageSize": "5"}; $.post("/EpointWebBuilder/rest/frontAppCustomAction/'
            'getPageInfoListNew2", {params: JSON.stringify(p)});</script>')
    found = listings.inspect("http://h.gov.cn/xxgk/003001/moreinfo.html", page, parse_html(page))
    first = found.calls[0]
    assert first.url == "http://h.gov.cn/EpointWebBuilder/rest/frontAppCustomAction/getPageInfoListNew2"
    params = json.loads(first.form["params"])
    assert (params["categoryNum"], params["pageIndex"], params["pageSize"]) == ("003001", 1, 5)
    answer = json.dumps({"custom": {"total": 13, "infolist": [
        {"linkurl": "/xxgk/003001/a.html", "infotitle": "某某区2022年政府信息公开工作年度报告"}]}})
    more = epoint.answer(first, first.url, answer.encode(), answer)
    assert more.links == [("http://h.gov.cn/xxgk/003001/a.html", "某某区2022年政府信息公开工作年度报告")]
    assert [json.loads(c.form["params"])["pageIndex"] for c in more.calls] == [2, 3]


def test_aspnet_pager_showing_only_its_own_labels() -> None:
    """AspNetPager without page numbers (ShowPageIndex off): 首页 前页 后页 尾页, as a public
    collector reads them (`"后页</a>"` … `__doPostBack('AspNetPager1','N')` before 尾页, find_string
    id 3922326958): 后页 asks page 2 and 尾页 the last; the answers' 后页 the rest."""
    page = ('<form method="post" action="./nb.aspx" id="form1"><input type="hidden" name="__VIEWSTATE" value="vs"/>'
            '<a href="show.aspx?id=1">某某区2020年政府信息公开工作年度报告</a><div id="AspNetPager1">'
            "<a disabled=\"disabled\" style=\"margin-right:5px;\">首页</a><a disabled=\"disabled\">前页</a>"
            "<a href=\"javascript:__doPostBack('AspNetPager1','2')\" style=\"margin-right:5px;\">后页</a>"
            "<a href=\"javascript:__doPostBack('AspNetPager1','5')\" style=\"margin-right:5px;\">尾页</a></div></form>")
    calls = listings.inspect("http://h.gov.cn/xxgk/nb.aspx", page, parse_html(page)).calls
    assert [(c.key, c.form["__EVENTARGUMENT"]) for c in calls] == [
        ("http://h.gov.cn/xxgk/nb.aspx#AspNetPager1@2", "2"), ("http://h.gov.cn/xxgk/nb.aspx#AspNetPager1@5", "5")]


def test_aspnet_link_button_pager_without_arguments() -> None:
    """A Repeater of LinkButtons (`__doPostBack('rptPager$ctl01$lbPage','')`, the number in the
    text) and a 下一页 LinkButton: pages 2 and 3, page 2 named once whichever link asks it."""
    page = ('<form method="post" action="./nb.aspx" id="form1"><input type="hidden" name="__VIEWSTATE" value="vs"/>'
            '<a href="show.aspx?id=1">某某区2020年政府信息公开工作年度报告</a>'
            "<a href=\"javascript:__doPostBack('rptPager$ctl01$lbPage','')\"> 2 </a>"
            "<a href=\"javascript:__doPostBack('rptPager$ctl02$lbPage','')\">3</a>"
            "<a id='lbtnNext' href=\"javascript:__doPostBack('lbtnNext','')\">下一页</a>"
            "<a href=\"javascript:__doPostBack('lbtnLast','')\">尾页</a></form>")
    calls = listings.inspect("http://h.gov.cn/xxgk/nb.aspx", page, parse_html(page)).calls
    assert [(c.key, c.form["__EVENTTARGET"], c.form["__EVENTARGUMENT"]) for c in calls] == [
        ("http://h.gov.cn/xxgk/nb.aspx#linkbutton@2", "rptPager$ctl01$lbPage", ""),
        ("http://h.gov.cn/xxgk/nb.aspx#linkbutton@3", "rptPager$ctl02$lbPage", ""),
        ("http://h.gov.cn/xxgk/nb.aspx#linkbutton@2", "lbtnNext", "")]
    assert len({c.key for c in calls}) == 2
