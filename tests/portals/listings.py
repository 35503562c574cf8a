"""Local replicas of CMS report columns whose pages plain links do not reach (crawler/listings/).

Each builder takes the server's base URL (some families answer with absolute URLs) and fills a
Portal: the column page in the family's real markup, its listing API answering in the real
format (checking the parameters a real server needs), report pages (the sample portal's reports
under new URLs and years) and entries that are not reports. `Site.reports` must all be archived;
`Site.never` must never be requested.

Where each format was read (the search tool's stored copies of public code, found by exact-string
look-ups that return excerpts without repository names or commits; read, not copied — the only
real page kept whole is 平潭's column, with its provenance file in tests/portals/real/):
- Hanweb JCMS: the datastore/nextgroup/record markup and `$('#212860').jpage({totalRecord:4895,
  perPage:19})` as kept in a Jiangsu crawler's test fixture (INDEX_HTML of a
  xuzhou_enterprise_funding_demand test); the dataproxy.jsp POST (startrecord/endrecord/perpage
  in the query, col/appid/webid/path/columnid/sourceContentType/unitid/webname/permissiontype as
  the form) and the `<totalrecord>` answer from several public Scrapy spiders for
  jiangsu.gov.cn / yancheng.gov.cn columns.
- gkmlpt: `GET /gkmlpt/api/all/{category}?page=N&sid={SID}` answering
  `{"total", "articles": [{"id", "title", "url", "create_time", "publisher", …}]}`, the
  `SID: '…'` in the page and the category in the fragment (`whly.gd.gov.cn/gkmlpt/annualreport#2629`)
  from public crawlers of gd.gov.cn, sz.gov.cn and dg.gov.cn.
- TRS 福建 /fjdzapp/search: the real 平潭 column (tests/portals/real/pingtan_zfxxgknb_list.html,
  provenance beside it); the POST form (channelid, sortfield, classsql, page, prepage) and the
  answer `{"data": [{"doctitle", "chnldocurl"|"docpuburl", "docreltime"}], "pageCount"}` from
  public crawlers of fujian.gov.cn sites (channelid 200210 is 平潭's, from an archive of 平潭's site).
- TRS `var countPage`: the TRS pager template (`var currentPage = 0; //所在页从0开始` … `var
  countPage = N //共多少页` … `document.write(…)`) as kept in a public TRS page template.
- Epoint WebBuilder: `…/rest/frontAppCustomAction/getPageInfoListNew`, form `params=<JSON>` with
  siteGuid/categoryNum/pageIndex/pageSize, answer `{"custom": {"count", "infodata": [{"title",
  "infourl", "infodate"}]}, "status": …}` from public crawlers of Epoint sites (weihai, sinosteel).
- Hanweb jpaas: the unitbuild.js script with `url` and single-quoted `queryData` attributes, the
  unit API `/api-gateway/jpaas-publish-server/front/page/build/unit` with parseType=bulidstatic and
  `paramJson={"pageNo":N,"pageSize":15}`, answering `{"success", "data": {"html"}}`, paged until an
  empty page: from public collectors of zjfgw (浙江), hbj.huzhou, mofcom, miit, samr, yangzhou.
- XHR JSON: the tax-bureau style `results.data` answer as the issue describes it; no stored copy.
- Second spellings (`hanweb(…, "plain")`, `trs_countpage(…, "create")`, `aspnet(…, "linkbutton")`):
  dataproxy answers counting `<totalpage>` only and nextgroups read page by page (a cma.org.cn
  collector, find_string id 71101888413), perpage only in a dataproxy URL (ids 5270493678,
  20781097593); records without CDATA, JSON jpage settings, `createPageHTML(countPage, …)` and
  LinkButton pagers are the other spellings these templates emit (no stored page kept them).
- ASP.NET WebForms: written from the markup System.Web emits (hidden __VIEWSTATE,
  __VIEWSTATEGENERATOR, __EVENTVALIDATION, __EVENTTARGET/__EVENTARGUMENT and the
  `__doPostBack` function) and AspNetPager's `javascript:__doPostBack('AspNetPager1','2')` links;
  no stored copy of a government page was found for it.
"""
from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from crawler.sample_portal.server import Portal
from portals.sites import FUXIN, XIGANG, WANGHUA

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "real")
NOT_REPORTS = [
    "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
    "2023年示例市政府工作报告",
    "示例市2022年部门预算公开说明",
    "2022年政府信息公开工作年度报告解读",
]


@dataclass
class Replica:
    portal: Portal
    start: str  # path to start the crawl at
    reports: set[str]  # paths that must be archived as reports
    never: set[str] = field(default_factory=set)  # paths that must never be requested
    api_pages: int = 0  # listing API requests the family needs (POST or GET)


def report_page(n: int) -> tuple[str, bytes]:
    """A distinct report (title and year) made from the sample reports."""
    base = (XIGANG, FUXIN)[n % 2]
    year = 2021 - n // 2  # XIGANG/FUXIN are 2021 reports
    body = base.replace(b"2021", str(year).encode()) if year != 2021 else base
    return f"示例市第{n}单位{year}年政府信息公开工作年度报告", body


def _entries(p: Portal, n_reports: int, path_of, non_reports_every: int = 5) -> list[tuple[str, str, bool]]:
    """(title, path, is_report) in listing order: reports with a non-report every few entries."""
    out: list[tuple[str, str, bool]] = []
    nr = 0
    for i in range(n_reports):
        title, body = report_page(i)
        path = path_of(len(out))
        p.set(path, body)
        out.append((title, path, True))
        if (i + 1) % non_reports_every == 0:
            t = NOT_REPORTS[nr % len(NOT_REPORTS)]
            nr += 1
            out.append((t, path_of(len(out)), False))
    return out


def _split(out: list, size: int) -> list[list]:
    return [out[i:i + size] for i in range(0, len(out), size)]


def _expect(portal: Portal, entries: list, start: str, **kw) -> Replica:
    return Replica(portal, start, {p for _, p, r in entries if r}, {p for _, p, r in entries if not r}, **kw)


def _page(title: str, body: str, head: str = "") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>{head}</head>'
            f'<body><div class="nav"><a href="/">首页</a></div><h2>{html.escape(title)}</h2>{body}</body></html>')


# --- Hanweb 大汉 JCMS ---------------------------------------------------------------------------

def hanweb(base: str, spelling: str = "cdata") -> Replica:
    """/col/col1813/index.html: 15 of 35 entries in the page's datastore, the rest from two
    dataproxy.jsp POSTs (startrecord 16 and 31); a sidebar datastore of news (another columnid)
    is not paged. Started at the home page: 政府信息公开 (/col/col100/) → 政府信息公开年报.

    spelling "plain": the column as other JCMS sites write it — `<datastore >`, records of raw
    markup with whitespace around them (no CDATA), a nextgroup without CDATA (`&amp;` in its href),
    `jQuery("#387788").jpage({"perPage": 5, …})` as JSON and no totalRecord, and dataproxy answers
    counting `<totalpage>` only (as cma.org.cn's do): the first POST's answer gives the rest."""
    plain = spelling == "plain"
    p = Portal()
    entries = _entries(p, 29, lambda i: f"/art/2023/1/{i % 28 + 1}/art_1813_{1000 + i}.html", 5)
    assert len(entries) == 34
    entries.append(("示例市2008年政府信息公开工作年度报告(附件)", "/art/2009/3/1/art_1813_999.html", True))
    p.set("/art/2009/3/1/art_1813_999.html", WANGHUA.replace(b"2017", b"2008"))
    per_page, group = 5, 15

    def record(t: str, u: str) -> str:
        li = (f"<li><a href='{u}' title='{html.escape(t)}' target=\"_blank\">"
              f"{html.escape(t[:20])}</a><span>2023-01-30</span></li>")
        return f"<record>\n  {li}\n</record>\n" if plain else f"<record><![CDATA[{li}]]></record>"

    nextgroup = ('<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/'
                 '&columnid=1813&unitid=387788&webname=示例市人民政府&permissiontype=0"></a>]]></nextgroup>')
    if plain:
        nextgroup = ("<nextgroup>\n<a href='/module/web/jpage/dataproxy.jsp?page=1&amp;appid=1&amp;webid=1&amp;path=/"
                     "&amp;columnid=1813&amp;unitid=387788&amp;webname=示例市人民政府&amp;permissiontype=0'></a>\n"
                     "</nextgroup>")
    store = ('<div id="387788"><script type="text/xml"><datastore' + (" " if plain else "") + ">" + nextgroup
             + "<recordset>"
             + "".join(record(t, u) for t, u, _ in entries[:group]) + "</recordset></datastore></script></div>")
    side = ('<div id="387799"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/'
            'dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid=1700&unitid=387799&webname=示例市人民政府'
            '&permissiontype=0"></a>]]></nextgroup><recordset>'
            + record("示例市召开政务公开工作推进会", "/art/2023/2/1/art_1700_1.html")
            + "</recordset></datastore></script></div>"
            "<script>$('#387799').jpage({ totalRecord:900, perPage:5 });</script>")
    pager = ("<script language=\"javascript\" src=\"/module/web/jpage/jpage.js\"></script>"
             f"<script>var param_387788={{columnid:1813,unitid:'387788'}}; $('#387788').jpage({{ dataStore: dataStore, "
             f"totalRecord:{len(entries)}, perPage:{per_page}, groupSize:3, proxyUrl:'/module/web/jpage/dataproxy.jsp' }});</script>")
    if plain:
        pager = ("<script src=\"/module/web/jpage/jpage.js\"></script><script>jQuery(\"#387788\").jpage("
                 f'{{"dataStore": dataStore, "perPage": {per_page}, "groupSize": 3, '
                 '"proxyUrl": "/module/web/jpage/dataproxy.jsp"});</script>')
    p.set("/col/col1813/index.html", _page("政府信息公开年报", side + store + pager,
                                           '<meta name="ColumnName" content="政府信息公开年报">'))
    # the 信息公开 section is itself a column listing all 600 of its documents: not paged through
    section = ('<div id="387700"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/'
               'dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid=100&unitid=387700&webname=示例市人民政府'
               '&permissiontype=0"></a>]]></nextgroup><recordset>'
               + record("关于印发示例市2023年政务公开工作要点的通知", "/art/2023/3/1/art_100_1.html")
               + "</recordset></datastore></script></div>"
               "<script>$('#387700').jpage({ totalRecord:600, perPage:15 });</script>")
    p.set("/col/col100/index.html", _page("政府信息公开", '<a href="/col/col1813/index.html">政府信息公开年报</a>'
                                                     ' <a href="/col/col1700/index.html">工作动态</a>' + section,
                                          '<meta name="ColumnName" content="政府信息公开">'))
    p.set("/", _page("示例市人民政府", '<a href="/col/col100/index.html">政府信息公开</a>'))
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")

    def hook(h, path: str) -> bool:
        if h.command != "POST" or not path.startswith("/module/web/jpage/dataproxy.jsp"):
            return False
        q = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        form = {k: v[0] for k, v in parse_qs(h.post_body.decode()).items()}
        if form.get("columnid") != "1813" or form.get("unitid") != "387788" or form.get("webid") != "1":
            h.send_plain(400, b"bad parameters")
            return True
        start, end = int(q["startrecord"]), int(q["endrecord"])
        recs = "".join(record(t, u) for t, u, _ in entries[start - 1:end])
        count = "" if plain else f"<totalrecord>{len(entries)}</totalrecord>"
        body = (f'<?xml version="1.0" encoding="UTF-8"?><datastore>{count}'
                f"<totalpage>{-(-len(entries) // per_page)}</totalpage><recordset>{recs}</recordset></datastore>")
        h.send_plain(200, body.encode(), ct="text/xml;charset=UTF-8")
        return True

    p.hook = hook
    r = _expect(p, entries, "/", api_pages=2)
    r.never |= {"/art/2023/2/1/art_1700_1.html", "/col/col1700/index.html", "/art/2023/3/1/art_100_1.html"}
    return r


# --- Guangdong gkmlpt -------------------------------------------------------------------------

def gkmlpt(base: str) -> Replica:
    """Home → 政府信息公开年报 (/gkmlpt/annualreport#2629) → the API: 23 entries, 10 a page."""
    p = Portal()
    entries = _entries(p, 19, lambda i: f"/gkmlpt/content/2/2629/post_{4000 + i}.html", 5)
    size = 10
    p.set("/gkmlpt/annualreport", _page("政府信息公开年报", '<div id="app"></div>'
                                        "<script>window._CONFIG = { SID: '755031', BASE: '/gkmlpt/' };</script>"
                                        '<script src="/gkmlpt/static/js/app.js"></script>'))
    p.set("/", _page("示例市人民政府", '<a href="/gkmlpt/index">政府信息公开</a> '
                                   '<a href="/gkmlpt/annualreport#2629">政府信息公开年报</a>'))
    # the catalogue's own page: its category tree is embedded (window._CONFIG.TREE, unicode-escaped)
    tree = json.dumps([{"id": 2600, "name": "机构职能", "children": [{"id": 2601, "name": "机构概况", "children": []}]},
                       {"id": 2620, "name": "政府信息公开年报", "children": [
                           {"id": 2629, "name": "政府信息公开年报", "children": []}]},
                       {"id": 2640, "name": "通知公告", "children": []}])
    p.set("/gkmlpt/index", _page("政府信息公开目录", "<script>window._CONFIG = { SID: '755031', DETAIL: {}, "
                                                 f"TREE: {tree}, CSRF: 'x' }};</script>"))
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")

    def hook(h, path: str) -> bool:
        if not path.startswith("/gkmlpt/api/all/"):
            return False
        q = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        if urlsplit(path).path == "/gkmlpt/api/all/2620" and q.get("sid") == "755031":
            h.send_plain(200, b'{"total": 0, "articles": []}', ct="application/json")  # a parent: empty
            return True
        if urlsplit(path).path != "/gkmlpt/api/all/2629" or q.get("sid") != "755031":
            h.send_plain(200, b'{"total": 0, "articles": []}', ct="application/json")
            return True
        n = int(q["page"])
        arts = [{"id": 4000 + i, "title": t, "url": base.rstrip("/") + u, "create_time": 1675000000 - i * 86400,
                 "publisher": "示例市人民政府办公室", "identifier": f"11440100-{i}"}
                for i, (t, u, _) in enumerate(entries)][(n - 1) * size:n * size]
        h.send_plain(200, json.dumps({"total": len(entries), "articles": arts}, ensure_ascii=False).encode(),
                     ct="application/json;charset=UTF-8")
        return True

    p.hook = hook
    return _expect(p, entries, "/", api_pages=3)


# --- TRS: 福建 /fjdzapp/search (平潭's real column) --------------------------------------------

def fjdzapp(base: str, pingtan_report: bytes) -> tuple[Replica, list[str]]:
    """The real 平潭 column: its 10 static reports, then `POST /fjdzapp/search` page 2 (recordCount
    '20', prepage 10) once SiteInfo.searchId is read from the site's script."""
    p = Portal()
    col = "/zwgk/zfxxgk/zfxxgknb/"
    with open(os.path.join(REAL, "pingtan_zfxxgknb_list.html"), "rb") as f:
        listing = f.read()
    static = [col + h.decode() for h in re.findall(rb'href="\./(\d{6}/t\d+_\d+\.htm)"', listing)]
    for s in static:
        p.set(s, pingtan_report)
    entries = _entries(p, 8, lambda i: f"{col}2019{i:02d}/t2019{i:02d}15_{5000 + i}.htm", 4)
    assert len(entries) == 10
    p.set(col, listing)
    p.set("/images/model.min.js", "define('tools',[],function(){return {};});", "application/javascript")
    p.set("/images/22mb_info_public_js.js", 'var SiteInfo = {siteId: 4, searchId: "200210", '
                                            'projPath: "/", webPath: "/"};', "application/javascript")
    p.set("/robots.txt", "User-agent: *\nDisallow: /uc/\n", "text/plain")

    def hook(h, path: str) -> bool:
        if h.command != "POST" or path != "/fjdzapp/search":
            return False
        form = {k: v[0] for k, v in parse_qs(h.post_body.decode()).items()}
        if form.get("channelid") != "200210" or form.get("classsql") != "chnlid=1813":
            h.send_plain(200, b'{"data": [], "pageCount": 0}', ct="application/json")
            return True
        n, size = int(form["page"]), int(form["prepage"])
        # page 1 of the API is the static page; page 2 holds our entries
        docs = [] if n != 2 else [{"doctitle": t, "chnldocurl": base.rstrip("/") + u, "docreltime": "2019-01-15"}
                                  for t, u, _ in entries[:size]]
        h.send_plain(200, json.dumps({"data": docs, "pageCount": 2, "recordCount": 20}, ensure_ascii=False).encode(),
                     ct="application/json;charset=UTF-8")
        return True

    p.hook = hook
    r = _expect(p, entries, col, api_pages=1)
    r.reports |= set(static)
    return r, static


# --- TRS: var countPage + document.write --------------------------------------------------------

def trs_countpage(base: str, spelling: str = "write") -> Replica:
    """A TRS column of 4 pages whose pager is written by the page's own `document.write` from
    `var countPage = 4`; spelling "create": the count is a variable handed to createPageHTML from
    the site's pager script (`createPageHTML(countPage, currentPage, "index", "shtml")`);
    spelling "external" (天津's lists): only `<script>var countPage = 4</script>` on the page, the
    entries `<a onclick="isDownLoad(this,'URL')" title="…">` without an href."""
    p = Portal()
    col = "/xxgk/gknb/"
    entries = _entries(p, 14, lambda i: f"{col}2022{i:02d}/t2022{i:02d}20_{700 + i}.html", 4)
    pages = _split(entries, 5)
    ext = "shtml" if spelling == "create" else "html"

    for n, items in enumerate(pages):
        ul = '<ul class="list">' + "".join(f'<li><a href="{u}" title="{html.escape(t)}">{html.escape(t[:18])}…</a></li>'
                                           for t, u, _ in items) + "</ul>"
        script = f"""<div class="page"><script language="javascript">
var currentPage = {n};//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = {len(pages)}//共多少页
document.write("共"+countPage+"页&nbsp;&nbsp;");
if(countPage>1&&currentPage!=0&&currentPage!=1)
 document.write("<a href=\\"index.html\\">首页</a>&nbsp;<a href=\\"index_" + prevPage + ".html\\">上一页</a>&nbsp;");
if(countPage>1&&currentPage!=(countPage-1))
 document.write("<a href=\\"index_" + nextPage + ".html\\">下一页</a>&nbsp;<a href=\\"index_" + (countPage-1) + ".html\\">尾页</a>");
</script></div>"""
        if spelling == "external":  # 天津: entries in onclick handlers, the pager a site script's
            ul = '<ul class="list-main-group">' + "".join(
                f"<li><a onclick=\"isDownLoad(this,'{base.rstrip('/')}{u}')\" title='{html.escape(t)}' target=\"_blank\">"
                f'<span class="list-main-title">{html.escape(t)}</span><span class="list-main-date">2022-05-20</span>'
                "</a></li>" for t, u, _ in items) + "</ul>"
            script = f'<div class="page" id="page"></div><script>var countPage = {len(pages)}</script>'
        if spelling == "create":
            script = ('<script src="/js/createPageHTML.js"></script><div class="page"><script>'
                      f"var currentPage = {n};\nvar countPage = {len(pages)};\n"
                      'createPageHTML(countPage, currentPage, "index", "shtml");</script></div>')
        p.set(col + ("index." + ext if n == 0 else f"index_{n}.{ext}"), _page("政府信息公开年报", ul + script))
    p.set("/js/createPageHTML.js", "function createPageHTML(n, c, name, ext) { /* writes the pager */ }",
          "application/javascript")

    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    return _expect(p, entries, col if ext == "html" else col + "index." + ext)


# --- Epoint WebBuilder ---------------------------------------------------------------------------

def epoint(base: str) -> Replica:
    p = Portal()
    entries = _entries(p, 13, lambda i: f"/xxgk/003001/2023013{i % 10}/{i:04d}a1b2-c3d4-e5f6-0718293a4b5c.html", 4)
    size = 6
    guid = "7eb5f7f1-9041-43ad-8e13-8fcb82ea831a"
    api = "/EpointWebBuilder/rest/frontAppCustomAction/getPageInfoListNew"
    p.set("/xxgk/003001/moreinfo.html", _page("政府信息公开年报", f"""<ul id="showList"></ul><div id="pager"></div>
<script src="/js/jquery.min.js"></script>
<script>
var siteGuid = "{guid}";
function getList(pageIndex) {{
  $.ajax({{ url: "{api}", type: "post", dataType: "json",
    data: {{ params: JSON.stringify({{ siteGuid: siteGuid, categoryNum: "003001", kw: "", startDate: "", endDate: "",
                                       pageIndex: pageIndex, pageSize: {size} }}) }},
    success: function (res) {{ render(res.custom.infodata, res.custom.count); }} }});
}}
getList(0);
</script>"""))
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")

    def hook(h, path: str) -> bool:
        if h.command != "POST" or path != api:
            return False
        params = json.loads(parse_qs(h.post_body.decode())["params"][0])
        if params.get("siteGuid") != guid or params.get("categoryNum") != "003001":
            h.send_plain(200, b'{"custom": {"count": 0, "infodata": []}}', ct="application/json")
            return True
        i, n = int(params["pageIndex"]), int(params["pageSize"])
        data = [{"title": t, "infourl": u, "infodate": "2023-01-30", "categorynum": "003001", "infoid": str(k)}
                for k, (t, u, _) in enumerate(entries)][i * n:(i + 1) * n]
        body = {"controls": [], "custom": {"count": len(entries), "infodata": data},
                "status": {"code": 1, "text": "操作成功", "url": "", "top": False}}
        h.send_plain(200, json.dumps(body, ensure_ascii=False).encode(), ct="application/json;charset=utf-8")
        return True

    p.hook = hook
    return _expect(p, entries, "/xxgk/003001/moreinfo.html", api_pages=3)


# --- ASP.NET WebForms (AspNetPager) -------------------------------------------------------------

def aspnet(base: str, spelling: str = "pager") -> Replica:
    """An AspNetPager column (`__doPostBack('…AspNetPager1','3')`); spelling "linkbutton": a
    Repeater of LinkButtons (`__doPostBack('ctl00$ContentPlaceHolder1$rptPager$ctl03$lbPage','')`,
    the number only in the text) and a 下一页 LinkButton, the page a postback asks read from
    its target and the __VIEWSTATE it carries."""
    p = Portal()
    linkbutton = spelling == "linkbutton"
    entries = _entries(p, 16, lambda i: f"/xxgk/ShowArticle.aspx?id={300 + i}", 4)
    pages = _split(entries, 5)
    path = "/xxgk/List.aspx?ClassID=12"
    issued: dict[str, int] = {}

    def render(n: int) -> bytes:
        vs = f"/wEPDwUKLTI{n}MzQ1Njc4OQ9kFgICAw9kFgICAQ88KwAKAQAPFgQeC1JlY29yZGNvdW50Ah4eCFBhZ2VTaXplAgVkZGQ="
        issued[vs] = n
        items = "".join(f'<tr><td><a href="ShowArticle.aspx?id={u.rsplit("=", 1)[1]}" target="_blank" '
                        f'title="{html.escape(t)}">{html.escape(t[:20])}</a></td><td>2023-01-30</td></tr>'
                        for t, u, _ in pages[n - 1])
        links = []
        for k in range(1, len(pages) + 1):
            links.append(f"<span>{k}</span>" if k == n else
                         f"<a href=\"javascript:__doPostBack('ctl00$ContentPlaceHolder1$AspNetPager1','{k}')\">{k}</a>")
        if linkbutton:
            links = [f"<span>{k}</span>" if k == n else
                     f"<a id=\"lb{k}\" href=\"javascript:__doPostBack(&#39;ctl00$ContentPlaceHolder1$rptPager$ctl{k:02d}"
                     f"$lbPage&#39;,&#39;&#39;)\"> {k} </a>" for k in range(1, len(pages) + 1)]
            if n < len(pages):
                links.append("<a id=\"lbtnNext\" href=\"javascript:__doPostBack(&#39;ctl00$ContentPlaceHolder1$lbtnNext"
                             "&#39;,&#39;&#39;)\">下一页</a>")
        elif n < len(pages):
            links.append(f"<a href=\"javascript:__doPostBack('ctl00$ContentPlaceHolder1$AspNetPager1','{n + 1}')\">下一页</a>")
            links.append(f"<a href=\"javascript:__doPostBack('ctl00$ContentPlaceHolder1$AspNetPager1','{len(pages)}')\">尾页</a>")
        body = f"""<form method="post" action="./List.aspx?ClassID=12" id="form1">
<div class="aspNetHidden">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{vs}" />
</div>
<script type="text/javascript">
//<![CDATA[
var theForm = document.forms['form1'];
if (!theForm) {{ theForm = document.form1; }}
function __doPostBack(eventTarget, eventArgument) {{
    if (!theForm.onsubmit || (theForm.onsubmit() != false)) {{
        theForm.__EVENTTARGET.value = eventTarget;
        theForm.__EVENTARGUMENT.value = eventArgument;
        theForm.submit();
    }}
}}
//]]>
</script>
<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATEGENERATOR" id="__VIEWSTATEGENERATOR" value="C2EE9ABB" />
<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="/wEdAAPx{n}kQ2fN5G7Yk=" />
</div>
<input name="ctl00$ContentPlaceHolder1$txtKey" type="text" id="ctl00_ContentPlaceHolder1_txtKey" />
<input type="submit" name="ctl00$ContentPlaceHolder1$btnSearch" value="搜索" id="ctl00_ContentPlaceHolder1_btnSearch" />
<table class="list">{items}</table>
<div id="ctl00_ContentPlaceHolder1_AspNetPager1" class="pager">共{len(entries)}条 {' '.join(links)}</div>
</form>"""
        return _page("政府信息公开年报", body).encode()

    p.set(path, render(1))
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")

    session = "ASP.NET_SessionId=qk3vbd1lq0pbsz2mz4hxr0ne"

    def hook(h, req_path: str) -> bool:
        if h.command == "GET" and req_path == path:  # the pager's state lives in the session too
            h.send_plain(200, render(1), {"Set-Cookie": session + "; path=/; HttpOnly"})
            return True
        if h.command != "POST" or req_path != path:
            return False
        form = {k: v[0] for k, v in parse_qs(h.post_body.decode(), keep_blank_values=True).items()}
        target = form.get("__EVENTTARGET", "")
        if linkbutton:  # the page: the numbered button's own, or the one after the posted state's
            m = re.fullmatch(r"ctl00\$ContentPlaceHolder1\$rptPager\$ctl(\d\d)\$lbPage", target)
            ask = int(m.group(1)) if m else issued.get(form.get("__VIEWSTATE", ""), 0) + 1 \
                if target == "ctl00$ContentPlaceHolder1$lbtnNext" else 0
            ok = form.get("__EVENTARGUMENT") == "" and 1 <= ask <= len(pages)
        else:
            ask = int(form.get("__EVENTARGUMENT") or 0)
            ok = target == "ctl00$ContentPlaceHolder1$AspNetPager1"
        if form.get("__VIEWSTATE") not in issued or "ctl00$ContentPlaceHolder1$btnSearch" in form or not ok \
                or session not in (h.headers.get("Cookie") or ""):
            h.send_plain(500, b"Invalid postback or callback argument.")
            return True
        h.send_plain(200, render(ask))
        return True

    p.hook = hook
    return _expect(p, entries, path, api_pages=len(pages) - 1)


# --- a listing filled by XHR JSON (tax-bureau style) -----------------------------------------------

def xhr_json(base: str) -> Replica:
    """The page is empty until its script POSTs {"columnId", "pageNo", "pageSize"} (JSON) to
    /api/info/getInfoList, which answers {"success", "results": {"data": [{"title", "url",
    "publishTime"}], "total"}}; 14 entries, 5 a page. Rendered once; pages 2 and 3 asked directly."""
    p = Portal()
    entries = _entries(p, 11, lambda i: f"/art/2023/{i % 12 + 1}/20/art_{8800 + i}.html", 4)
    size = 5
    # a sidebar linking to another column: the page has links, just none to a report
    side = '<div class="side"><a href="/xxgk/bmnb/">部门年报</a> <a href="/xxgk/gknb/index.html">政府信息公开年报</a></div>'
    title, body = report_page(40)
    p.set("/xxgk/bmnb/", _page("部门年报", f'<ul><li><a href="/xxgk/bmnb/t1.html">{title}</a></li></ul>'))
    p.set("/xxgk/bmnb/t1.html", body)
    p.set("/xxgk/gknb/index.html", _page("政府信息公开年报", side + """<ul id="list"></ul><div id="pager"></div>
<script>
function load(pageNo) {
  fetch('/api/info/getInfoList', {method: 'POST', headers: {'Content-Type': 'application/json;charset=UTF-8'},
        body: JSON.stringify({columnId: '2245', pageNo: pageNo, pageSize: %d})})
    .then(r => r.json()).then(res => {
      const ul = document.getElementById('list');
      for (const it of res.results.data) {
        const li = document.createElement('li'); const a = document.createElement('a');
        a.href = it.url; a.textContent = it.title; li.appendChild(a); ul.appendChild(li);
      }
      document.getElementById('pager').textContent = '共' + res.results.total + '条';
    });
}
load(1);
</script>""" % size))
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")

    def hook(h, path: str) -> bool:
        if h.command != "POST" or path != "/api/info/getInfoList":
            return False
        req = json.loads(h.post_body.decode())
        if req.get("columnId") != "2245":
            h.send_plain(200, b'{"success": true, "results": {"data": [], "total": 0}}', ct="application/json")
            return True
        n, k = int(req["pageNo"]), int(req["pageSize"])
        data = [{"title": t, "url": u, "publishTime": "2023-01-20"} for t, u, _ in entries][(n - 1) * k:n * k]
        h.send_plain(200, json.dumps({"success": True, "results": {"data": data, "total": len(entries)}},
                                     ensure_ascii=False).encode(), ct="application/json;charset=UTF-8")
        return True

    p.hook = hook
    r = _expect(p, entries, "/xxgk/gknb/index.html", api_pages=3)
    r.reports.add("/xxgk/bmnb/t1.html")
    return r


# --- Hanweb jpaas (page-building unit) -------------------------------------------------------------

def jpaas(base: str) -> Replica:
    """A jpaas column shell: unitbuild.js with queryData; the unit API answers {"data": {"html"}}
    15 entries a page by paramJson's pageNo; 33 entries → pages 1–3, page 4 comes back empty."""
    p = Portal()
    entries = _entries(p, 27, lambda i: f"/col/col1229123351/art/2023/art_{i:032x}.html", 5)
    assert len(entries) == 32
    entries.append(("示例市2000年政府信息公开工作年度报告", "/col/col1229123351/art/2001/art_end.html", True))
    p.set("/col/col1229123351/art/2001/art_end.html", WANGHUA.replace(b"2017", b"2000"))
    query = ("{'webId':'3630','tplSetId':'5HrZiFGOR8vHklhTYqM4B','pageType':'column','tagId':'当前栏目list',"
             "'editType':'null','pageId':'1229123351'}")
    p.set("/col/col1229123351/index.html", _page("政府信息公开年报", (
        '<div class="list" id="zfxxgknb"></div>'
        '<script type="text/javascript" src="/module/assets/AuthorizedRead/unitbuild.js" '
        'url="/api-gateway/jpaas-publish-server/front/page/build/unit" '
        f'queryData="{query}" charset="utf-8"></script>')))
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")

    def hook(h, path: str) -> bool:
        if not path.startswith("/api-gateway/jpaas-publish-server/front/page/build/unit"):
            return False
        q = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        if q.get("webId") != "3630" or q.get("pageId") != "1229123351" or q.get("parseType") != "bulidstatic":
            h.send_plain(200, b'{"success": false, "code": "404", "data": null}', ct="application/json")
            return True
        pj = json.loads(q["paramJson"])
        n, k = int(pj["pageNo"]), int(pj["pageSize"])
        lis = "".join(f'<li><a href="{u}" title="{html.escape(t)}" target="_blank">{html.escape(t[:20])}</a>'
                      f"<span>[2023-01-30]</span></li>" for t, u, _ in entries[(n - 1) * k:n * k])
        body = {"success": True, "code": "200", "data": {"html": f'<ul class="page-content">{lis}</ul>' if lis else ""}}
        h.send_plain(200, json.dumps(body, ensure_ascii=False).encode(), ct="application/json;charset=UTF-8")
        return True

    p.hook = hook
    return _expect(p, entries, "/col/col1229123351/index.html", api_pages=4)


# --- JSP column paged by cur_page (iList.jsp) ------------------------------------------------------

def ilist_jsp(base: str) -> Replica:
    """/info/iList.jsp?cat_id=10009 (the URL form of e.g. www.yidaiyilu.gov.cn's columns): plain
    entry links, a pager whose links call goPage(n), a script building
    `iList.jsp?cat_id=10009&cur_page=` + n, and "共 4 页"."""
    p = Portal()
    entries = _entries(p, 15, lambda i: f"/info/iList.jsp?tm_id=126&cat_id=10009&info_id={2300 + i}", 4)
    pages = _split(entries, 5)
    for n, items in enumerate(pages, start=1):
        ul = '<ul class="commonList_dot">' + "".join(
            f'<li><a href="/info/iList.jsp?tm_id=126&cat_id=10009&info_id={u.rsplit("=", 1)[1]}" '
            f'title="{html.escape(t)}" target="_blank">{html.escape(t[:20])}</a><span>2023-01-30</span></li>'
            for t, u, _ in items) + "</ul>"
        pager = (f'<div class="page">共 {len(pages)} 页 第 {n} 页 '
                 + ('<a href="javascript:goPage(1)">首页</a> ' if n > 1 else "")
                 + (f'<a href="javascript:goPage({n + 1})">下一页</a> '
                    f'<a href="javascript:goPage({len(pages)})">尾页</a>' if n < len(pages) else "")
                 + '</div><script type="text/javascript">function goPage(n) '
                   '{ window.location.href = "iList.jsp?cat_id=10009&cur_page=" + n; }</script>')
        p.set("/info/iList.jsp?cat_id=10009" + ("" if n == 1 else f"&cur_page={n}"), _page("政府信息公开年报", ul + pager))
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    return _expect(p, entries, "/info/iList.jsp?cat_id=10009")
