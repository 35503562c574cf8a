"""Build crawler/portals.toml from crawler/registry/evidence.tsv.

    python -m crawler.registry.build

evidence.tsv has one line per body: name, province, level, the report URL (or report column) seen,
where it was seen, notes, and optionally a start URL. The start URL is read from the URL seen, never made up:

* a path with an annual-report folder (checked first) (zfxxgknb, xxgknb, gknb, ndbg, xxgkndbg, zfgknb, …) starts
  at that folder (…/zfxxgknb/202401/t20240122_1.html → …/zfxxgknb/);
* a dynamic report page of the Hanweb xxgk module (xxgkAnnualReport.jsp?…) is itself the column;
* a Hanweb JCMS article (/art/2024/1/30/art_….html), an Anhui platform page
  (/public/content/…, /XxgkAnnualReport/show/…), a Sichuan platform page (/gongkai/show/…) or a CMS page whose folder is only a date
  (/cms/html/<site>/<date>/…) says nothing about the column: the crawl starts at the site's home
  page and finds the column there;
* anything else starts at the folder of the URL seen, date folders (202401/, 2023-01-25/) removed.

A provincial government whose own report was not seen on its own host rests on another URL of that
host (a page of its portal, or the portal's home page as listed by a public source); the line then
names its start: a folder of that URL (the 政府信息公开 / 政务公开 section the path shows) or the home
page. A start that is not one of those is refused.
"""
from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

from crawler.urls import page_url
from crawler.registry import BUNDLED, LEVELS, Portal, province_name, toml_text

EVIDENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "evidence.tsv")
_COLUMN = re.compile(r"^[a-z_]*(nb|ndbg|ndgzbg|gknbxq)(_?\d+)?$", re.I)  # zfxxgknb, xxgknb_97166, zfxxgknb49, bgtndbg, …
# a year folder is 20xx (reports began in 2008): other four-digit folders are columns or catalogue nodes
# (Hainan's …/0204/ is its 年报 column, …/info/2061/ a VSB catalogue node)
_DATE_DIR = re.compile(r"^(\d{1,2}|20[0-4]\dn?|\d{6}|\d{8}|\d{2}-\d{2}|\d{4}-\d{2}(-\d{2})?)$")
_HOME_ONLY = re.compile(r"/art/\d{4}/|/UserData/DocHtml/|/public/content/|/(Xxgk|Openness)AnnualReport/show/|/cms/html/|/gkmlpt/content/|/gongkai/show/|/contents/\d+/\d+\.html$")


def column_of(url: str) -> tuple[str, bool]:
    """(start URL, whether it is the report column itself) for a report URL seen."""
    parts = urlsplit(url)
    home = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    if "xxgkAnnualReport.jsp" in parts.path:
        return url, True
    segs = [s for s in parts.path.split("/") if s]
    for i, s in enumerate(segs):
        if _COLUMN.match(s):
            return urlunsplit((parts.scheme, parts.netloc, "/" + "/".join(segs[: i + 1]) + "/", "", "")), True
    if _HOME_ONLY.search(parts.path):
        return home, False
    last = segs[-1] if segs else ""
    if parts.path.endswith("/") or not last or "." not in last:
        return url, True  # the URL seen is a folder (a column) already
    folder = segs[:-1]
    while folder and (_DATE_DIR.match(folder[-1]) or folder[-1] == "content"):
        folder.pop()
    return urlunsplit((parts.scheme, parts.netloc, "/" + "/".join(folder) + ("/" if folder else ""), "", "")), bool(folder)


def start_of(url: str, start: str) -> str:
    """The start given on an evidence line, checked: the home page or a folder of the URL seen."""
    u, s = urlsplit(url), urlsplit(start)
    folder = (u.path or "/").rsplit("/", 1)[0] + "/"
    if (s.scheme, s.netloc) != (u.scheme, u.netloc) or s.query or not s.path.endswith("/") \
            or not folder.startswith(s.path):
        raise ValueError(f"start {start} is not the home page or a folder of the URL seen {url}")
    return start


def cms_of(url: str) -> str | None:
    path = urlsplit(url).path
    if re.search(r"/art/\d{4}/\d+/\d+/art_\d+_\d+\.html|/col/col\d+/", path):
        return "Hanweb JCMS"
    if "xxgkAnnualReport.jsp" in path:
        return "Hanweb xxgk module"
    if "/gkmlpt/" in path or re.search(r"/content/post_\d+\.html$", path):
        return "gkmlpt"
    if re.search(r"/t\d{8}_\d+(_wap)?\.s?html?$", path):  # _wap: the same article's mobile page
        return "TRS WCM"
    if "/public/content/" in path or "/XxgkAnnualReport/" in path:
        return "Anhui government information platform"
    return None


SOURCES = {
    "pages": "a stored public copy of the report page (search tool, pages corpus)",
    "portal-page": "a stored public copy of a page of the portal itself (search tool, pages corpus)",
    "github-code": "a public repository file, mostly crawler start URLs (search tool, code index)",
    "known-portals.tsv": "shared/portals/known-portals.tsv (public copies of the sites)",
}


def portals_from_evidence(path: str = EVIDENCE) -> list[Portal]:
    out: list[Portal] = []
    seen_starts: set[str] = set()
    names: set[str] = set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.startswith("#") or not line.strip():
            continue
        name, province, level, url, source, *rest = line.rstrip("\n").split("\t")
        assert province_name(province) and level in LEVELS, f"{path}:{n}: {line!r}"
        given = rest[1] if len(rest) > 1 and rest[1] else None
        try:
            # a given start says itself why it is not a report column (notes): no note added below
            start, is_column = (start_of(url, given), True) if given else column_of(url)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: {exc}") from None
        if page_url(start) in seen_starts or name in names:
            continue  # one entry per body and per start URL
        seen_starts.add(page_url(start))
        names.add(name)
        src, paren = source.split("(")[0], source[len(source.split("(")[0]):]  # "pages (quoted in …)"
        notes = rest[0] if rest and rest[0] else None
        if not is_column:
            notes = "; ".join(x for x in (notes, "column not in the URL seen: the crawl starts at the home page") if x)
        out.append(Portal(name=name, province=province_name(province) or province, level=level, start_urls=[start],
                          seen=url, source=(SOURCES[src.strip()] + (f" {paren}" if paren else ""))
                          if src.strip() in SOURCES else source,
                          cms=cms_of(url), notes=notes,
                          js_listing=name == "平潭综合实验区"))
    return out


HEADER = """# Bundled portal registry: `nianbao crawl` with no URL crawls these; `nianbao portals` lists them.
# Generated by `python -m crawler.registry.build` from crawler/registry/evidence.tsv: every entry
# rests on a report URL seen in public evidence (`seen`, `source`); its start URL is that report's
# column (or the site's home page when the URL does not show the column). A provincial government
# whose report was not seen on its own host rests on a URL of its portal instead and starts at the
# 政府信息公开 section or home page that URL shows (`notes` say so). Not verified from the
# build network (it reaches no portal): paths drift; `nianbao portals --probe` checks them online.
"""


def main() -> int:
    portals = portals_from_evidence()
    with open(BUNDLED, "w", encoding="utf-8") as f:
        f.write(toml_text(portals, HEADER))
    print(f"{BUNDLED}: {len(portals)} portals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
