"""Build the bundled offline sample portal (crawler/sample_portal/site/) from the five seed texts.

    python3 -m crawler.sample_portal.build [--seeds ../shared/seeds] [--out crawler/sample_portal/site]

The generated files are committed, so `nianbao demo` works on a fresh machine without the seeds.
Layout (TRS WCM style):
  /                                  home: 政府信息公开 nav, a 政府工作报告 link (not a report)
  /zwgk/zfxxgk/                      信息公开 section: columns incl. 政府信息公开年报
  /zwgk/zfxxgk/zfxxgknb/index.html   the column, page 1; page 2 (index_1.html) exists only
                                     through createPageHTML(2, 0, "index", "html")
  …/t2022xxxx_*.html                 detail pages (one GBK-encoded without a charset header)
  …/P020230130_*.docx                one report only as a DOCX attachment
  …/P020220120_*.pdf                 one report only as a PDF attachment (LibreOffice export)
  …/t20220128_3001.html              table 3 with flattened labels (三、本年度办理结果（六）其他处理3.其他)
  /zwgk/zfxxgk/tzgg/…                a notice about reports (关于做好…年度报告…的通知): not a report
"""
from __future__ import annotations

import argparse
import html
import io
import json
import os
import re

from crawler.sample_portal.render import Site, body_html, page_html, parse_seed

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "site")
DEFAULT_SEEDS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "..", "shared", "seeds")

SITE = Site()
COL = "/zwgk/zfxxgk/zfxxgknb/"

# seed file prefix → title, agency, published, detail path, encoding, how the report is delivered
REPORTS = [
    ("000", "大连市西岗区2021年政府信息公开工作年度报告", "大连市西岗区人民政府", "2022-01-28",
     "202201/t20220128_3001.html", "utf-8", "flat"),
    ("003", "阜新市煤炭工业转型发展局2021年政府信息公开工作年度报告", "阜新市煤炭工业转型发展局", "2022-01-20",
     "202201/t20220120_2871.html", "utf-8", "pdf"),
    ("004", "新前街道2020年度政府信息公开年度报告", "新前街道", "2021-01-25",
     "202101/t20210125_1517.html", "gbk", "html"),
    ("001", "呼伦贝尔经济技术开发区2022年政府信息公开工作年度报告", "呼伦贝尔经济技术开发区管理委员会", "2023-01-30",
     "202301/t20230130_4410.html", "utf-8", "docx"),
    ("002", "望花区2017年政府信息公开工作年度报告", "抚顺市望花区人民政府", "2018-03-20",
     "201803/t20180320_988.html", "utf-8", "html"),
]
# the reports delivered as an attachment of a short "详见附件" page
ATTACHMENTS = {"001": "/P020230130_560419.docx", "003": "/P020220120_287101.pdf"}
NOTICE = ("关于做好2021年度政府信息公开工作年度报告编制发布工作的通知", "/zwgk/zfxxgk/tzgg/202112/t20211215_2650.html")
GZBG = ("2023年示例市政府工作报告", "/zwgk/zfjg/gzbg/202301/t20230115_4102.html")

_CHROME_LINE = re.compile(r"^(?:索引号|发布机构|公开方式|发布日期|日期:|【打印本页】)|浏览量|^政府信息公开工作年度报告$")


def clean_seed(text: str, title: str) -> str:
    lines = [l for l in text.splitlines() if not _CHROME_LINE.search(l.strip()) and l.strip() != title]
    return "\n".join(lines)


def _docx_bytes(title: str, text: str) -> bytes:
    """A Word document with the report's paragraphs and its tables (merged cells kept)."""
    import docx  # python-docx
    import lxml.html

    d = docx.Document()
    d.add_heading(title, level=1)
    frag = lxml.html.fragment_fromstring(body_html(text), create_parent="div")
    for el in frag:
        if el.tag == "p":
            d.add_paragraph(el.text_content())
        elif el.tag == "table":
            rows = el.findall(".//tr")
            grid: dict[tuple[int, int], bool] = {}
            placed = []
            ncols = 0
            for r, tr in enumerate(rows):
                c = 0
                for td in tr.findall("td"):
                    while grid.get((r, c)):
                        c += 1
                    rs, cs = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
                    for i in range(rs):
                        for j in range(cs):
                            grid[(r + i, c + j)] = True
                    placed.append((r, c, rs, cs, td.text_content().strip().replace("\xa0", "")))
                    c += cs
                    ncols = max(ncols, c)
            t = d.add_table(rows=len(rows), cols=ncols)
            t.style = "Table Grid"
            for r, c, rs, cs, val in placed:
                cell = t.cell(r, c)
                if rs > 1 or cs > 1:
                    cell = cell.merge(t.cell(r + rs - 1, c + cs - 1))
                cell.text = val
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def report_page(prefix: str, seeds_dir: str = DEFAULT_SEEDS) -> bytes:
    """A seed report as a plain HTML detail page (UTF-8), as the portal renders its HTML reports,
    for those the portal delivers otherwise (test portals and benchmarks want every seed as a page)."""
    _, title, agency, pub, path, _, _ = next(r for r in REPORTS if r[0] == prefix)
    seed = next(f for f in sorted(os.listdir(seeds_dir)) if f.startswith(prefix))
    with open(os.path.join(seeds_dir, seed), encoding="utf-8") as f:
        text = clean_seed(f.read(), title)
    return page_html(title=title, body=body_html(text), site=SITE, published=pub, source=agency,
                     breadcrumb=[("首页", "/"), ("政府信息公开年报", COL)],
                     index_no=f"11210{prefix}0000/{pub[:4]}-{path[-9:-5]}").encode("utf-8")


def _pdf_bytes(docx_bytes: bytes) -> bytes:
    """The Word document exported to PDF by LibreOffice, as many portals publish it (ruled tables,
    embedded CJK font): build time only, the output is committed."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "report.docx")
        with open(src, "wb") as f:
            f.write(docx_bytes)
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile",
                        "--convert-to", "pdf", "--outdir", tmp, src], check=True, capture_output=True, timeout=180)
        with open(os.path.join(tmp, "report.pdf"), "rb") as f:
            return f.read()


def build(seeds_dir: str, out: str) -> dict[str, str]:
    files: dict[str, bytes] = {}
    headers: dict[str, str] = {}
    listing_items = []
    crumbs = [("首页", "/"), ("政府信息公开", "/zwgk/zfxxgk/"), ("政府信息公开年报", COL)]
    for prefix, title, agency, pub, path, enc, mode in REPORTS:
        seed = [f for f in sorted(os.listdir(seeds_dir)) if f.startswith(prefix)][0]
        text = clean_seed(open(os.path.join(seeds_dir, seed), encoding="utf-8").read(), title)
        url = COL + path
        attachments = []
        if mode in ("docx", "pdf"):
            att = COL + path.rsplit("/", 1)[0] + ATTACHMENTS[prefix]
            files[att] = _docx_bytes(title, text) if mode == "docx" else _pdf_bytes(_docx_bytes(title, text))
            attachments = [(title + "." + mode, os.path.basename(att))]
            body = f"<p>{html.escape(title)}详见附件。</p>"
        else:
            body = body_html(text, flat=mode == "flat")
        page = page_html(title=title, body=body, site=SITE, published=pub, source=agency,
                         breadcrumb=crumbs, charset="gbk" if enc == "gbk" else "utf-8",
                         index_no=f"11210{prefix}0000/{pub[:4]}-{path[-9:-5]}",
                         attachments=attachments)
        files[url] = page.encode("gbk" if enc == "gbk" else "utf-8")
        if enc == "gbk":
            headers[url] = "text/html"  # no charset in the header: only <meta> says GBK
        listing_items.append((title, url, pub))
    listing_items.sort(key=lambda t: t[2], reverse=True)
    # page 1: three reports and the notice; page 2 (index_1.html) reached only via createPageHTML
    pages = [listing_items[:3] + [(NOTICE[0], NOTICE[1], "2021-12-15")], listing_items[3:]]
    for n, items in enumerate(pages):
        lis = "\n".join(
            f'<li><a href="{u}" title="{html.escape(t)}" target="_blank">{html.escape(t if len(t) < 24 else t[:22] + "...")}</a><span>{d}</span></li>'
            for t, u, d in items)
        body = f"""<ul class="list">{lis}</ul>
<div class="page"><script type="text/javascript">
var currentPage = {n};var countPage = {len(pages)}
createPageHTML({len(pages)}, {n}, "index", "html");
</script></div>"""
        files[COL + ("index.html" if n == 0 else f"index_{n}.html")] = _shell("政府信息公开年报", body, crumbs).encode()
    files[NOTICE[1]] = page_html(title=NOTICE[0], body="<p>各县区政府、市政府各部门:请按照《条例》要求,于1月31日前公开本机关2021年度政府信息公开工作年度报告。</p>",
                                 site=SITE, published="2021-12-15", source="示例市政务公开办",
                                 breadcrumb=[("首页", "/"), ("通知公告", "/zwgk/zfxxgk/tzgg/")]).encode()
    files[GZBG[1]] = page_html(title=GZBG[0], body="<p>各位代表:现在,我代表市人民政府向大会报告工作……</p>",
                               site=SITE, published="2023-01-15", source="示例市人民政府",
                               breadcrumb=[("首页", "/")]).encode()
    files["/zwgk/zfxxgk/index.html"] = _shell("政府信息公开", f"""<ul class="columns">
<li><a href="/zwgk/zfxxgk/fdzdgknr/">法定主动公开内容</a></li>
<li><a href="/zwgk/zfxxgk/zfxxgkzn/">政府信息公开指南</a></li>
<li><a href="{COL}">政府信息公开年报</a></li>
<li><a href="/zwgk/zfxxgk/tzgg/">通知公告</a></li></ul>""", [("首页", "/"), ("政府信息公开", "/zwgk/zfxxgk/")]).encode()
    files["/index.html"] = _shell("首页", f"""<div class="banner">欢迎访问{SITE.name}门户网站</div>
<ul class="news"><li><a href="{GZBG[1]}">{GZBG[0]}</a></li>
<li><a href="/xwzx/202301/t20230131_1.html">我市召开2023年政务公开工作会议</a></li></ul>""", [("首页", "/")]).encode()
    files["/zwgk/zfxxgk/fdzdgknr/index.html"] = _shell("法定主动公开内容", """<ul class="list">
<li><a href="/zwgk/zfxxgk/fdzdgknr/jgzn/">机构职能</a></li><li><a href="/zwgk/zfxxgk/fdzdgknr/czzj/">财政资金</a></li>
<li><a href="/zwgk/zfxxgk/fdzdgknr/czzj/202302/t20230210_77.html">2023年示例市本级部门预算公开说明</a></li></ul>""",
                                                       [("首页", "/"), ("政府信息公开", "/zwgk/zfxxgk/")]).encode()
    files["/robots.txt"] = b"User-agent: *\nDisallow: /search/\nDisallow: /hdjl/\n"
    files["/css/style.css"] = b"body{font-family:sans-serif}\n"
    os.makedirs(out, exist_ok=True)
    for path, data in files.items():
        dest = os.path.join(out, path.lstrip("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)
    with open(os.path.join(out, "_headers.json"), "w", encoding="utf-8") as f:
        json.dump(headers, f, ensure_ascii=False, indent=1)
    by_page = {COL + path: (prefix, title) for prefix, title, _, _, path, _, mode in REPORTS if mode in ("docx", "pdf")}
    expected = {u: t for t, u, _ in listing_items if u not in by_page}
    for page, (prefix, title) in by_page.items():
        expected[page.rsplit("/", 1)[0] + ATTACHMENTS[prefix]] = title
    with open(os.path.join(out, "_expected_reports.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
    return expected


def _shell(title: str, body: str, crumbs: list[tuple[str, str]]) -> str:
    c = " &gt; ".join(f'<a href="{u}">{html.escape(t)}</a>' for t, u in crumbs)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}_{html.escape(SITE.name)}</title>
<meta name="SiteIDCode" content="{SITE.site_code}">
<script src="/js/page.js"></script></head>
<body><div class="header"><div class="logo">{html.escape(SITE.name)}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/zfxxgk/">政府信息公开</a></li>
<li><a href="/xwzx/">新闻中心</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置:{c}</div>
<div class="main"><h2>{html.escape(title)}</h2>
{body}
</div>
<div class="footer"><p><a href="https://beian.miit.gov.cn/">{SITE.icp}</a> {SITE.police} 网站标识码:{SITE.site_code}</p>
<p><a href="http://www.gov.cn/">中国政府网</a></p></div>
</body></html>
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=DEFAULT_SEEDS)
    ap.add_argument("--out", default=DEFAULT_OUT)
    a = ap.parse_args()
    exp = build(a.seeds, a.out)
    print(f"sample portal written to {a.out}: {len(exp)} reports")


if __name__ == "__main__":
    main()
