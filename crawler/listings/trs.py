"""Two TRS WCM listings that `createPageHTML` does not describe.

1. The Fujian provincial platform's "动静结合" lists (平潭, 福建省 departments): the first page
   is static, the rest come from `POST /fjdzapp/search` (form: channelid, sortfield, classsql
   "chnlid=1813", page, prepage), answering `{"data"|"docs": [{"doctitle", "chnldocurl"|"docpuburl",
   "docreltime"}], "pageCount": N}`. The page's script declares them:
   `listModel({maxStaticIndex: 1, listArgs: {channelid: SiteInfo.searchId, classsql: "chnlid=1813",
   sortfield: …}, pagebar: {prepage: 10, recordCount: '20'}})`. `SiteInfo.searchId` lives in one
   of the site's scripts; when the page does not name it, those scripts (same host) are read
   once each until one does.
   Detected by: `listArgs` with a `classsql` in the page (see tests/portals/real/pingtan_*).
2. The older pager written by `document.write` from `var countPage = N` (and `currentPage`,
   links `index_" + nextPage + ".html"`): pages index.html, index_1.html … index_{N-1}.html.
   Detected by: `var countPage = N` (or `countPage="N"`) together with `document.write`, or on a
   static listing page (a directory or index[_N].html: the pager is a site script's); or a
   `createPageHTML(countPage, currentPage, "index", "html")` whose count is a variable the page
   sets (literal counts are read by the spider, `classify.trs_pages`).
"""
from __future__ import annotations

import json
import math
import re
from urllib.parse import urljoin, urlsplit

from crawler import classify
from crawler.listings.base import ApiCall, Found, Page, entry

NAME = "trs"
_LIST_ARGS = re.compile(r"listArgs\s*:\s*\{(.*?)\}", re.S)
_STR = r"""((?:"[^"]*"|'[^']*')(?:\s*\|\|\s*(?:"[^"]*"|'[^']*'))*)"""
_COUNT_PAGE = re.compile(r"""\bcountPage\s*=\s*['"]?(\d+)""")
# createPageHTML given its count in a variable (`createPageHTML(countPage, currentPage, "index",
# "html")`, optionally after a 'page_div' id): classify.trs_pages reads only literal counts
_CREATE_VAR = re.compile(r"""createPageHTML\s*\(\s*(?:['"][\w-]+['"]\s*,\s*)?([A-Za-z_$][\w$]*)\s*,([^)]*)\)""")
# `"<a href=\"index_" + nextPage + ".html\">下一页</a>"`: the page name and extension
_NAME_EXT = re.compile(r"""["'](\w+)_["']\s*\+\s*\w+\s*\+\s*["']\.(s?html?)\b""")
_SEARCH_ID = re.compile(r"""searchId\s*[:=]\s*['"]?(\d+)""")
_SCRIPT_SRC = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+\.js)(?:\?[^"']*)?["']""", re.I)
MAX_SCRIPTS = 6
_STATIC_LISTING = re.compile(r"/(?:index(?:_\d+)?\.s?html?)?$")
# an entry without an href whose onclick carries its URL: `<a onclick="isDownLoad(this,'./202609/t…_7382724.html')">`
_ONCLICK_URL = re.compile(r"""['"]((?:https?://|\.{0,2}/)[^'"\s]+\.(?:s?html?|pdf|docx?|xlsx?|wps))['"]""", re.I)


def _value(args: str, name: str) -> str | None:
    """A listArgs value: a number, or the last non-empty of `"" || "chnlid=1813"`."""
    m = re.search(name + r"\s*:\s*" + _STR, args)
    if m:
        strs = [s[1:-1] for s in re.findall(r""""[^"]*"|'[^']*'""", m.group(1))]
        return next((s for s in reversed(strs) if s), None)
    m = re.search(name + r"""\s*:\s*(\d+)""", args)
    return m.group(1) if m else None


def _num(text: str, name: str) -> int | None:
    m = re.search(name + r"""\s*:\s*['"]?(\d+)""", text)
    return int(m.group(1)) if m else None


def search_calls(page_url: str, args: dict, pages: range) -> list[ApiCall]:
    root = "{0.scheme}://{0.netloc}".format(urlsplit(page_url))
    calls = []
    for p in pages:
        form = {"channelid": args["channelid"], "sortfield": args.get("sortfield") or "-docreltime",
                "classsql": args["classsql"], "page": str(p), "prepage": str(args["prepage"])}
        calls.append(ApiCall(NAME, root + "/fjdzapp/search", "POST", form, label=f"{args['classsql']}&page={p}",
                             headers={"X-Requested-With": "XMLHttpRequest", "Referer": page_url},
                             state={"kind": "search", "args": args, "page": p, "referer": page_url}))
    return calls


def _pages(args: dict) -> range:
    first = args["static"] + 1
    if args.get("records") is None:
        return range(first, first + 1)  # the first answer says how many there are
    return range(first, math.ceil(args["records"] / max(args["prepage"], 1)) + 1)


def _variable_count(text: str) -> tuple[re.Match | None, re.Match | None]:
    """The first createPageHTML call whose count is a variable the page sets, and that setting
    (the page may define the function itself first: `function createPageHTML(_nPageCount, …)`)."""
    for cv in _CREATE_VAR.finditer(text):
        if re.search(r"function\s*$", text[max(0, cv.start() - 20):cv.start()]):
            continue
        count = re.search(r"\b%s\s*=\s*['\"]?(\d+)" % re.escape(cv.group(1)), text)
        if count:
            return cv, count
    return None, None


def _onclick_entries(page: Page) -> list[tuple[str, str]]:
    """Entries a TRS list writes as `<a onclick="…('URL')" title="…">` without an href (a plain
    link reader sees no link in them)."""
    out = []
    for a in page.doc.iter("a") if page.doc is not None else ():
        m = _ONCLICK_URL.search(a.get("onclick") or "") if not a.get("href") else None
        if m:
            title = a.get("title") or re.sub(r"\s+", " ", a.text_content() or "").strip()
            out.append((urljoin(page.url, m.group(1)), title))
    return out


def inspect(page: Page) -> Found | None:
    found = Found()
    m = _LIST_ARGS.search(page.text) if "listArgs" in page.text else None
    if m and "classsql" in m.group(1):
        raw = m.group(1)
        args = {"classsql": _value(raw, "classsql"), "sortfield": _value(raw, "sortfield"),
                "channelid": _value(raw, "channelid"),
                "prepage": _num(page.text, "prepage") or 15, "records": _num(page.text, "recordCount"),
                "static": _num(page.text, "maxStaticIndex") or 0}
        if not args["channelid"]:
            sid = _SEARCH_ID.search(page.text)
            args["channelid"] = sid.group(1) if sid else None
        if args["classsql"]:
            found.family = NAME
            if args["channelid"]:
                found.calls += search_calls(page.url, args, _pages(args))
            else:  # SiteInfo.searchId is defined in one of the site's scripts
                host = urlsplit(page.url).netloc
                srcs = [urljoin(page.url, s) for s in _SCRIPT_SRC.findall(page.text)]
                srcs = [s for s in srcs if urlsplit(s).netloc == host][:MAX_SCRIPTS]
                found.calls += [ApiCall(NAME, s, kind="asset", state={"kind": "siteinfo", "args": args, "page_url": page.url})
                                for s in srcs]
    cv, count = _variable_count(page.text) if "createPageHTML" in page.text else (None, None)
    # a literal createPageHTML count is the spider's to read (classify.trs_pages): not twice
    literal = "createPageHTML" in page.text and classify.trs_declared_pages(page.text) > 0
    cp = _COUNT_PAGE.search(page.text) if "countPage" in page.text and not count and not literal else None
    # the pager written here (document.write), or by a site script reading `var countPage` on a
    # TRS static listing page (天津: `<script>var countPage = 3</script>` at …/tzggx/)
    if count or (cp and ("document.write" in page.text or _STATIC_LISTING.search(urlsplit(page.url).path))):
        path = urlsplit(page.url).path
        name, ext = "index", (path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else "html")
        strs = re.findall(r"""['"]([\w-]+)['"]""", cv.group(2)) if count else []
        if len(strs) >= 2:  # createPageHTML(countPage, currentPage, "index", "shtml")
            name, ext = strs[0], strs[1]
        else:  # "t2019_1" + "_" + prevPage + "." + "htm": literals joined first
            ne = _NAME_EXT.search(re.sub(r"""(?<!\\)["']\s*\+\s*["']""", "", page.text))
            name, ext = (ne.group(1), ne.group(2)) if ne else (name, ext)
        n = min(int((count or cp).group(1)), 500)
        found.pages += [urljoin(page.url, f"{name}.{ext}" if i == 0 else f"{name}_{i}.{ext}") for i in range(n)]
        found.links += _onclick_entries(page)
        found.family = NAME
    return found


def answer(call: ApiCall, url: str, body: bytes, text: str) -> Found:
    found = Found(family=NAME)
    if call.state["kind"] == "siteinfo":
        sid = _SEARCH_ID.search(text)
        if sid:
            args = dict(call.state["args"], channelid=sid.group(1))
            found.calls += search_calls(call.state["page_url"], args, _pages(args))
        return found
    data = json.loads(text)
    docs = data.get("data") or data.get("docs") or []
    for d in docs if isinstance(docs, list) else []:
        e = entry(d.get("chnldocurl") or d.get("docpuburl") or d.get("url"), d.get("doctitle") or d.get("title"),
                  call.state["referer"])
        if e:
            found.links.append(e)
    args = call.state["args"]
    if args.get("records") is None and call.state["page"] == args["static"] + 1:
        count = data.get("pageCount") or data.get("pagecount") or data.get("totalPage")
        if count is None and data.get("total") is not None:
            count = math.ceil(int(data["total"]) / max(args["prepage"], 1))
        found.calls += search_calls(call.state["referer"], args, range(call.state["page"] + 1, int(count or 0) + 1))
    return found
