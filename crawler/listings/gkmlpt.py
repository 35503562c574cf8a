"""Guangdong's 政府信息公开目录 platform (`/gkmlpt/…`, e.g. `/gkmlpt/annualreport#2629`).

The page is a shell; its script reads the category from the URL fragment and the site from
`SID: '755031'`, and fills the list from `GET /gkmlpt/api/all/{category}?page=N&sid={SID}`,
which answers `{"total": T, "articles": [{"title", "url", "post_url", "create_time", …}]}`.

Detected by: a `/gkmlpt/` path with a SID in the page. The category comes from the URL's
fragment; links to gkmlpt pages keep theirs (a plain link parser drops it), so a site's
"政府信息公开年报 → /gkmlpt/annualreport#2629" link leads to the API too.
"""
from __future__ import annotations

import json
import math
import re
from urllib.parse import urldefrag, urljoin, urlsplit

from crawler import classify
from crawler.listings.base import ApiCall, Found, Page, entry

NAME = "gkmlpt"
# `SID: '755031'`, `"SID":"755031"`, `sid: 755031`, `window.SID = '2'`, `…&sid=755031`
_SID = re.compile(r"""\bsid["']?\s*[:=]\s*['"]?(\d+)""", re.I)
_TREE = re.compile(r"\bTREE\s*:\s*\[")
_NODE = re.compile(r"\{[^{}\[\]]*")  # a node's own fields, up to its children
_LINK = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']([^"'#]*gkmlpt/[^"'#]*#(\d+))["'][^>]*>(.*?)</a>""", re.S | re.I)


def api_call(page_url: str, category: str, sid: str, page: int) -> ApiCall:
    root = page_url[: page_url.index("/gkmlpt/")]
    url = f"{root}/gkmlpt/api/all/{category}?page={page}&sid={sid}"
    return ApiCall(NAME, url, state={"page": page, "category": category, "sid": sid})


def inspect(page: Page) -> Found | None:
    found = Found()
    if "gkmlpt" not in page.text and "/gkmlpt/" not in page.url:
        return found
    # links into a gkmlpt catalogue keep their category (fragment): the page is fetched as a call
    for href, cat, label in _LINK.findall(page.text):
        label = re.sub(r"<[^>]+>|\s+", "", label)
        if classify.is_column_link(label, href) or classify.is_report_title(label):
            url = urljoin(page.url, href) + "#" + cat
            if urldefrag(url)[0] != urldefrag(page.url)[0]:
                # fetched with its fragment (not sent, but it names the page apart from the
                # plain link, which the spider drops)
                found.calls.append(ApiCall(NAME, url, state={"shell": True, "category": cat, "to_column": True}))
                found.family = NAME
    if "/gkmlpt/" in urlsplit(page.url).path:
        sid = _SID.search(page.text)
        cat = urlsplit(page.url).fragment
        cats = [cat] if cat.isdigit() else tree_columns(page.text)
        if sid:
            calls = [api_call(page.url, c, sid.group(1), 1) for c in cats]
            for c in calls:
                c.state["to_column"] = not cat.isdigit()  # found in the tree: a report column
            found.calls += calls
            found.family = NAME if cats else found.family
    return found


def tree_columns(text: str) -> list[str]:
    """Report-column categories in the page's category tree (`window._CONFIG = {…, TREE: [{"id":
    2629, "name": "政府信息公开年报", …}]}`), for a catalogue page opened without a category."""
    m = _TREE.search(text)
    if not m:
        return []
    depth, end = 0, len(text)
    for i in range(m.end() - 1, min(len(text), m.end() + 2_000_000)):
        depth += {"[": 1, "]": -1}.get(text[i], 0)
        if depth == 0:
            end = i + 1
            break
    tree = text[m.end() - 1:end]
    if "\\u" in tree:
        try:
            tree = tree.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeError:
            pass
    out = []
    for node in _NODE.findall(tree):
        ident = re.search(r"""\bid["']?\s*:\s*["']?(\d+)""", node)
        name = re.search(r"""\b(?:name|title|text|label)["']?\s*:\s*["']([^"']+)["']""", node)
        if ident and name and classify.is_column_link(name.group(1), "") and ident.group(1) not in out:
            out.append(ident.group(1))
    return out


def answer(call: ApiCall, url: str, body: bytes, text: str) -> Found:
    if call.state.get("shell"):  # the catalogue page itself, with its category
        sid = _SID.search(text)
        return Found(family=NAME, calls=[api_call(call.url, call.state["category"], sid.group(1), 1)] if sid else [])
    data = json.loads(text)
    arts = data.get("articles") or []
    found = Found(family=NAME)
    for a in arts:
        e = entry(a.get("url") or a.get("post_url"), a.get("title"), url)
        if e:
            found.links.append(e)
    if call.state.get("page") == 1 and arts:
        pages = math.ceil(int(data.get("total") or 0) / len(arts))
        found.calls += [api_call(call.url, call.state["category"], call.state["sid"], p)
                        for p in range(2, pages + 1)]
    return found
