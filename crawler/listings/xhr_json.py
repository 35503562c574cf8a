"""Listings filled by an XHR that answers JSON (tax-bureau style `POST …/getList` answering
`{"results": {"data": [{"title", "url"}], "total": N}}`, Hanweb jpaas, and others).

Such a page is rendered once with Chromium (the spider does that for a listing without links);
while it renders, the browser's XHR/fetch answers are captured (`Capture`). Here the one that
brought the entries is recognised — a JSON list of objects with a link-like field and a
title-like field — together with its page parameter (page, pageNo, pageIndex, curPage …) and the
count the answer declares (total, totalCount, totalPage, pageCount …). The other pages are then
requested from that API directly, without the browser, with the same method, headers and body
but the page parameter changed.

Detected by: a captured JSON answer holding such a list (no markup to detect: the page is blank
until its script runs).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

from crawler.listings.base import ApiCall, Found, entry

NAME = "xhr_json"
PAGE_KEYS = ("page", "pageno", "pagenum", "pageindex", "curpage", "currentpage", "current", "pagenumber",
             "page_no", "page_index", "cur_page")
SIZE_KEYS = ("pagesize", "size", "rows", "limit", "perpage", "prepage", "page_size", "pagecount_per")
PAGES_KEYS = ("totalpage", "totalpages", "pagecount", "pages", "pagetotal", "total_page", "total_pages")
TOTAL_KEYS = ("total", "totalcount", "totalrecord", "totalrecords", "recordcount", "count", "totalsize",
              "totalelements", "totalnum", "total_count")
URL_KEYS = ("url", "link", "href", "docpuburl", "chnldocurl", "infourl", "post_url", "linkurl", "pageurl",
            "docurl", "visiturl", "art_url")
TITLE_KEYS = ("title", "doctitle", "name", "bt", "showtitle", "infotitle", "subject")
MAX_PAGES = 500
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LINKLIKE = re.compile(r"^(?:https?://|/|\./|\.\./)|\.(?:s?html?|jsp|aspx?|php|pdf|docx?)(?:[?#]|$)", re.I)


@dataclass
class Capture:
    """One XHR/fetch answer the browser received while rendering a listing."""
    method: str
    url: str
    body: str  # the request body ("" for GET)
    content_type: str  # the request's Content-Type
    text: str | None = None  # the answer (None until read)


_JSONP = re.compile(r"^\s*[\w$.]+\s*\((.*)\)\s*;?\s*$", re.S)


def load(text: str) -> Any:
    """JSON, or JSONP (`jQuery123({...})`)."""
    try:
        return json.loads(text)
    except ValueError:
        m = _JSONP.match(text or "")
        if not m:
            raise
        return json.loads(m.group(1))


class CaptureStore:
    """The XHR/fetch answers of pages being rendered, by page URL: filled by the browser's
    response events (scrapy-playwright page event handler), taken when the rendered page arrives."""

    def __init__(self) -> None:
        self._by_page: dict[str, list[Capture]] = {}

    async def on_response(self, response: Any) -> None:
        req = response.request
        if req.resource_type not in ("xhr", "fetch"):
            return
        ctype = (response.headers.get("content-type") or "").lower()
        if not any(t in ctype for t in ("json", "javascript", "text/plain")):
            return
        try:
            page_url = response.frame.page.url
        except Exception:  # noqa: BLE001 - a page already closed
            return
        cap = Capture(req.method, req.url, req.post_data or "", (await req.all_headers()).get("content-type", ""))
        self._by_page.setdefault(page_url, []).append(cap)
        try:
            cap.text = (await response.body()).decode("utf-8", "replace")[:5_000_000]
        except Exception:  # noqa: BLE001 - the page went away first
            cap.text = ""

    async def take(self, url: str) -> list[Capture]:
        caps = self._by_page.pop(url, []) + (self._by_page.pop(url.rstrip("/"), []) if url.endswith("/") else [])
        for _ in range(40):  # answers still being read when the page was handed over (≤ 2 s)
            if all(c.text is not None for c in caps):
                break
            await asyncio.sleep(0.05)
        return [c for c in caps if c.text]


def _walk(obj: Any, path: tuple = (), depth: int = 0) -> Iterator[tuple[tuple, list]]:
    """Every list of objects in a JSON document, with its path."""
    if depth > 5:
        return
    if isinstance(obj, list):
        if obj and all(isinstance(x, dict) for x in obj):
            yield path, obj
        for i, x in enumerate(obj[:3]):
            yield from _walk(x, path + (i,), depth + 1)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, path + (k,), depth + 1)


def _fields(items: list[dict]) -> tuple[str, str] | None:
    """The (url field, title field) of a list of entries, or None if it is not one."""
    keys = {k for it in items for k in it}

    def share(k: str, test) -> float:
        return sum(1 for it in items if isinstance(it.get(k), str) and test(it[k])) / len(items)

    urls = sorted((k for k in keys if share(k, lambda v: bool(_LINKLIKE.search(v.strip()))) >= 0.6),
                  key=lambda k: (k.lower() not in URL_KEYS, k))
    titles = sorted((k for k in keys if share(k, lambda v: len(_CJK.findall(v)) >= 4 and not _LINKLIKE.search(v)) >= 0.6),
                    key=lambda k: (k.lower() not in TITLE_KEYS, k))
    return (urls[0], titles[0]) if urls and titles else None


def _titles_only(items: list[dict]) -> str | None:
    """The title field of a list whose entries carry no link (the page's script builds it)."""
    keys = {k for it in items for k in it}
    titles = sorted((k for k in keys if sum(1 for it in items if isinstance(it.get(k), str)
                                            and len(_CJK.findall(it[k])) >= 4) / len(items) >= 0.6),
                    key=lambda k: (k.lower() not in TITLE_KEYS, k))
    return titles[0] if titles else None


def _template(items: list[dict], title_key: str, dom_links: list[tuple[str, str]]) -> tuple[str, str] | None:
    """How the page's script builds an entry's link, learnt from the rendered page: the link whose
    text is an entry's title contains one of the entry's values ("/detail.html?id=" + id). The
    template must give the rendered link for every entry shown."""
    by_title = {re.sub(r"\s+", "", t): u for u, t in dom_links}
    shown = [(it, by_title[re.sub(r"\s+", "", str(it.get(title_key)))]) for it in items
             if re.sub(r"\s+", "", str(it.get(title_key))) in by_title]
    if not shown:
        return None
    it0, url0 = shown[0]
    for k, v in it0.items():
        v = str(v)
        if k == title_key or len(v) < 2 or v not in url0:
            continue
        template = url0.replace(v, "{%s}" % k, 1)
        if all(template.replace("{%s}" % k, str(it.get(k))) == u for it, u in shown):
            return template, k
    return None


def _entries(items: list, st: dict, base: str) -> list[tuple[str, str]]:
    out = []
    for it in items:
        if not isinstance(it, dict):
            continue
        url = it.get(st["url_key"]) if st.get("url_key") else st["template"].replace(
            "{%s}" % st["id_key"], str(it.get(st["id_key"])))
        e = entry(url, it.get(st["title_key"]), base)
        if e:
            out.append(e)
    return out


def _get(obj: Any, path: tuple | list) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def _find_number(obj: Any, names: tuple, depth: int = 0) -> int | None:
    if not isinstance(obj, dict) or depth > 3:
        return None
    for k, v in obj.items():
        if k.lower() in names and (isinstance(v, int) or (isinstance(v, str) and v.isdigit())):
            return int(v)
    for v in obj.values():
        n = _find_number(v, names, depth + 1)
        if n is not None:
            return n
    return None


def _params(c: Capture) -> tuple[str, dict[str, Any]]:
    """Where the page parameter travels ("query", "form" or "json") and the parameters."""
    if c.method == "GET" or not c.body:
        return "query", dict(parse_qsl(urlsplit(c.url).query, keep_blank_values=True))
    if "json" in c.content_type.lower() or c.body.lstrip().startswith("{"):
        try:
            data = json.loads(c.body)
            if isinstance(data, dict):
                return "json", data
        except ValueError:
            pass
    return "form", dict(parse_qsl(c.body, keep_blank_values=True))


def _key(params: dict, names: tuple) -> str | None:
    return next((k for k in params if k.lower() in names and str(params[k]).isdigit()), None)


def _call(c: Capture, where: str, params: dict, page_key: str, page: int, state: dict) -> ApiCall:
    p = dict(params, **{page_key: page if where == "json" and isinstance(params[page_key], int) else str(page)})
    headers = {"X-Requested-With": "XMLHttpRequest", "Referer": state["referer"]}
    if where == "query":
        url = urlsplit(c.url)._replace(query=urlencode(p), fragment="").geturl()
        return ApiCall(NAME, url, c.method, headers=headers, state=state)
    body = json.dumps(p, ensure_ascii=False) if where == "json" else urlencode(p)
    headers["Content-Type"] = c.content_type or ("application/json" if where == "json"
                                                  else "application/x-www-form-urlencoded")
    digest = hashlib.sha1(json.dumps({k: v for k, v in params.items() if k != page_key}, sort_keys=True,
                                     ensure_ascii=False).encode()).hexdigest()[:10]
    return ApiCall(NAME, c.url, c.method, body=body, headers=headers, label=f"{page_key}={page}&{digest}", state=state)


def from_captures(page_url: str, captures: list[Capture], dom_links: list[tuple[str, str]] = ()) -> Found:
    """The entries the rendered page received, and calls for its other pages. `dom_links` are the
    rendered page's links: an API whose entries carry no link is read through them (`_template`)."""
    found = Found()
    for c in captures:
        try:
            data = load(c.text or "")
        except ValueError:
            continue
        best = None
        for path, items in _walk(data):
            fields = _fields(items)
            if fields:
                st = {"url_key": fields[0], "title_key": fields[1]}
            else:
                title_key = _titles_only(items)
                tpl = _template(items, title_key, list(dom_links)) if title_key else None
                st = {"template": tpl[0], "id_key": tpl[1], "title_key": title_key} if tpl else None
            if st and (best is None or len(items) > len(best[1])):
                best = (path, items, st)
        if best is None:
            continue
        path, items, st = best
        found.family = NAME
        found.links += _entries(items, st, page_url)
        where, params = _params(c)
        page_key = _key(params, PAGE_KEYS)
        if page_key is None:
            continue  # one answer holds the whole list
        first = int(params[page_key])
        size_key = _key(params, SIZE_KEYS)
        size = int(params[size_key]) if size_key else len(items)
        pages = _find_number(data, PAGES_KEYS)
        if pages is None:
            total = _find_number(data, TOTAL_KEYS)
            pages = math.ceil(total / max(size, 1)) if total else 1
        state = {"path": list(path), **st, "referer": page_url}
        found.calls += [_call(c, where, params, page_key, p, state)
                        for p in range(first + 1, first + min(pages, MAX_PAGES))]
    return found


def inspect(page: Any) -> None:
    """Nothing to see in the markup: the rendered page's captures are read by `from_captures`."""
    return None


def answer(call: ApiCall, url: str, body: bytes, text: str) -> Found:
    items = _get(load(text), call.state["path"])
    return Found(family=NAME, links=_entries(items, call.state, call.state["referer"]))
