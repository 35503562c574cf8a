"""Report listings that plain links do not page through: one small module per CMS family.

Each family module has the same three parts, Scrapy-style but without Scrapy (pure functions,
tested on their own):

  inspect(page)              a detector: does this listing page belong to the family? If so, the
                             entries it carries outside plain links and the requests for its
                             other pages (`Found`)
  (the ApiCall objects)      request builders: method, URL, form, headers of each further page
  answer(call, url, text)    the entry parser for one answer, plus any further calls it implies
                             (a count that only the first answer declares)

The spider turns `Found.links` into follow specs like any other links, `Found.pages` into plain
listing pages (declared counts, like TRS createPageHTML) and `Found.calls` into requests whose
answers come back to `answer`. A call's `key` names the page in the archive, the journal and the
duplicate check: its URL for a GET, URL + "#" + label for a POST (one ASP.NET URL answers every
page of its pager).
"""
from __future__ import annotations

from typing import Any

from crawler.listings import aspnet, epoint, gkmlpt, hanweb, jpaas, trs, xhr_json
from crawler.listings.base import ApiCall, Found, Page, entry, fragment_links, session_cookies

__all__ = ["ApiCall", "Found", "Page", "answer", "entry", "families", "family", "fragment_links", "inspect",
           "session_cookies"]


def families() -> list[Any]:
    return [hanweb, jpaas, gkmlpt, trs, epoint, aspnet, xhr_json]


def family(name: str) -> Any:
    return {f.NAME: f for f in families()}[name]


def inspect(url: str, text: str, doc: Any, call: ApiCall | None = None) -> Found:
    """Every family's detector on one listing page; what they found, together."""
    page = Page(url, text, doc, call)
    out = Found()
    for f in families():
        found = f.inspect(page)
        if found:
            out.extend(found)
    return out


def answer(call: ApiCall, url: str, body: bytes, text: str) -> Found:
    """Entries (and further calls) in the answer to one call."""
    return family(call.family).answer(call, url, body, text)
