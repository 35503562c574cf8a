"""Render a report text (as the seeds in ../shared/seeds have it: tables as pipe rows or one cell
per line) into a realistic portal detail page: the standard tables as real <table>s with
rowspan/colspan laid out like the national templates (国办公开办函〔2019〕60号 / 〔2021〕30号),
wrapped in TRS-like site chrome (meta tags, breadcrumb, 字号 大中小, 打印本页, ICP/公网安备/网站标识码).

Used by build.py (the bundled sample portal) and by benchmarks/bench_crawl.py (generated portals).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

NUM = re.compile(r"^-?\d+(?:\.\d+)?$")

T2_2021 = [("规章", 3), ("行政规范性文件", 3), ("行政许可", 1), ("行政处罚", 1), ("行政强制", 1),
           ("行政事业性收费", 1)]
T2_2019 = [("规章", 3), ("规范性文件", 3), ("行政许可", 3), ("其他对外管理服务事项", 3),
           ("行政处罚", 3), ("行政强制", 3), ("行政事业性收费", 2), ("政府集中采购", 2)]
T3_ROWS_HEAD = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量"]
T3_RESULTS = [
    ("(一)予以公开", None), ("(二)部分公开(区分处理的,只计这一情形,不计其他情形)", None),
    ("1.属于国家秘密", "(三)不予公开"), ("2.其他法律行政法规禁止公开", "(三)不予公开"),
    ("3.危及“三安全一稳定”", "(三)不予公开"), ("4.保护第三方合法权益", "(三)不予公开"),
    ("5.属于三类内部事务信息", "(三)不予公开"), ("6.属于四类过程性信息", "(三)不予公开"),
    ("7.属于行政执法案卷", "(三)不予公开"), ("8.属于行政查询事项", "(三)不予公开"),
    ("1.本机关不掌握相关政府信息", "(四)无法提供"), ("2.没有现成信息需要另行制作", "(四)无法提供"),
    ("3.补正后申请内容仍不明确", "(四)无法提供"),
    ("1.信访举报投诉类申请", "(五)不予处理"), ("2.重复申请", "(五)不予处理"),
    ("3.要求提供公开出版物", "(五)不予处理"), ("4.无正当理由大量反复申请", "(五)不予处理"),
    ("5.要求行政机关确认或重新出具已获取信息", "(五)不予处理"),
]
T3_OTHER_2021 = [("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "(六)其他处理"),
                 ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "(六)其他处理"),
                 ("3.其他", "(六)其他处理")]
T3_OTHER_2019 = [("(六)其他处理", None)]
T3_TAIL = [("(七)总计", None)]
T3_LAST = "四、结转下年度继续办理"


def _key(s: str) -> str:
    return re.sub(r"[\s\"“”'()()、.．]", "", s)


@dataclass
class ParsedSeed:
    intro: list[str] = field(default_factory=list)
    outro: list[str] = field(default_factory=list)
    template: str = "legacy"
    t2: dict[str, list[str]] = field(default_factory=dict)
    t3: dict[str, list[str]] = field(default_factory=dict)
    t4: list[str] = field(default_factory=list)


def _tokens(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for cell in line.split("|"):
            c = cell.strip().replace("\u3000", "")
            if c:
                out.append(c)
    return out


def _walk(tokens: list[str], labels: list[str]) -> dict[str, list[str]]:
    """Find each label in order; the numbers right after it are its row."""
    out: dict[str, list[str]] = {}
    pos = 0
    for label in labels:
        k = _key(label)[:8]
        for i in range(pos, len(tokens)):
            if _key(tokens[i]).startswith(k):
                nums = []
                j = i + 1
                while j < len(tokens) and NUM.match(tokens[j]):
                    nums.append(tokens[j])
                    j += 1
                out[label] = nums
                pos = j
                break
    return out


def parse_seed(text: str) -> ParsedSeed:
    lines = [l.rstrip() for l in text.splitlines()]
    idx = {name: None for name in ("t2", "t3", "t4", "t5")}
    for i, l in enumerate(lines):
        s = l.strip()
        if idx["t2"] is None and s.startswith("二、") and "主动公开政府信息情况" in s and "|" not in s:
            idx["t2"] = i
        elif idx["t2"] is not None and idx["t3"] is None and s.startswith("三、") and "申请情况" in s:
            idx["t3"] = i
        elif idx["t3"] is not None and idx["t4"] is None and s.startswith("四、") and "行政复议" in s:
            idx["t4"] = i
        elif idx["t4"] is not None and idx["t5"] is None and s.startswith("五、"):
            idx["t5"] = i
    p = ParsedSeed()
    if None in idx.values():
        p.intro = [l.strip() for l in lines if l.strip()]
        return p
    p.intro = [l.strip() for l in lines[: idx["t2"]] if l.strip()]
    p.outro = [l.strip() for l in lines[idx["t5"]:] if l.strip()]
    t2 = _tokens(lines[idx["t2"] + 1: idx["t3"]])
    p.template = "2021" if any("本年制发件数" in t for t in t2) else "2019"
    spec2 = T2_2021 if p.template == "2021" else T2_2019
    p.t2 = _walk(t2, [l for l, _ in spec2])
    t3 = _tokens(lines[idx["t3"] + 1: idx["t4"]])
    other = T3_OTHER_2021 if p.template == "2021" else T3_OTHER_2019
    labels3 = T3_ROWS_HEAD + [l for l, _ in T3_RESULTS + other + T3_TAIL] + [T3_LAST]
    p.t3 = _walk(t3, labels3)
    t4 = _tokens(lines[idx["t4"] + 1: idx["t5"]])
    p.t4 = [t for t in t4 if NUM.match(t)][:15]
    return p


def _td(v: str = "", rs: int = 1, cs: int = 1, head: bool = False) -> str:
    attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
    style = ' style="text-align:center"' if head else ""
    return f"<td{attrs}{style}><p>{html.escape(v) if v else '&nbsp;'}</p></td>"


def _cells7(nums: list[str]) -> list[str]:
    if len(nums) >= 7:
        return nums[:7]
    if len(nums) == 2:  # one-cell-per-line copies: only 自然人 and 总计 were printed
        return [nums[0], "", "", "", "", "", nums[1]]
    return (nums + [""] * 7)[:7]


def table2_html(p: ParsedSeed) -> str:
    r = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" class="MsoNormalTable">']
    if p.template == "2021":
        groups = [("第二十条第(一)项", ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"], ["规章", "行政规范性文件"]),
                  ("第二十条第(五)项", ["信息内容", "本年处理决定数量"], ["行政许可"]),
                  ("第二十条第(六)项", ["信息内容", "本年处理决定数量"], ["行政处罚", "行政强制"]),
                  ("第二十条第(八)项", ["信息内容", "本年收费金额(单位:万元)"], ["行政事业性收费"])]
    else:
        groups = [("第二十条第(一)项", ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"], ["规章", "规范性文件"]),
                  ("第二十条第(五)项", ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"], ["行政许可", "其他对外管理服务事项"]),
                  ("第二十条第(六)项", ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"], ["行政处罚", "行政强制"]),
                  ("第二十条第(八)项", ["信息内容", "上一年项目数量", "本年增/减"], ["行政事业性收费"]),
                  ("第二十条第(九)项", ["信息内容", "采购项目数量", "采购总金额"], ["政府集中采购"])]
    for title, head, rows in groups:
        r.append("<tr>" + _td(title, cs=4, head=True) + "</tr>")
        n = len(head) - 1
        spans = {3: [1, 1, 1], 2: [1, 2], 1: [3]}[n]
        r.append("<tr>" + _td(head[0], head=True) + "".join(_td(h, cs=c, head=True) for h, c in zip(head[1:], spans)) + "</tr>")
        for label in rows:
            vals = (p.t2.get(label, []) + [""] * n)[:n]
            r.append("<tr>" + _td(label) + "".join(_td(v, cs=c) for v, c in zip(vals, spans)) + "</tr>")
    r.append("</table>")
    return "\n".join(r)


def table3_html(p: ParsedSeed, flat: bool = False) -> str:
    """Table 3 as a Word export prints it; `flat`: as some CMS editors flatten it, each result row
    one label cell holding its group labels too (三、本年度办理结果（六）其他处理3.其他), no rowspans."""
    r = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" class="MsoNormalTable">']
    r.append("<tr>" + _td("(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", rs=3, cs=3, head=True)
             + _td("申请人情况", cs=7, head=True) + "</tr>")
    r.append("<tr>" + _td("自然人", rs=2, head=True) + _td("法人或其他组织", cs=5, head=True)
             + _td("总计", rs=2, head=True) + "</tr>")
    r.append("<tr>" + "".join(_td(h, head=True) for h in ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]) + "</tr>")
    for label in T3_ROWS_HEAD:
        r.append("<tr>" + _td(label, cs=3) + "".join(_td(v) for v in _cells7(p.t3.get(label, []))) + "</tr>")
    other = T3_OTHER_2021 if p.template == "2021" else T3_OTHER_2019
    results = T3_RESULTS + other + T3_TAIL
    group_sizes: dict[str, int] = {}
    for _, g in results:
        if g:
            group_sizes[g] = group_sizes.get(g, 0) + 1
    first = True
    emitted: set[str] = set()
    for label, group in results:
        cells = ""
        if flat:
            cells = _td("三、本年度办理结果" + (group or "") + label, cs=3)
        elif first:
            cells += _td("三、本年度办理结果", rs=len(results))
            first = False
        if flat:
            pass
        elif group is None:
            cells += _td(label, cs=2)
        else:
            if group not in emitted:
                cells += _td(group, rs=group_sizes[group])
                emitted.add(group)
            cells += _td(label)
        r.append("<tr>" + cells + "".join(_td(v) for v in _cells7(p.t3.get(label, []))) + "</tr>")
    r.append("<tr>" + _td(T3_LAST, cs=3) + "".join(_td(v) for v in _cells7(p.t3.get(T3_LAST, []))) + "</tr>")
    r.append("</table>")
    return "\n".join(r)


def table4_html(p: ParsedSeed) -> str:
    sub = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    vals = (p.t4 + [""] * 15)[:15]
    r = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" class="MsoNormalTable">',
         "<tr>" + _td("行政复议", cs=5, head=True) + _td("行政诉讼", cs=10, head=True) + "</tr>",
         "<tr>" + "".join(_td(h, rs=2, head=True) for h in sub) + _td("未经复议直接起诉", cs=5, head=True)
         + _td("复议后起诉", cs=5, head=True) + "</tr>",
         "<tr>" + "".join(_td(h, head=True) for h in sub * 2) + "</tr>",
         "<tr>" + "".join(_td(v) for v in vals) + "</tr>",
         "</table>"]
    return "\n".join(r)


def body_html(text: str, flat: bool = False) -> str:
    p = parse_seed(text)
    parts = [f"<p>{html.escape(l)}</p>" for l in p.intro]
    if p.template != "legacy":
        parts += ["<p><strong>二、主动公开政府信息情况</strong></p>", table2_html(p),
                  "<p><strong>三、收到和处理政府信息公开申请情况</strong></p>", table3_html(p, flat),
                  "<p><strong>四、政府信息公开行政复议、行政诉讼情况</strong></p>", table4_html(p)]
        parts += [f"<p>{html.escape(l)}</p>" for l in p.outro]
    return "\n".join(parts)


@dataclass
class Site:
    name: str = "示例市人民政府"
    icp: str = "辽ICP备19010590号-1"
    police: str = "辽公网安备 21090202000123号"
    site_code: str = "2109000022"


def page_html(*, title: str, body: str, site: Site, published: str, source: str,
              breadcrumb: list[tuple[str, str]], index_no: str = "", charset: str = "utf-8",
              attachments: list[tuple[str, str]] = (), extra_head: str = "") -> str:
    crumbs = " &gt; ".join(f'<a href="{u}">{html.escape(t)}</a>' for t, u in breadcrumb)
    att = ""
    if attachments:
        att = '<div class="fujian"><p>附件:</p>' + "".join(
            f'<p><a href="{u}" target="_blank">{html.escape(t)}</a></p>' for t, u in attachments) + "</div>"
    meta_table = ""
    if index_no:
        meta_table = (f'<table class="xxgk-meta"><tr><td>索引号:</td><td>{index_no}</td><td>发布机构:</td>'
                      f"<td>{html.escape(source)}</td></tr><tr><td>公开方式:</td><td>主动公开</td>"
                      f"<td>发布日期:</td><td>{published}</td></tr></table>")
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title)}_{html.escape(site.name)}</title>
<meta name="SiteName" content="{html.escape(site.name)}">
<meta name="SiteIDCode" content="{site.site_code}">
<meta name="ArticleTitle" content="{html.escape(title)}">
<meta name="PubDate" content="{published} 09:30">
<meta name="ContentSource" content="{html.escape(source)}">
{extra_head}<link rel="stylesheet" href="/css/style.css">
</head>
<body>
<div class="header"><div class="logo">{html.escape(site.name)}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/zfxxgk/">政府信息公开</a></li>
<li><a href="/xwzx/">新闻中心</a></li><li><a href="/bsfw/">办事服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul>
<form action="/search/" method="get"><input name="q"><button>搜索</button></form></div>
<div class="position">当前位置:{crumbs}</div>
<div class="article">
{meta_table}
<h1 class="title">{html.escape(title)}</h1>
<div class="info">发布时间:{published} 来源:{html.escape(source)} 浏览次数:<span id="hits">1024</span>
 字号:[<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a>]</div>
<div class="TRS_Editor">
{body}
</div>
{att}
<div class="tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="footer"><p>主办单位:{html.escape(site.name)}办公室 版权所有</p>
<p><a href="https://beian.miit.gov.cn/">{site.icp}</a> {site.police} 网站标识码:{site.site_code}</p></div>
</body>
</html>
"""
