"""ASP.NET WebForms pagers (AspNetPager, GridView): page links are
`javascript:__doPostBack('ctl00$ContentPlaceHolder1$AspNetPager1','2')`; the browser POSTs the
page's form back to its action with every field (`__VIEWSTATE`, `__EVENTVALIDATION`, …) plus
`__EVENTTARGET` and `__EVENTARGUMENT`, and the answer is the same page showing page 2, with a
fresh __VIEWSTATE and the next page links.

Detected by: a form with `__VIEWSTATE` and pager links (page numbers, 下一页, 尾页 …) calling
`__doPostBack` with a numeric argument (`2`, `Page$2`), or `Page$Next` (GridView's NextPrevious
pager: the page after the current one; Prev/First/Last are reached through the others), or
LinkButtons without an argument (`__doPostBack('rptPager$ctl02$lbPage','')`, the page number in
the link's text; 下一页 for the next). A page
is named by its number (URL#target@N), so each is fetched once; page 1 is the page first fetched.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler import classify
from crawler.html import extract_links
from crawler.listings.base import ApiCall, Found, Page

NAME = "aspnet"
_POSTBACK = re.compile(r"""__doPostBack\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]*)['"]\s*\)""")
# AspNetPager's own labels too: 首页 前页 后页 尾页 (its NextPageText default is 后页)
_PAGER_TEXT = re.compile(r"^(?:\d{1,4}|\[\d{1,4}\]|下一页|下页|后页|后一页|尾页|末页|最后一页|>|>>|»|\.\.\.|…|next|last|"
                         r"\[?下一页\]?|下一页>>?)$", re.I)


def _fields(form) -> dict[str, str]:
    """What the browser would send of this form (no submit buttons)."""
    out: dict[str, str] = {}
    for el in form.iter("input", "select", "textarea"):
        name = el.get("name")
        if not name:
            continue
        if el.tag == "input":
            kind = (el.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("checkbox", "radio") and el.get("checked") is None:
                continue
            out[name] = el.get("value") or ""
        elif el.tag == "select":
            opts = [o for o in el.iter("option")]
            chosen = [o for o in opts if o.get("selected") is not None] or opts[:1]
            out[name] = (chosen[0].get("value") if chosen and chosen[0].get("value") is not None
                         else (chosen[0].text_content().strip() if chosen else ""))
        else:
            out[name] = el.text or ""
    return out


def inspect(page: Page) -> Found | None:
    if page.doc is None or "__VIEWSTATE" not in page.text or "__doPostBack" not in page.text:
        return None
    form = next((f for f in page.doc.iter("form") if f.xpath(".//input[@name='__VIEWSTATE']")), None)
    if form is None:
        return None
    action = urljoin(page.url, form.get("action") or page.url)
    fields = _fields(form)
    # which page this is: 1 when fetched (GET), else the page its postback asked for
    answered = page.call is not None and page.call.family == NAME
    current = int(page.call.state.get("page", 1)) if answered else 1
    if answered and not any(classify.is_report_title(t) for _, t in extract_links(page.doc, page.url)):
        return Found(family=NAME)  # a page of something else than reports: no further (a home page's news)
    found = Found(family=NAME)
    for a in page.doc.iter("a"):
        m = _POSTBACK.search(a.get("href") or "") or _POSTBACK.search(a.get("onclick") or "")
        if not m:
            continue
        text = re.sub(r"\s+", "", a.text_content() or "")
        target, arg = m.group(1), m.group(2)
        if not _PAGER_TEXT.match(text):
            continue
        num = re.search(r"(\d+)$", arg)
        pager = target
        if num:
            n = int(num.group(1))
        elif re.search(r"(?:^|\$)Next$", arg, re.I):  # GridView NextPrevious: relative to this page
            n = current + 1
        elif not arg and re.fullmatch(r"\[?(\d{1,4})\]?", text):
            # LinkButtons (`__doPostBack('rptPager$ctl02$lbPage','')`, one target per link): the
            # number is the link's text; named apart from the target, as 下一页's target differs
            n, pager = int(re.sub(r"\D", "", text)), "linkbutton"
        elif not arg and re.match(r"(?:下一?页|后一?页|next|>|»)", text, re.I):
            n, pager = current + 1, "linkbutton"
        else:
            continue  # Prev/First/Last: reached through the others
        if n <= 1 or n == current:
            continue  # page 1 is the page as first fetched (GET)
        data = dict(fields, __EVENTTARGET=target, __EVENTARGUMENT=arg)
        found.calls.append(ApiCall(NAME, action, "POST", data, label=f"{pager}@{n}", declared=False,
                                   headers={"Referer": page.url}, state={"page": n}))
    return found


def answer(call: ApiCall, url: str, body: bytes, text: str) -> Found:
    return Found(family=NAME, html=True)  # the answer is the listing page itself: read as HTML
