"""Epoint 新点 columns, and JSP columns paged by a `curpage`-style parameter.

1. Epoint WebBuilder: the column's script POSTs `params={"siteGuid": …, "categoryNum": "003001",
   "pageIndex": 0, "pageSize": 12, …}` to `…/rest/frontAppCustomAction/getPageInfoListNew`, which
   answers `{"custom": {"count": N, "infodata": [{"title", "infourl", "infodate"}]}}`.
   Detected by: `getPageInfoList…` with a siteGuid and a categoryNum in the page.
2. JSP columns (Epoint's older sites, `iList.jsp?cat_id=…&cur_page=2`, `…?curpage=2`,
   `?pageing=2`, `?pageIndex=2`): the pager shows a few page links and "共 N 页"; every page
   1 … N is built from one pager link by setting its page parameter.
   Detected by: "共 N 页" (or `totalPage = N`) and a pager link carrying one of those parameters.
"""
from __future__ import annotations

import html as htmllib
import json
import math
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from crawler.listings.base import ApiCall, Found, Page, entry

NAME = "epoint"
_API = re.compile(r"""["']([^"'\s]*getPageInfoList\w*)["']""")
_GUID = re.compile(r"""siteGuid["']?\s*[:=]\s*["']([\w-]{8,})["']""", re.I)
_SCRIPT_SRC = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+\.js)(?:\?[^"']*)?["']""", re.I)
MAX_SCRIPTS = 6
# real scripts write them `categoryNum: "003001"`, `"categorynum":"003001"`, `pageindex = 1` …
_CATEGORY = re.compile(r"""categoryNum["']?\s*[:=]\s*["']?(\d+)""", re.I)
_SIZE = re.compile(r"""pageSize["']?\s*[:=]\s*["']?(\d+)""", re.I)
_INDEX = re.compile(r"""pageIndex["']?\s*[:=]\s*["']?(\d+)""", re.I)
_TOTAL_PAGES = re.compile(r"共\s*(\d{1,4})\s*页|totalPages?\s*[:=]\s*['\"]?(\d{1,4})|\d{1,4}\s*/\s*(\d{1,4})\s*页", re.I)
PAGE_PARAMS = ("cur_page", "curpage", "currentpage", "pageing", "paging", "pageindex", "pageno", "pagenum")
_HAS_PARAM = re.compile(r"[?&](?:%s)=" % "|".join(PAGE_PARAMS), re.I)
# a script building the pager URL: location.href = "moreinfo.jsp?categoryNum=003&curpage=" + n
_PAGER_TEMPLATE = re.compile(r"""["']([^"'\s<>]*[?&](?:%s)=)["']\s*\+""" % "|".join(PAGE_PARAMS), re.I)
# a pager URL in an href, an onclick or a script: '?Paging=2', "moreinfo.jsp?categoryNum=003&curpage=2"
_PAGER_URL = re.compile(r"""["']([^"'\s<>]*[?&](?:%s)=\d{1,4}[^"'\s<>]*)["']""" % "|".join(PAGE_PARAMS), re.I)


def webbuilder_call(api: str, params: dict, index: int, referer: str) -> ApiCall:
    p = dict(params, pageIndex=index)
    return ApiCall(NAME, api, "POST", {"params": json.dumps(p, ensure_ascii=False, separators=(",", ":"))},
                   label=f"{params['categoryNum']}&pageIndex={index}",
                   headers={"X-Requested-With": "XMLHttpRequest", "Referer": referer},
                   state={"params": params, "index": index, "referer": referer})


def _jsp_pages(page: Page) -> list[str]:
    """Every page of a column whose pager links carry a page parameter: 1 … N where N is the
    declared count ("共 N 页", "1/N页") or else the highest page linked (each page then links on)."""
    if not _HAS_PARAM.search(page.text):
        return []
    found = [(urljoin(page.url, htmllib.unescape(m)), m) for m in _PAGER_URL.findall(page.text)]
    total = _TOTAL_PAGES.search(page.text)
    if not found and total:  # only a script that appends the number: the declared count says how many
        found = [(urljoin(page.url, htmllib.unescape(m)) + "1", m) for m in _PAGER_TEMPLATE.findall(page.text)]
    here = urlsplit(page.url)
    found = [(u, m) for u, m in found if urlsplit(u).netloc == here.netloc
             and urlsplit(u).path.rsplit("/", 1)[0] == here.path.rsplit("/", 1)[0]]
    if not found:
        return []
    url = found[0][0]
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    name = next(k for k, _ in query if k.lower() in PAGE_PARAMS)
    seen = [int(v) for u, _ in found for k, v in parse_qsl(urlsplit(u).query) if k == name and v.isdigit()]
    first = _first_index(page, name, here.query) if 0 not in seen else 0
    n = int(next(g for g in total.groups() if g)) if total else max(seen) - first + 1
    current = next((v for k, v in parse_qsl(here.query) if k == name and v.isdigit()), str(first))
    out = []
    for i in range(first, first + min(n, 500)):
        if str(i) == current or i == first:
            continue  # this page itself; the first page is the column's own URL (no parameter)
        q = [(k, str(i) if k == name else v) for k, v in query]
        out.append(parts._replace(query=urlencode(q), fragment="").geturl())
    return out


def _first_index(page: Page, name: str, own_query: str) -> int:
    """Whether the pager counts from 0 or 1 (`pageIndex=1` may be the second page): a numbered
    link's text against its parameter ("2" → pageIndex=1), or, on the column's first page, 下一页's."""
    if page.doc is None:
        return 1
    first_page = not any(k == name for k, _ in parse_qsl(own_query))
    for a in page.doc.iter("a"):
        target = " ".join(filter(None, (a.get("href"), a.get("onclick"))))
        m = re.search(r"[?&]%s=(\d{1,4})" % re.escape(name), htmllib.unescape(target))
        if not m:
            continue
        text = re.sub(r"\s+", "", a.text_content() or "")
        if text.isdigit() and 0 < int(text) < 10_000:
            return 0 if int(m.group(1)) == int(text) - 1 else 1
        if first_page and re.match(r"下一?页|next", text, re.I):
            return 0 if int(m.group(1)) == 1 else 1
    return 1


def _category(page: Page) -> str | None:
    m = _CATEGORY.search(page.text)
    if m:
        return m.group(1)
    m = re.search(r"/(\d{6,12})/[^/]*$", urlsplit(page.url).path)  # /xxgk/003001/moreinfo.html
    return m.group(1) if m else None


def inspect(page: Page) -> Found | None:
    found = Found()
    hinted = any(h in page.text for h in ("getPageInfoList", "EpointWebBuilder", "EWB-FRONT", "webBuilderCommon"))
    cat = _category(page) if hinted else None
    if cat:
        api = _API.search(page.text)
        guid = _GUID.search(page.text)
        size = int((_SIZE.search(page.text) or [0, 10])[1])
        index = int((_INDEX.search(page.text) or [0, 0])[1])
        setup = {"categoryNum": cat, "pageSize": size, "index": index, "page_url": page.url,
                 "guid": guid.group(1) if guid else None,
                 "api": urljoin(page.url, api.group(1)) if api else None,
                 "prefix": "/EWB-FRONT" if "EWB-FRONT" in page.text else "/EpointWebBuilder"}
        call = _listing_call(setup)
        if call is not None:
            found.calls.append(call)
        else:  # siteGuid (and the API) live in the site's scripts (webBuilderCommon.js)
            host = urlsplit(page.url).netloc
            srcs = [urljoin(page.url, s) for s in _SCRIPT_SRC.findall(page.text)]
            srcs = sorted((s for s in srcs if urlsplit(s).netloc == host),
                          key=lambda s: not re.search(r"webbuilder|common|list", s, re.I))[:MAX_SCRIPTS]
            found.calls += [ApiCall(NAME, s, kind="asset", state={"setup": setup}) for s in srcs]
        found.family = NAME
    pages = [u for u in _jsp_pages(page) if u != page.url]
    if pages:
        found.pages += pages
        found.family = NAME
    return found


def _listing_call(setup: dict) -> ApiCall | None:
    """The first getPageInfoListNew call, once the site's guid is known (the API path defaults
    to the WebBuilder one)."""
    if not setup.get("guid"):
        return None
    root = "{0.scheme}://{0.netloc}".format(urlsplit(setup["page_url"]))
    api = setup.get("api") or root + setup["prefix"] + "/rest/frontAppCustomAction/getPageInfoListNew"
    params = {"siteGuid": setup["guid"], "categoryNum": setup["categoryNum"], "kw": "", "startDate": "",
              "endDate": "", "pageIndex": 0, "pageSize": setup["pageSize"]}
    return webbuilder_call(api, params, setup["index"], setup["page_url"])


def answer(call: ApiCall, url: str, body: bytes, text: str) -> Found:
    if "setup" in call.state:  # one of the site's scripts: does it name the guid (and the API)?
        setup = dict(call.state["setup"])
        guid, api = _GUID.search(text), _API.search(text)
        setup["guid"] = setup["guid"] or (guid.group(1) if guid else None)
        if api and not setup.get("api"):
            setup["api"] = urljoin(setup["page_url"], api.group(1))
        listing = _listing_call(setup)
        return Found(family=NAME, calls=[listing] if listing else [])
    data = json.loads(text)
    custom = data.get("custom") or {}
    if isinstance(custom, str):  # some versions send it as a JSON string
        custom = json.loads(custom)
    infos = custom.get("infodata") or custom.get("infolist") or custom.get("list") or []
    found = Found(family=NAME)
    for i in infos if isinstance(infos, list) else []:
        e = entry(i.get("infourl") or i.get("url") or i.get("linkurl"),
                  i.get("title") or i.get("customtitle") or i.get("infotitle"), call.state["referer"])
        if e:
            found.links.append(e)
    params, index = call.state["params"], call.state["index"]
    if index == call.state.get("first", index) and "next" not in call.state:
        count = custom.get("count") or custom.get("total") or custom.get("totalcount") or 0
        pages = math.ceil(int(count) / max(int(params["pageSize"]), 1))
        for i in range(index + 1, index + pages):
            c = webbuilder_call(call.url, params, i, call.state["referer"])
            c.state["next"] = True
            found.calls.append(c)
    return found
