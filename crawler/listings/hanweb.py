"""Hanweb 大汉 JCMS columns (`/col/col12345/index.html`).

The column page carries its first group of entries as CDATA inside
`<script type="text/xml"><datastore><nextgroup>…</nextgroup><recordset><record>…`, invisible to an
HTML parser. The jpage script then pages through the rest with POSTs to
`/module/web/jpage/dataproxy.jsp?startrecord=S&endrecord=E&perpage=P` (form: col, appid, webid,
path, columnid, sourceContentType, unitid, webname, permissiontype — the parameters of the
nextgroup link), each answering a `<datastore>` with `<totalrecord>` and the next records. The
page declares `totalRecord:N` and `perPage:P` in its `$('#unitid').jpage({...})` call.

Detected by: a `<datastore>` with `<record>` CDATA. A datastore is paged only when it is the
column's own list (its columnid is the /col/colN/ of the page, or its entries are reports), not
a sidebar's.
"""
from __future__ import annotations

import html as htmllib
import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from crawler import classify
from crawler.listings.base import ApiCall, Found, Page, fragment_links, looks_like_column

NAME = "hanweb"
DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"
# real pages vary: attributes on the tags, whitespace around the CDATA, records without CDATA
# (raw or entity-escaped markup), unquoted hrefs
_DATASTORE = re.compile(r"<datastore\b[^>]*>(.*?)</datastore\s*>", re.S | re.I)
_RECORD = re.compile(r"<record\b[^>]*>(.*?)</record\s*>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>(.*?)</nextgroup\s*>", re.S | re.I)
_CDATA = re.compile(r"^\s*<!\[CDATA\[(.*?)\]\]>\s*$", re.S)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>"']+))""", re.I)
_TOTAL_TAG = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_TOTAL_PAGES_TAG = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.I)
_PERPAGE_URL = re.compile(r"[?&]perpage=(\d+)", re.I)
_COL = re.compile(r"/col/col(\d+)/")
# the page's pager settings: $('#387788').jpage({ totalRecord: 88, perPage: 15, groupSize: 3, proxyUrl: '…' })
# (also `"totalRecord": 88`, `var totalrecord = 88`, `perPage : '15'`)
_SETTING = {k: re.compile(r"\b" + k + r"""['"]?\s*[:=]\s*['"]?([\w/.\-]+)""", re.I)
            for k in ("totalRecord", "perPage", "groupSize", "proxyUrl")}
FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
             "permissiontype")


def _unwrap(inner: str) -> str:
    """A record's (or nextgroup's) markup: its CDATA, or its text, unescaped when sent escaped."""
    m = _CDATA.match(inner)
    if m:
        return m.group(1)
    return htmllib.unescape(inner) if "&lt;" in inner else inner


def _records(block: str, base_url: str) -> list[tuple[str, str]]:
    """The links of every record, parsed as one fragment (one lxml parse, not one per record)."""
    recs = [_unwrap(r) for r in _RECORD.findall(block)]
    return fragment_links("".join(f"<div>{r}</div>" for r in recs), base_url) if recs else []


def _next_href(block: str) -> str | None:
    nxt = _NEXTGROUP.search(block)
    href = _HREF.search(_unwrap(nxt.group(1))) if nxt else None
    return htmllib.unescape(next(g for g in href.groups() if g)) if href else None


def _setting(text: str, name: str) -> str | None:
    m = _SETTING[name].search(text)
    return m.group(1) if m else None


def _form(next_href: str) -> dict[str, str]:
    q = dict(parse_qsl(urlsplit(htmllib.unescape(next_href)).query, keep_blank_values=True))
    form = {"col": "1", "appid": q.get("appid", "1"), "webid": q.get("webid", "1"), "path": q.get("path", "/"),
            "columnid": q.get("columnid", ""), "sourceContentType": q.get("sourceContentType", "1"),
            "unitid": q.get("unitid", ""), "webname": q.get("webname", ""),
            "permissiontype": q.get("permissiontype", "0")}
    return form


def group_calls(proxy: str, form: dict[str, str], total: int, group: int, per_page: int,
                first: int) -> list[ApiCall]:
    """POSTs for records first … total, `group` records each (the jpage script's own steps)."""
    calls = []
    for start in range(first, total + 1, max(group, 1)):
        end = min(start + group - 1, total)
        url = f"{proxy}?startrecord={start}&endrecord={end}&perpage={per_page}"
        calls.append(ApiCall(NAME, url, "POST", dict(form), label=f"columnid={form.get('columnid', '')}&startrecord={start}",
                             headers={"X-Requested-With": "XMLHttpRequest"},
                             state={"group": group, "perpage": per_page}))
    return calls


def inspect(page: Page) -> Found | None:
    if "<datastore" not in page.text and "<DATASTORE" not in page.text:
        return None
    found = Found(family=NAME)
    col = _COL.search(urlsplit(page.url).path)
    blocks = _DATASTORE.findall(page.text)
    paged = [b for b in blocks if _next_href(b)]
    for block in blocks:
        links = _records(block, page.url)
        found.links += links
        href = _next_href(block)
        if not href:
            continue
        form = _form(href)
        # the column's own list: its entries are reports, or the page is a report column and the
        # list is its own (its columnid, or the only one) — not a home page's or a section's news
        own = any(classify.is_report_title(t) for _, t in links) or (looks_like_column(page) and (
            (col is not None and form["columnid"] == col.group(1)) or len(paged) == 1))
        if not own:
            continue  # a sidebar's list of news: not this column's
        # this list's own settings: $('#<unitid>').jpage({...}) when the page has several lists
        own_call = re.search(r"""#%s['"]\s*\)\s*\.\s*jpage\s*\(\s*\{(.*?)\}\s*\)""" % re.escape(form["unitid"]),
                             page.text, re.S) if form["unitid"] else None
        settings = own_call.group(1) if own_call else page.text
        proxy = urljoin(page.url, _setting(settings, "proxyUrl") or urlsplit(href).path or DEFAULT_PROXY)
        # perPage in the jpage call, or only in a dataproxy URL (`…dataproxy.jsp?…&perpage=20`)
        per_url = _PERPAGE_URL.search(href) or _PERPAGE_URL.search(settings)
        per_page = int(_setting(settings, "perPage") or (per_url.group(1) if per_url else 15))
        group = len(_RECORD.findall(block)) or per_page * int(_setting(settings, "groupSize") or 3)
        total = _setting(settings, "totalRecord")
        if total is not None:
            found.calls += group_calls(proxy, form, int(total), group, per_page, group + 1)
        else:  # the count comes with the first answer
            calls = group_calls(proxy, form, group * 2, group, per_page, group + 1)
            for c in calls:
                c.state["discover"] = True
            found.calls += calls
    return found


def answer(call: ApiCall, url: str, body: bytes, text: str) -> Found:
    found = Found(family=NAME, links=_records(text, url))
    group, per_page = call.state["group"], call.state["perpage"]
    total_tag, pages_tag = _TOTAL_TAG.search(text), _TOTAL_PAGES_TAG.search(text)
    # some answers count pages only: as many records at most
    total = int(total_tag.group(1)) if total_tag else int(pages_tag.group(1)) * per_page if pages_tag else None
    if call.state.get("discover") and total is not None:
        proxy = call.url.split("?", 1)[0]
        start = int(re.search(r"startrecord=(\d+)", call.url).group(1))
        found.calls += group_calls(proxy, call.form or {}, total, group, per_page, start + group)
    return found
