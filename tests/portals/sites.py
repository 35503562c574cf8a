"""Imitation portals for the crawl tests (served on 127.0.0.1 by crawler.sample_portal.server).

Report pages are the bundled sample portal's pages (rendered from the seed reports) under new
URLs and titles. Each builder returns (Portal, expected) where `expected` lists the report paths
that must be archived and the paths that must never be requested.
"""
from __future__ import annotations

import html
import os
import re
import sys
import time
from dataclasses import dataclass, field

from crawler.sample_portal.server import Portal, PortalServer

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "crawler", "sample_portal", "site")
NB = "zwgk/zfxxgk/zfxxgknb"


def sample(rel: str) -> bytes:
    with open(os.path.join(SAMPLE, rel), "rb") as f:
        return f.read()


XIGANG = sample(f"{NB}/202201/t20220128_3001.html")  # template 2021, utf-8


def _fuxin() -> bytes:
    from conftest import SEEDS
    from crawler.sample_portal.build import report_page

    return report_page("003", str(SEEDS))  # the sample portal delivers it as a PDF


FUXIN = _fuxin()  # template 2021, utf-8
WANGHUA = sample(f"{NB}/201803/t20180320_988.html")  # legacy
XINQIAN_GBK = sample(f"{NB}/202101/t20210125_1517.html")  # GBK, <meta charset=gbk>
DOCX = sample(f"{NB}/202301/P020230130_560419.docx")


def retitle(page: bytes, old: str, new: str, encoding: str = "utf-8") -> bytes:
    return page.decode(encoding).replace(old, new).encode(encoding)


def shell(title: str, body: str, charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>{html.escape(title)}</title></head><body>"
            '<div class="nav"><a href="/">首页</a> <a href="/zwgk/zfxxgk/">政府信息公开</a> '
            '<a href="/search/?q=年报">搜索</a></div>'
            f"<h2>{html.escape(title)}</h2>{body}"
            '<div class="footer">辽ICP备19010590号 网站标识码:2109000022</div></body></html>')


def li(links: list[tuple[str, str]]) -> str:
    return '<ul class="list">' + "".join(
        f'<li><a href="{u}" title="{html.escape(t)}">{html.escape(t if len(t) < 24 else t[:22] + "...")}</a></li>'
        for t, u in links) + "</ul>"


@dataclass
class Site:
    portal: Portal
    reports: set[str]  # paths that must end up archived as reports
    never: set[str] = field(default_factory=set)  # paths that must never be requested
    notes: dict[str, str] = field(default_factory=dict)


def trs_site(other_host: str) -> Site:
    """A TRS WCM-style portal: home → 政府信息公开 → 政府信息公开年报 column with createPageHTML
    pagination, a 部门年报 column paginated by ?page=N / 下一页, attachments, faults and traps."""
    p = Portal()
    col = "/zwgk/zfxxgk/zfxxgknb/"
    p.set("/robots.txt", "User-agent: *\nDisallow: /search/\nDisallow: /zwgk/zfxxgk/zfxxgknb/nbk/\n", "text/plain")
    p.set("/", shell("示例区人民政府", """
<div class="news"><a href="/xwzx/202301/t20230105_1.html">我区召开政务公开工作推进会</a>
<a href="/zwgk/zfjg/gzbg/t20230110_2.html">2023年示例区政府工作报告</a>
<a href="%s">2022年示例市政府信息公开工作年度报告</a>
<a href="http://169.254.169.254/latest/meta-data/">2021年政府信息公开工作年度报告(镜像)</a>
<a href="file:///etc/passwd">2020年政府信息公开工作年度报告(本地)</a>
<a href="mailto:gk@example.gov.cn">联系我们</a></div>""" % (other_host + "zfxxgknb/t1.html")))
    p.set("/zwgk/zfxxgk/", shell("政府信息公开", li([
        ("政府信息公开指南", "/zwgk/zfxxgk/zn/"), ("政府信息公开年报", col),
        ("部门年报", "/bmnb/list?page=1"), ("通知公告", "/zwgk/tzgg/")])))
    reports = [
        ("示例区2022年政府信息公开工作年度报告", col + "202301/t20230120_101.html", XIGANG),
        ("示例区2021年政府信息公开工作年度报告", col + "202201/t20220125_102.html", FUXIN),
        ("示例区2020年政府信息公开工作年度报告", col + "202101/t20210128_103.html", XIGANG.replace(b"2021", b"2020")),
        ("示例区2017年政府信息公开工作年度报告", col + "201803/t20180320_104.html", WANGHUA),
    ]
    for t, u, body in reports:
        p.set(u, body)
    # the 2019 report is only a stub page with a DOCX attachment; 2018's is a PDF attachment
    stub19 = col + "202001/t20200120_105.html"
    p.set(stub19, shell("示例区2019年政府信息公开工作年度报告",
                        '<div class="TRS_Editor"><p>详见附件。</p></div><p>附件:<a href="./P020200120_5.docx">'
                        "示例区2019年政府信息公开工作年度报告.docx</a> <a href=\"/images/banner.jpg\">图</a></p>"))
    p.set(col + "202001/P020200120_5.docx", DOCX)
    stub18 = col + "201901/t20190125_106.html"
    p.set(stub18, shell("示例区2018年政府信息公开工作年度报告",
                        '<p>详见附件:<a href="P020190125_6.pdf">示例区2018年政府信息公开工作年度报告.pdf</a></p>'))
    try:
        sys.path.insert(0, os.path.dirname(HERE))
        import make_documents  # the parser tests' document maker (reportlab + CJK font)

        p.set(col + "201901/P020190125_6.pdf", make_documents.make_report_pdf())
        pdf_ok = True
    except Exception:  # noqa: BLE001
        p.set(col + "201901/P020190125_6.pdf", DOCX, "application/pdf")
        pdf_ok = False
    faulty = {
        "503": col + "202205/t20220510_201.html",  # 503 + Retry-After once, then OK: archived
        "500": col + "202205/t20220511_202.html",  # 500 always: error recorded
        "slow": col + "202205/t20220512_203.html",  # never answers in time
        "trunc": col + "202205/t20220513_204.html",  # Content-Length larger than the body
        "loop": col + "202205/t20220514_205.html",  # redirect loop
        "moved": col + "202205/t20220515_206.html",  # 301 to its new address: archived there
        "refresh": col + "202205/t20220516_207.html",  # meta refresh to the real page
        "gone": col + "202205/t20220517_208.html",  # 404
    }
    p.set(faulty["503"], FUXIN)
    p.set(col + "202205/t20220515_206_new.html", FUXIN.replace(b"2021", b"2016"))
    p.set(faulty["refresh"], '<html><head><meta http-equiv="refresh" content="0;url=t20220516_207_real.html"></head><body>跳转中</body></html>')
    p.set(col + "202205/t20220516_207_real.html", WANGHUA.replace(b"2017", b"2015"))
    pages = [
        [reports[0][:2], reports[1][:2], ("关于做好2022年度政府信息公开工作年度报告编制发布工作的通知", "/zwgk/tzgg/t20221201_9.html"),
         ("示例区2023年部门预算公开说明", "/zwgk/czyjs/t20230201_3.html")],
        [reports[2][:2], reports[3][:2], ("示例区2019年政府信息公开工作年度报告", stub19),
         ("示例区2018年政府信息公开工作年度报告", stub18)],
        [(f"示例区{y}年政府信息公开工作年度报告({k})", u) for y, (k, u) in zip(range(2009, 2017), faulty.items())]
        + [("示例区2008年政府信息公开工作年度报告", col + "nbk/t20090301_1.html"),  # robots.txt forbids
           ("2022年政府信息公开工作年度报告解读", col + "202301/t20230121_9.html")],
    ]
    for n, items in enumerate(pages):
        body = li(items) + (f'<div class="page"><script>createPageHTML({len(pages)}, {n}, "index", "html");</script></div>')
        p.set(col + ("index.html" if n == 0 else f"index_{n}.html"), shell("政府信息公开年报", body))
    # a ?page=N column: 下一页 links, and a calendar-style trap that never ends is guarded by limits
    bm = [("示例区财政局2022年政府信息公开工作年度报告", "/bmnb/czj/2022.html", XIGANG),
          ("示例区教育局2022年政府信息公开工作年度报告", "/bmnb/jyj/2022.html", FUXIN)]
    for t, u, body in bm:
        p.set(u, body)
    p.set("/bmnb/list?page=1", shell("部门年报", li([bm[0][:2]]) + '<a href="/bmnb/list?page=2">下一页</a>'))
    p.set("/bmnb/list?page=2", shell("部门年报", li([bm[1][:2]]) + '<a href="/bmnb/list?page=1">上一页</a>'))

    state = {"503": 0}

    def hook(h, path: str) -> bool:
        if path == faulty["503"] and state["503"] == 0:
            state["503"] += 1
            h.send_plain(503, b"busy", {"Retry-After": "1"})
            return True
        if path == faulty["500"]:
            h.send_plain(500, b"error")
            return True
        if path == faulty["slow"]:
            time.sleep(4)
            try:
                h.send_plain(200, XIGANG)
            except OSError:
                pass
            return True
        if path == faulty["trunc"]:
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", str(len(FUXIN)))
            h.end_headers()
            h.wfile.write(FUXIN[: len(FUXIN) // 3])
            h.close_connection = True
            return True
        if path in (faulty["loop"], faulty["loop"] + "?x"):
            h.send_plain(302, b"", {"Location": faulty["loop"] + ("" if path.endswith("?x") else "?x")})
            return True
        if path == faulty["moved"]:
            h.send_plain(301, b"", {"Location": col + "202205/t20220515_206_new.html"})
            return True
        return False

    p.hook = hook
    expected = {u for _, u, _ in reports} | {col + "202001/P020200120_5.docx", faulty["503"],
                                               col + "202205/t20220515_206_new.html",
                                               col + "202205/t20220516_207_real.html",
                                               "/bmnb/czj/2022.html", "/bmnb/jyj/2022.html"}
    if pdf_ok:
        expected.add(col + "201901/P020190125_6.pdf")
    never = {"/zwgk/zfjg/gzbg/t20230110_2.html", "/zwgk/tzgg/t20221201_9.html", "/zwgk/czyjs/t20230201_3.html",
             col + "nbk/t20090301_1.html", col + "202301/t20230121_9.html", "/xwzx/202301/t20230105_1.html",
             "/images/banner.jpg", "/zwgk/tzgg/", "/zwgk/zfxxgk/zn/", "/search/?q=年报"}
    return Site(p, expected, never, notes={**faulty, "pdf_ok": str(pdf_ok)})


def gbk_site() -> Site:
    """Old GB2312/GBK portal: no charset in any Content-Type header; one page declares GB2312 in
    <meta>, the report detail pages declare nothing at all."""
    p = Portal()
    listing = shell("政府信息公开年报", li([
        ("青山镇2020年度政府信息公开年度报告", "/gknb/2021/0125/1517.html"),
        ("青山镇2019年政府信息公开工作年度报告", "/gknb/2020/0120/1333.html"),
        ("关于报送2020年度政府信息公开工作年度报告的通知", "/tzgg/2020/1201/77.html")]), charset="gb2312")
    p.set("/", shell("青山镇人民政府", '<a href="/gknb/">政府信息公开年报</a>', charset="gb2312").encode("gbk"), "text/html")
    p.set("/gknb/", listing.encode("gbk"), "text/html")
    nometa = re.sub(rb'<meta http-equiv="Content-Type"[^>]*>', b"", XINQIAN_GBK)
    assert b"charset" not in nometa.lower()
    p.set("/gknb/2021/0125/1517.html", nometa, "text/html")
    p.set("/gknb/2020/0120/1333.html", retitle(nometa, "新前街道2020年度", "青山镇2019年", "gbk").replace(b"2020", b"2019"), "text/html")
    p.set("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    return Site(p, {"/gknb/2021/0125/1517.html", "/gknb/2020/0120/1333.html"}, {"/tzgg/2020/1201/77.html"})


def js_site() -> Site:
    """A listing whose static HTML has no links: a script fills it from a JSON API."""
    p = Portal()
    p.set("/zfxxgknb/", """<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title></head>
<body><h2>政府信息公开年报</h2><ul id="list"></ul>
<script>
fetch('/api/list.json').then(r => r.json()).then(items => {
  const ul = document.getElementById('list');
  for (const it of items) { const a = document.createElement('a'); a.href = it.url; a.textContent = it.title;
    const li = document.createElement('li'); li.appendChild(a); ul.appendChild(li); }
});
</script></body></html>""")
    p.set("/api/list.json", '[{"title": "云岭县2022年政府信息公开工作年度报告", "url": "/zfxxgknb/art/2023/1/30/art_1_901.html"},'
          ' {"title": "云岭县2021年政府信息公开工作年度报告", "url": "/zfxxgknb/art/2022/1/28/art_1_802.html"},'
          ' {"title": "关于做好2022年度政府信息公开工作年度报告的通知", "url": "/zfxxgknb/art/2022/12/1/art_1_700.html"}]',
          "application/json")
    p.set("/zfxxgknb/art/2023/1/30/art_1_901.html", XIGANG)
    p.set("/zfxxgknb/art/2022/1/28/art_1_802.html", FUXIN)
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    return Site(p, {"/zfxxgknb/art/2023/1/30/art_1_901.html", "/zfxxgknb/art/2022/1/28/art_1_802.html"},
                {"/zfxxgknb/art/2022/12/1/art_1_700.html"})


def serve(site: Site) -> PortalServer:
    return PortalServer(site.portal).start()
