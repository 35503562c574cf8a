"""Hanweb's newer jpaas sites (浙江、江苏、国家部委: mofcom, miit, samr …).

The column page is a shell with a page-building unit script:
`<script src="…/AuthorizedRead/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
queryData="{'webId':'…','tplSetId':'…','pageType':'column','tagId':'当前栏目list','editType':'null','pageId':'…'}">`.
The script GETs that unit URL with queryData, `parseType=bulidstatic` (sic) and
`paramJson={"pageNo":N,"pageSize":15}`; the answer is `{"success": true, "data": {"html": "<ul>…</ul>"}}`,
the list's markup. No count is declared: pages are asked one after the other until one comes
back empty (or repeats the previous one), within the column's pager budget.

Detected by: a script element with a `queryData` attribute naming a pageId and a webId (or the
unit URL beside it); without one, the unit URL in the page with a webId and a pageId written near
it (script settings or `data-page-id` attributes).
"""
from __future__ import annotations

import html as htmllib
import json
import re
from urllib.parse import urlencode, urljoin

from crawler import classify
from crawler.listings.base import ApiCall, Found, Page, fragment_links, js_pairs, looks_like_column

NAME = "jpaas"
UNIT = "/api-gateway/jpaas-publish-server/front/page/build/unit"
PAGE_SIZE = 15
_SCRIPT = re.compile(r"<script\b[^>]*\bquerydata\s*=\s*(\"[^\"]*\"|'[^']*')[^>]*>", re.I | re.S)
_URL_ATTR = re.compile(r"""\burl\s*=\s*["']([^"']+)["']""", re.I)


def _query(raw: str) -> dict[str, str] | None:
    """queryData as a dict (None when it is not an object)."""
    raw = raw.strip()
    if not (raw.startswith("{") and raw.endswith("}")):
        return None
    try:
        data = json.loads(raw)
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else None
    except ValueError:
        return js_pairs(raw)  # single quotes, bare keys or numbers, a trailing comma


def unit_call(unit_url: str, query: dict, page: int, referer: str, size: int = PAGE_SIZE,
              previous: str = "") -> ApiCall:
    params = dict(query, parseType=query.get("parseType", "bulidstatic"),
                  paramJson=json.dumps({"pageNo": page, "pageSize": size}, separators=(",", ":")))
    if "pageNo" in query:  # some units take the page as a parameter of its own (mofcom)
        params["pageNo"] = str(page)
    return ApiCall(NAME, unit_url + "?" + urlencode(params), declared=False, headers={"Referer": referer},
                   state={"unit": unit_url, "query": query, "page": page, "size": size, "referer": referer,
                          "previous": previous})


_UNIT_KEYS = ("webId", "pageId", "tplSetId", "pageType", "tagId", "parseType", "editType")


def _near_unit(text: str) -> dict[str, str]:
    """The unit's parameters when no queryData attribute holds them: written near the unit URL
    as script settings (`pageId: '1229…'`, `var webId = "3630"`) or data attributes
    (`data-page-id="…"`)."""
    at = text.find(UNIT)
    window = text[max(0, at - 3000):at + 5000]
    out = {}
    for key in _UNIT_KEYS:
        kebab = re.sub(r"[A-Z]", lambda c: "-" + c.group(0).lower(), key)
        m = (re.search(r"""\b%s["']?\s*[:=]\s*["']([^"'<>]{1,120})["']""" % key, window)
             or re.search(r"""\bdata-%s\s*=\s*["']([^"'<>]{1,120})["']""" % kebab, window, re.I))
        if m:
            out[key] = htmllib.unescape(m.group(1))
    return out


def inspect(page: Page) -> Found | None:
    has_query = "queryData" in page.text or "querydata" in page.text or "QUERYDATA" in page.text
    if not has_query and UNIT not in page.text:
        return None
    found = Found()
    units: list[tuple[str, dict[str, str]]] = []
    for m in _SCRIPT.finditer(page.text) if has_query else ():
        query = _query(htmllib.unescape(m.group(1)[1:-1]))
        url = _URL_ATTR.search(m.group(0))
        named = bool(url and "build/unit" in url.group(1))
        # the unit: a webId and a pageId, or a pageId beside the unit URL (mohurd writes no webId)
        if not query or "pageId" not in query or not ("webId" in query or named):
            continue
        units.append((urljoin(page.url, url.group(1) if named else UNIT), query))
    if not units and UNIT in page.text:
        query = _near_unit(page.text)
        if {"webId", "pageId"} <= query.keys():
            units.append((urljoin(page.url, UNIT), query))
    for unit, query in units:
        size = int(query["pageSize"]) if str(query.get("pageSize", "")).isdigit() else PAGE_SIZE
        call = unit_call(unit, query, 1, page.url, size)
        call.state["column"] = looks_like_column(page)
        found.calls.append(call)
        found.family = NAME
    return found


def answer(call: ApiCall, url: str, body: bytes, text: str) -> Found:
    data = json.loads(text)
    # {"data": {"html": "<ul>…"}}; some units answer {"data": "<ul>…"}
    inner = data.get("data") if isinstance(data, dict) else None
    markup = (inner.get("html") or "") if isinstance(inner, dict) else inner if isinstance(inner, str) else ""
    st = call.state
    links = fragment_links(markup, st["referer"]) if markup.strip() else []
    found = Found(family=NAME, links=links)
    first = links[0][0] if links else ""
    reports = any(classify.is_report_title(t) for _, t in links)
    if links and first != st.get("previous") and (reports or st.get("column")):
        # a page with new entries (reports, or any on a report column): there may be another
        nxt = unit_call(st["unit"], st["query"], st["page"] + 1, st["referer"], st["size"], first)
        nxt.state["column"] = st.get("column")
        found.calls.append(nxt)
    return found
