"""Hanweb 大汉 JCMS columns (`/col/col12345/index.html`).

The column page carries its first group of entries as CDATA inside
`<script type="text/xml"><datastore><nextgroup>…</nextgroup><recordset><record>…`, invisible to an
HTML parser. The jpage script then pages through the rest with POSTs to
`/module/web/jpage/dataproxy.jsp?startrecord=S&endrecord=E&perpage=P` (form: col, appid, webid,
path, columnid, sourceContentType, unitid, webname, permissiontype — the parameters of the
nextgroup link), each answering a `<datastore>` with `<totalrecord>` and the next records. The
page declares `totalRecord:N` and `perPage:P` in its `$('#unitid').jpage({...})` call.

Older jpage pages (`/module/jslib/jquery/jpage/dataproxy.jsp`) carry no datastore: the first
group is a script array named by the call's `dataStore:` and the form is its `ajaxParam: {…}`.

Detected by: a `<datastore>` with `<record>` CDATA, or a jpage call with a dataStore and an
ajaxParam. A datastore is paged only when it is the
column's own list (its columnid is the /col/colN/ of the page, or its entries are reports), not
a sidebar's.
"""
from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

from crawler import classify
from crawler.listings.base import ApiCall, Found, Page, fragment_links, js_pairs, looks_like_column

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
# an older jpage call with its settings: $('#49468').jpage({…, dataStore:InitData49468, …, ajaxParam:{…}})
_JPAGE = re.compile(r"""\(\s*['"]#(\w+)['"]\s*\)\s*\.\s*jpage\s*\(\s*\{(.*?)\}\s*\)""", re.S)
_AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{(.*?)\}", re.S)
_JS_STR = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
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


@dataclass
class _List:
    """One paged list on a column page: its entries in the page and its dataproxy parameters."""
    links: list[tuple[str, str]]
    form: dict[str, str]
    records: int  # records the page itself holds (the first group)
    href: str = ""  # the nextgroup link (none for an older jpage's script array)


def _datastore_lists(page: Page) -> list[_List]:
    out = []
    for block in _DATASTORE.findall(page.text):
        href = _next_href(block)
        links = _records(block, page.url)
        out.append(_List(links, _form(href) if href else {}, len(_RECORD.findall(block)), href or ""))
    return out


def _array_lists(page: Page) -> list[_List]:
    """Older jpage pages (jslib/jquery/jpage): no datastore; the first group is a script array,
    `var InitData49468 = ['<a …>…</a>', …]`, named by the call's `dataStore:`, and the dataproxy
    form is its `ajaxParam: {col:1, appid:'1', webid:60, …, columnid:30067, unitid:'49468', …}`."""
    out = []
    for m in _JPAGE.finditer(page.text):
        settings = m.group(2)
        param = _AJAX_PARAM.search(settings)
        store = re.search(r"dataStore\s*:\s*([A-Za-z_$][\w$]*)", settings)
        if not param or not store:
            continue
        form = js_pairs(param.group(1))
        form.setdefault("unitid", m.group(1))
        array = re.search(r"\b%s\s*=\s*\[\s*((?:%s\s*,?\s*)*)\]" % (re.escape(store.group(1)), _JS_STR), page.text)
        items = [_js_unquote(x) for x in re.findall(_JS_STR, array.group(1))] if array else []
        links = fragment_links("".join(f"<div>{x}</div>" for x in items), page.url) if items else []
        out.append(_List(links, form, len(items)))
    return out


def _js_unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def inspect(page: Page) -> Found | None:
    has_store = "<datastore" in page.text or "<DATASTORE" in page.text
    if not has_store and "jpage" not in page.text:
        return None
    lists = _datastore_lists(page) if has_store else []
    known = {lst.form.get("unitid") for lst in lists if lst.form}
    lists += [lst for lst in _array_lists(page) if lst.form.get("unitid") not in known]
    if not lists:
        return None
    found = Found(family=NAME)
    col = _COL.search(urlsplit(page.url).path)
    paged = [lst for lst in lists if lst.form]
    for lst in lists:
        found.links += lst.links
        if not lst.form:
            continue
        form = lst.form
        # the column's own list: its entries are reports, or the page is a report column and the
        # list is its own (its columnid, or the only one) — not a home page's or a section's news
        own = any(classify.is_report_title(t) for _, t in lst.links) or (looks_like_column(page) and (
            (col is not None and form.get("columnid") == col.group(1)) or len(paged) == 1))
        if not own:
            continue  # a sidebar's list of news: not this column's
        # this list's own settings: $('#<unitid>').jpage({...}) when the page has several lists
        own_call = re.search(r"""#%s['"]\s*\)\s*\.\s*jpage\s*\(\s*\{(.*?)\}\s*\)""" % re.escape(form["unitid"]),
                             page.text, re.S) if form.get("unitid") else None
        settings = own_call.group(1) if own_call else page.text
        proxy = urljoin(page.url, _setting(settings, "proxyUrl") or urlsplit(lst.href).path or DEFAULT_PROXY)
        # perPage in the jpage call, or only in a dataproxy URL (`…dataproxy.jsp?…&perpage=20`)
        per_url = _PERPAGE_URL.search(lst.href) or _PERPAGE_URL.search(settings)
        per_page = int(_setting(settings, "perPage") or (per_url.group(1) if per_url else 15))
        group = lst.records or per_page * int(_setting(settings, "groupSize") or 3)
        total = _setting(settings, "totalRecord")
        if total is not None and total.isdigit():
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
