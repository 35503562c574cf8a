"""Link and title classification for discovery (no Scrapy, no network).

What a report title is, is the parser's rule (`parsers.classify`): a 政府信息公开(工作)年度报告
for some year; notices about reports (关于做好…年度报告…的通知), 政府工作报告, 预算/决算, 解读
and news are not. This module adds what only a crawler needs: truncated anchors, report
columns, navigation, pagination, attachments.
"""
from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import urlsplit

from parsers.classify import NOT_REPORT as _NOT_REPORT
from parsers.classify import YEAR as _YEAR
from parsers.classify import is_report_title as _is_full_report_title

_TRUNCATED = re.compile(r"(?:\.\.\.|…|。。。)\s*$")


def is_report_title(title: str) -> bool:
    """A link or page title naming one year's report (the parser's rule), also when a listing
    cut the anchor short: 某某区2020年政府信息公开工作年度..."""
    if _is_full_report_title(title):
        return True
    t = re.sub(r"\s+", "", title or "")
    return bool(_TRUNCATED.search(t)) and "信息公开" in t and bool(_YEAR.search(t)) \
        and not _NOT_REPORT.search(t)


# --- columns (annual-report listings) and navigation towards them -------------------------

_COLUMN_TEXT = re.compile(r"(?:信息公开|政务公开)?(?:工作)?年报|年度报告|部门年报|公开年报")
_COLUMN_PATH = re.compile(
    r"/[a-z_]*(?:gknb|ndbg|xxgkndbg|gkndbg|ndbb)[a-z0-9_]*(?:/|\.s?html?$|\.jsp$)", re.I
)
_NAV_TEXT = re.compile(r"^(?:政府信息公开|信息公开|政务公开|法定主动公开内容|政府信息公开专栏|部门信息公开|部门公开|公开目录)$")
_NAV_PATH = re.compile(r"/(?:zfxxgk|xxgk|zwgk|bmxxgk|gk|zfxxgks)/?$", re.I)

ATTACHMENT_EXT = (".pdf", ".doc", ".docx", ".wps")
_ATTACH_QUERY = re.compile(r"(?:file(?:name)?|name)=[^&]*\.(?:pdf|docx?|wps)(?:&|$)", re.I)
_SKIP_EXT = re.compile(
    r"\.(?:jpe?g|png|gif|bmp|svg|ico|css|js|zip|rar|7z|xlsx?|pptx?|mp[34]|avi|flv|swf|exe|apk|txt|xml)$",
    re.I,
)


def is_column_link(text: str, url: str) -> bool:
    """A link to an annual-report column (listing), not to one report."""
    t = re.sub(r"\s+", "", text or "")
    if t and is_report_title(t):
        return False
    if t and _YEAR.search(t) and ("报告" in t or "年报" in t) and not _COLUMN_TEXT.fullmatch(t):
        # "2020年度报告" style per-year sub-column: still a column if short
        if len(t) > 14:
            return False
    path = urlsplit(url).path
    if t and _COLUMN_TEXT.search(t) and not _NOT_REPORT.search(t) and len(t) <= 20:
        return True
    if not _COLUMN_PATH.search(path) or is_attachment_url(url):
        return False
    # an entry stored under the column's folder (…/zfxxgknb/201909/t20190915_5009.htm, a 解读 or
    # a budget) is a page of its own, not the column: only the folder, its index/list pages or a
    # page named after the column are
    last = path.rsplit("/", 1)[-1].lower()
    return not last or last.startswith(("index", "list", "default")) or bool(_COLUMN_PATH.search("/" + last))


def is_nav_link(text: str, url: str) -> bool:
    """A link that leads towards report columns from a home page (信息公开 sections)."""
    t = re.sub(r"\s+", "", text or "")
    if t and _NAV_TEXT.match(t):
        return True
    return bool(_NAV_PATH.search(urlsplit(url).path))


def is_attachment_url(url: str) -> bool:
    parts = urlsplit(url)
    path = parts.path.lower()
    return path.endswith(ATTACHMENT_EXT) or bool(_ATTACH_QUERY.search(parts.query))


def is_skipped_url(url: str) -> bool:
    return bool(_SKIP_EXT.search(urlsplit(url).path))


_PAGER_TEXT = re.compile(r"^(?:下一页|下页|上一页|上页|首页|尾页|末页|最后一页|\d{1,4}|\[\d{1,4}\]|>|>>|»|next)$", re.I)
_PAGER_URL = re.compile(r"(?:/index_\d+\.s?html?$|/\d{1,4}\.s?html?$|[?&](?:page|pageno|pageindex|pagenum|p|curpage|currentpage)=\d{1,5}(?:&|$))", re.I)


def is_pager_link(text: str, url: str, listing_url: str) -> bool:
    """Pagination of a listing: 下一页 / page numbers / index_N.html / ?page=N (same folder)."""
    t = re.sub(r"\s+", "", text or "")
    u, base = urlsplit(url), urlsplit(listing_url)
    same_folder = u.path.rsplit("/", 1)[0] == base.path.rsplit("/", 1)[0]
    if _PAGER_TEXT.match(t) and (same_folder or _PAGER_URL.search(url)):
        return True
    return same_folder and bool(_PAGER_URL.search(url)) and not is_report_title(t)


_CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^)]*)\)")


TRS_PAGE_CAP = 500  # pages one createPageHTML call may declare: a calendar-trap guard


def _trs_calls(html_text: str) -> Iterator[tuple[int, str, str]]:
    """(declared page count, file name, extension) of each TRS `createPageHTML` call."""
    for m in _CREATE_PAGE.finditer(html_text):
        args = [a.strip().strip("'\"") for a in m.group(1).split(",")]
        nums = [int(a) for a in args if a.isdigit()]
        strs = [a for a in args if a and not a.isdigit() and re.fullmatch(r"[A-Za-z0-9_\-]+", a)]
        if not nums or len(strs) < 2:
            continue
        if len(args) >= 6 and not args[0].isdigit():  # ('div', N, cur, name, ext, count)
            total = int(args[1]) if args[1].isdigit() else nums[0]
        else:
            total = nums[0]
        yield total, strs[-2], strs[-1]


def trs_declared_pages(html_text: str) -> int:
    """The largest page count a TRS `createPageHTML` call on the page declares (0: none)."""
    return max((total for total, _, _ in _trs_calls(html_text)), default=0)


def trs_pages(html_text: str, cap: int = TRS_PAGE_CAP) -> list[str]:
    """Pages written by TRS `createPageHTML(N, current, "index", "html")` (also the newer
    `createPageHTML('page_div', N, current, 'index', 'html', count)`): relative file names
    index.html, index_1.html … index_{N-1}.html, at most `cap` of them."""
    out: list[str] = []
    for total, name, ext in _trs_calls(html_text):
        for i in range(max(0, min(total, cap))):
            out.append(f"{name}.{ext}" if i == 0 else f"{name}_{i}.{ext}")
    return out
