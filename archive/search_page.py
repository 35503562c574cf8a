"""The home page: search first. What a journalist typed, the filters, and the matching reports as cards.

The match is the archive's bigram FTS (archive/fts.py, `bigram_query`), the same as the table page's
`_search`; the count stops at `COUNT_LIMIT` (a word in every report must not cost a count of all of
them: the page then says "more than"). A word in more than `COMMON_WORD` current reports, without a filter,
is found by walking the reports newest first (few index tests per page) rather than by sorting every match. The passage is cut from the report's text around the first
place a typed word occurs, and every typed word in it is marked.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

from markupsafe import Markup

from . import labels as L
from .fts import bigram_query

Query = Callable[[str, Any], Awaitable[list[dict]]]
PAGE_SIZE = 20
COUNT_LIMIT = 10_000
PASSAGE = 60  # characters either side of the first match
COMMON_WORD = 20_000  # a word in more current reports than this: the page walks the reports by date
COMMON_COUNT_LIMIT = 1_000  # such a word with a filter: counted up to this

STATUS_CHOICES = (("failed", "数字对不上"), ("passed", "校验通过"), ("unchecked", "未校验"), ("no tables", "无表格"))
KIND_CHOICES = (("government", "人民政府（本级报告）"), ("department", "部门"))


@dataclass
class SearchArgs:
    q: str = ""
    province: str = ""
    city: str = ""
    year: str = ""
    kind: str = ""
    status: str = ""
    review: str = ""
    page: int = 1

    @classmethod
    def from_request(cls, args) -> "SearchArgs":
        get = lambda k: (args.get(k) or "").strip()  # noqa: E731
        try:
            page = max(1, min(int(get("page") or 1), 500))
        except ValueError:
            page = 1
        year = get("year")
        return cls(q=get("q")[:100], province=get("province"), city=get("city"),
                   year=year if year.isdigit() else "", kind=get("kind"), status=get("status"),
                   review=get("review") if get("review") in ("1", "0") else "", page=page)


def terms_of(q: str) -> list[str]:
    return [t for t in re.split(r"\s+", q.strip()) if t]


def passage(text: Optional[str], terms: list[str]) -> Markup:
    """±PASSAGE characters around the first occurrence of a term, every term marked (HTML-escaped)."""
    text = re.sub(r"\s+", " ", text or "")
    pos = min((i for i in (text.find(t) for t in terms) if i >= 0), default=-1)
    start = max(0, pos - PASSAGE) if pos >= 0 else 0
    end = min(len(text), (pos if pos >= 0 else 0) + 2 * PASSAGE)
    cut = text[start:end]
    out = html.escape(cut)
    for t in sorted(terms, key=len, reverse=True):
        out = out.replace(html.escape(t), f"<mark>{html.escape(t)}</mark>")
    return Markup(("…" if start > 0 else "") + out + ("…" if end < len(text) else ""))


async def has_column(q: Query, table: str, column: str) -> bool:
    return any(r["name"] == column for r in await q(f"SELECT name FROM pragma_table_info('{table}')", []))


async def search(q: Query, a: SearchArgs) -> dict:
    review_col = await has_column(q, "reports", "needs_review")
    where, params = ["r.is_current = 1"], []
    terms = terms_of(a.q)
    filtered = bool(a.province or a.city or a.year or a.kind or a.status or a.review)
    common_more = None
    common = False
    if terms:
        match = bigram_query(a.q)
        # FTS counts cheaply (it stops at the limit); every report version has one FTS row, so matches minus
        # old versions is a lower bound of the current reports that match
        n_old = (await q("SELECT count(*) AS n FROM reports WHERE is_current = 0", []))[0]["n"]
        n_fts = (await q(f"SELECT count(*) AS n FROM (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? "
                         f"LIMIT {COMMON_WORD + n_old + 1})", [match]))[0]["n"]
        common = n_fts - n_old > COMMON_WORD
        if common and not filtered:
            common_more = COMMON_WORD
        if common:
            # a word in most reports: walk the reports newest first and test each against the index; the first
            # page is found after a few dozen tests instead of sorting every match by date
            where.append("EXISTS (SELECT 1 FROM reports_fts f WHERE f.rowid = r.id AND reports_fts MATCH ?)")
        else:
            where.append("r.id IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?)")
        params.append(match)
    for col, val in (("province", a.province), ("city", a.city), ("agency_kind", a.kind), ("check_status", a.status)):
        if val:
            where.append(f"r.{col} = ?")
            params.append(val)
    if a.year:
        where.append("r.year = ?")
        params.append(int(a.year))
    if a.review and review_col:
        where.append("r.needs_review = ?")
        params.append(int(a.review))
    sql_where = " AND ".join(where)
    review = "r.needs_review" if review_col else "0"
    count_limit = COUNT_LIMIT if not common else COMMON_COUNT_LIMIT
    ids: Optional[list[int]] = None
    n: Optional[int] = None
    if terms and not common_more:
        # one pass over the matches (up to the count limit): their number, and the page sorted here, so the
        # FTS index is not walked twice (once to count, once to sort)
        found_all = await q(f"SELECT r.id, r.published FROM reports r WHERE {sql_where} LIMIT {count_limit + 1}",
                            params)
        n = len(found_all)
        if n <= count_limit:
            found_all.sort(key=lambda r: (r["published"] or "", r["id"]), reverse=True)
            start = (a.page - 1) * PAGE_SIZE
            ids = [r["id"] for r in found_all[start:start + PAGE_SIZE]]
    if ids is None:
        # the ids of the page, newest first: ORDER BY published alone (SQLite then walks idx_reports_published;
        # a second sort key would make it sort every row); a common word walks that index explicitly
        by_date = "INDEXED BY idx_reports_published " if common else ""
        ids = [r["id"] for r in await q(
            f"SELECT r.id FROM reports r {by_date}WHERE {sql_where} ORDER BY r.published DESC LIMIT ? OFFSET ?",
            params + [PAGE_SIZE, (a.page - 1) * PAGE_SIZE])]
    found = {r["id"]: r for r in await q(
        f"SELECT r.id, r.title, r.agency, r.agency_kind, r.province, r.city, r.county, r.year, r.published, "
        f"r.check_status, r.failed_checks, {review} AS needs_review, r.version, r.text "
        f"FROM reports r WHERE r.id IN ({','.join('?' for _ in ids) or 'NULL'})", ids)}
    rows = [found[i] for i in ids]
    if common_more:
        n, count_limit = common_more + 1, common_more
    elif n is None:
        n = (await q(f"SELECT count(*) AS n FROM (SELECT 1 FROM reports r WHERE {sql_where} LIMIT {count_limit + 1})",
                     params))[0]["n"]
    cards = []
    for r in rows:
        r = dict(r)
        r["passage"] = passage(r.pop("text"), terms)
        r["status_zh"] = L.CHECK_STATUS_LABELS.get(r["check_status"] or "", r["check_status"] or "")
        cards.append(r)
    limit = count_limit
    return {"cards": cards, "count": min(n, limit), "more": n > limit, "terms": terms,
            "has_review": review_col, "pages": min(-(-min(n, limit) // PAGE_SIZE), 500)}


async def filter_options(q: Query, a: SearchArgs) -> dict:
    provinces = [r["province"] for r in await q(
        "SELECT DISTINCT province FROM reports WHERE province IS NOT NULL ORDER BY province", [])]
    cities = [r["city"] for r in await q(
        "SELECT DISTINCT city FROM reports WHERE province = ? AND city IS NOT NULL ORDER BY city",
        [a.province])] if a.province else []
    years = [r["year"] for r in await q(
        "SELECT DISTINCT year FROM reports WHERE year IS NOT NULL ORDER BY year DESC", [])]
    return {"provinces": provinces, "cities": cities, "years": years,
            "kinds": KIND_CHOICES, "statuses": STATUS_CHOICES}


# The canned queries offered as plain questions (only those metadata.json defines are shown)
QUESTIONS = (
    ("inconsistent_reports", "哪些报告的数字对不上？", "Which reports' numbers do not add up?"),
    ("needs_review", "哪些报告需要人工复核？", "Which reports should a person check against the original?"),
    ("late_reports", "哪些报告逾期发布？", "Which reports were published late?"),
    ("agency_over_years", "某机关历年申请量？", "One agency's applications year by year?"),
    ("applications_per_year", "某地每年收到多少申请？", "Applications per year in a region?"),
    ("denial_rates", "各地不予公开的比例是多少？", "How often is information denied, by region?"),
    ("changed_or_removed", "哪些报告发布后被修改或撤下？", "Which reports changed or vanished after publication?"),
    ("crossyear_warnings", "哪些机关的数字跨年度不衔接？", "Whose figures do not carry over between years?"),
)
