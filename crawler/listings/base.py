"""The types every listing family shares: a call (request builder), a page as the spider read
it, and what a family found; helpers for entries and session cookies."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.html

from crawler import classify
from crawler.html import extract_links


@dataclass
class ApiCall:
    family: str
    url: str
    method: str = "GET"
    form: dict[str, str] | None = None  # sent urlencoded (POST)
    body: str | None = None  # sent as is (a JSON body), with its Content-Type in headers
    headers: dict[str, str] = field(default_factory=dict)
    label: str = ""  # what tells this POST from others to the same URL (a page number)
    declared: bool = True  # the page count was declared by the site (no pager budget needed)
    state: dict[str, Any] = field(default_factory=dict)  # what `answer` needs to know
    kind: str = "listing"  # "asset": a script read for a setting, not a page of the listing

    @property
    def key(self) -> str:
        if self.method == "GET":
            return self.url
        return f"{self.url}#{self.label or 'post'}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ApiCall":
        return cls(**d)


@dataclass
class Page:
    """A listing page as the spider read it."""
    url: str
    text: str
    doc: Any  # lxml document (or None)
    call: "ApiCall | None" = None  # the call this page answers (an ASP.NET postback), if any


@dataclass
class Found:
    links: list[tuple[str, str]] = field(default_factory=list)  # (url, title) entries
    pages: list[str] = field(default_factory=list)  # further plain listing pages, declared by the site
    calls: list[ApiCall] = field(default_factory=list)
    family: str = ""
    html: bool = False  # the answer is an HTML listing page: read it like one (ASP.NET postbacks)

    def __bool__(self) -> bool:
        return bool(self.links or self.pages or self.calls or self.family)

    def extend(self, other: "Found") -> None:
        self.links += other.links
        self.pages += other.pages
        self.calls += other.calls
        self.family = self.family or other.family


_COLUMN_NAME = re.compile(r"""<meta\s+name=["']ColumnName["']\s+content=["']([^"']*)["']""", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def looks_like_column(page: "Page") -> bool:
    """Is this page a report column itself (its ColumnName, its title's first part, or its path),
    rather than a home page or a 信息公开 section whose lists are not to be paged through?"""
    names = [m.group(1) for m in _COLUMN_NAME.finditer(page.text[:20000])]
    t = _TITLE.search(page.text[:20000])
    if t:
        names.append(re.split(r"[_|\-–—]", re.sub(r"\s+", "", t.group(1)))[0])
    return any(n and classify.is_column_link(n.strip(), "") for n in names) or classify.is_column_link("", page.url)


# one `key: value` of a JavaScript object literal as pages write them: keys bare or quoted,
# values quoted either way or bare (numbers, identifiers)
_JS_PAIR = re.compile(r"""["']?(\w+)["']?\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,}\s'"]+))""")


def js_pairs(literal: str) -> dict[str, str]:
    """The flat `key: value` pairs of a JavaScript object literal, as strings (no evaluation)."""
    return {m.group(1): next(g for g in m.groups()[1:] if g is not None) for m in _JS_PAIR.finditer(literal)}


def fragment_links(fragment: str, base_url: str) -> list[tuple[str, str]]:
    """(url, title) of every link in an HTML fragment (a CDATA record, a JSON field)."""
    try:
        doc = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 - a broken record adds nothing
        return []
    return extract_links(doc, base_url)


def entry(url: Any, title: Any, base_url: str) -> tuple[str, str] | None:
    """One JSON entry as a link, or None without a usable URL."""
    if not isinstance(url, str) or not url.strip() or url.strip().startswith(("javascript:", "#")):
        return None
    text = re.sub(r"<[^>]+>", "", str(title or "")).strip()
    return urljoin(base_url, url.strip()), re.sub(r"\s+", " ", text)


def session_cookies(sent: bytes | None, set_cookies: list[bytes]) -> str:
    """The cookies a listing page's API calls carry: those the page was asked with and those it
    set. (Cookies are off in the crawler; an ASP.NET or JSP session may tie its pager to them.)"""
    jar: dict[str, str] = {}
    parts = (sent or b"").decode("latin-1").split(";") + [c.decode("latin-1").split(";", 1)[0] for c in set_cookies]
    for part in parts:
        if "=" in part:
            k, v = part.strip().split("=", 1)
            jar[k] = v
    return "; ".join(f"{k}={v}" for k, v in jar.items())
