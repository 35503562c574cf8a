"""Datasette plugin of the archive (registered by archive/serve.py with Datasette's plugin manager).

* `prepare_connection`: on a database that has `reports_fts`, replaces Datasette's `escape_fts`
  SQL function by `archive.fts.bigram_query`, so the stock `_search` box finds 2-character
  Chinese words (runs after Datasette's own hook: `trylast`).
* `register_routes`:
  - `/-/archived/<page_id>`: the archived copy of a fetched page, sanitized, strict CSP;
  - `/-/archived/<page_id>/raw`: the original bytes, as a download (never rendered);
  - `/-/nianbao/chart`: applications per year for a region, as a server-drawn SVG bar chart.
* `asgi_wrapper`: an empty `_search=` (a cleared search box) means no search; and the search budget
  (below).
* `render_cell`: links for `reports.archived_copy`, `reports.url` and `pages.body`.

Search budget (archive/README.md, "Search speed"). The bigram match itself is cheap; what is not
is everything Datasette does *per matching row* after it: `count(*)` and one query per facet,
each re-reading every match. So before a plain `?_search=` on a table with an `fts_table` (no
other filter) reaches Datasette, the wrapper counts the FTS matches *up to*
`SEARCH_EXACT_LIMIT + 1` (FTS5 stops there: the cost is bounded by the limit, not by the
archive). Up to the limit nothing changes: Datasette's exact count and the table's facets. Above
it the request gets `_nocount`/`_nofacet` (value `nianbao`, stripped again from every incoming
request so it never sticks to links or the search form), so Datasette only fetches the page of
rows (exact: the same `MATCH`, the same order); the page says "more than N" (HTML: a line above
the rows, from `_table-table-<db>-<table>.html` served by this plugin; JSON: a `nianbao_search` key;
both: an `X-Nianbao-Matches: >N` header). Searches with other filters (province, year, …) are
left to Datasette, whose count and facets read the covering index `idx_reports_search` and whose
facets stop at `facet_time_limit_ms`.
"""
from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qsl, quote, urlencode

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response
from markupsafe import Markup

from . import labels
from .fts import bigram_query
from .sanitize import SAFE_HEADERS, ArchivedCopies, _safe_url, archived_page
from .sqlite_limits import limit_value_length
from .store import decompress


@hookimpl(trylast=True)
def prepare_connection(conn, database):
    limit_value_length(conn)  # `select randomblob(1000000000)`: refused at once, not 6 GB later
    try:
        has = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reports_fts'").fetchone()
    except Exception:  # noqa: BLE001 - not our database
        return
    if has:
        conn.create_function("escape_fts", 1, bigram_query, deterministic=True)
        # Memory-mapped reads: the `reports` rows a search looks up (≈ 6 KB each, text inline) are read
        # in place from the OS page cache instead of being copied through SQLite's small page cache.
        conn.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")


TEMPLATES = Path(__file__).resolve().parent / "templates"
ARCHIVED_COPIES = ArchivedCopies()  # the last rendered archived copies (archive/sanitize.py)
MMAP_SIZE = 2 ** 31 - 2 ** 16   # SQLite's default ceiling (SQLITE_MAX_MMAP_SIZE) is just under 2 GiB
SEARCH_EXACT_LIMIT = 20_000     # above this many matches: no exact count, no facets ("more than N")
_MARK = b"nianbao"              # the value of the _nocount/_nofacet this plugin adds
_MARK_RE = re.compile(rb"(?:^|(?<=&))_no(?:count|facet)=" + _MARK + rb"(?:&|$)")
_BLANK_SEARCH_RE = re.compile(rb"(?:^|(?<=&))_search(?!mode)[^=&]*=(?:\+|%20)*(?:&|$)")
_TABLE_PATH_RE = re.compile(r"^/(?P<db>[^/]+)/(?P<table>[^/]+?)(?P<json>\.json)?$")
# query-string keys that do not filter rows (anything else, e.g. province=, year__gt=, _where=, does)
_NOT_FILTERS = {"_search", "_searchmode", "_sort", "_sort_desc", "_size", "_col", "_nocol", "_next", "_labels",
                "_label", "_shape", "_json", "_nl", "_facet", "_facet_size", "_facet_array", "_facet_date",
                "_nofacet", "_nocount", "_nosuggest", "_timelimit", "_trace", "_dl", "_stream"}


async def search_budget(datasette, path: str, query_string: bytes) -> Optional[dict]:
    """{"more_than": N} when a plain `_search` on an FTS-backed table matches more than N rows, else None."""
    base = datasette.setting("base_url") or "/"
    if base != "/" and path.startswith(base):
        path = "/" + path[len(base):]
    m = _TABLE_PATH_RE.match(path)
    if not m:
        return None
    db_name, table = tilde_decode(m["db"]), tilde_decode(m["table"])
    try:
        db = datasette.get_database(db_name)
    except KeyError:
        return None
    meta = datasette.table_metadata(db_name, table)
    fts = meta.get("fts_table")
    pairs = parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True)
    searches = [v for k, v in pairs if k == "_search"]
    if not fts or len(searches) != 1 or not searches[0].strip():
        return None
    if dict(pairs).get("_shape") in ("array", "object"):
        return None  # Datasette never counts or facets these shapes
    if any(k not in _NOT_FILTERS for k, _ in pairs):
        return None  # other filters (or _search_<column>): Datasette's own exact count and facets
    mode = dict(pairs).get("_searchmode") or meta.get("searchmode")
    match = ":search" if mode == "raw" else "escape_fts(:search)"
    fts_sql = fts.replace("]", "]]")
    sql = (f"SELECT count(*) FROM (SELECT rowid FROM [{fts_sql}] WHERE [{fts_sql}] MATCH {match} "
           f"LIMIT {SEARCH_EXACT_LIMIT + 1})")
    try:
        n = (await db.execute(sql, {"search": searches[0]})).first()[0]
    except Exception:  # noqa: BLE001 - a bad raw query: Datasette reports it as it always does
        return None
    return {"more_than": SEARCH_EXACT_LIMIT} if n > SEARCH_EXACT_LIMIT else None


def _with_budget_note(send, info: dict, is_json: bool):
    """Add the X-Nianbao-Matches header, and to a JSON object body a `nianbao_search` key."""
    header = (b"x-nianbao-matches", f">{info['more_than']}".encode())
    state: dict = {"start": None, "body": []}

    async def inner(message):
        if message["type"] == "http.response.start":
            message = dict(message, headers=[*message.get("headers", []), header])
            if not is_json:
                await send(message)
                return
            state["start"] = message
            return
        if message["type"] != "http.response.body" or state["start"] is None:
            await send(message)
            return
        state["body"].append(message.get("body", b""))
        if message.get("more_body"):
            return
        start, body = state["start"], b"".join(state["body"])
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and start.get("status") == 200:
            data["nianbao_search"] = {
                "more_than": info["more_than"],
                "note": f"more than {info['more_than']:,} rows match: filtered_table_rows_count and facets were not "
                        "computed (add a word or a filter to narrow the search); the rows are exact"}
            body = json.dumps(data, ensure_ascii=False, default=repr).encode("utf-8")
            start = dict(start, headers=[(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                         + [(b"content-length", str(len(body)).encode())])
        await send(start)
        await send({"type": "http.response.body", "body": body})
    return inner


@hookimpl
def asgi_wrapper(datasette):
    """An emptied search box submits `_search=`: treat it as no search (all rows), not as 'match nothing'.
    A plain search matching more than SEARCH_EXACT_LIMIT rows: page of rows only (module doc)."""
    def wrap(app):
        async def inner(scope, receive, send):
            qs = scope.get("query_string") or b""
            if scope.get("type") == "http" and (b"_search" in qs or _MARK in qs):
                new = _MARK_RE.sub(b"", _BLANK_SEARCH_RE.sub(b"", qs)).rstrip(b"&")
                info = None
                if b"_search=" in new and scope.get("method", "GET") in ("GET", "HEAD"):
                    info = await search_budget(datasette, scope.get("path", ""), new)
                if info:
                    new = (new + b"&" if new else b"") + b"_nocount=" + _MARK + b"&_nofacet=" + _MARK
                    send = _with_budget_note(send, info, scope.get("path", "").endswith(".json"))
                if new != qs or info:
                    scope = dict(scope, query_string=new, nianbao_search=info)
            if scope.get("type") == "http" and scope.get("path", "").endswith(".csv"):
                send = _with_bom(send)
            await app(scope, receive, send)
        return inner
    return wrap


def _with_bom(send):
    """Datasette's CSV (tables and canned queries) with a UTF-8 BOM first, so Excel reads the Chinese."""
    state = {"csv": False, "first": True}

    async def inner(message):
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", [])]
            ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            state["csv"] = ctype.startswith(b"text/csv") or ctype.startswith(b"text/plain")
            if state["csv"]:
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                message = dict(message, headers=headers)
        elif message["type"] == "http.response.body" and state["csv"] and state["first"]:
            state["first"] = False
            body = message.get("body", b"")
            if not body.startswith(b"\xef\xbb\xbf"):
                message = dict(message, body=b"\xef\xbb\xbf" + body)
        await send(message)
    return inner


@hookimpl
def canned_queries(datasette, database):
    """The tidy exports (archive/export.py) as canned queries, so Datasette offers them as pages and CSV."""
    async def inner():
        from .export import EXPORT_TABLES, export_sql

        try:
            db = datasette.get_database(database)
        except KeyError:
            return {}
        if not await db.table_exists("reports"):
            return {}
        return {f"export_{t}": {
            "title": f"下载：{t}（当前版本，含机关、地区、年度、格式）/ Export {t}: current versions, tidy",
            "description": f"每份报告的 {t} 行，带上机关、地区、年度和表格格式；只含当前版本。CSV 带 BOM，Excel 可直接打开。"
                           f" Rows of {t} with agency, region, year and template joined; current versions only.",
            "sql": export_sql(t)} for t in EXPORT_TABLES}
    return inner


_NOTICE_TEMPLATE = """{% if nianbao_search %}<p class="nianbao-search-limit" style="background:#fff6d5;padding:0.5em 0.8em">
<strong>超过 {{ "{:,}".format(nianbao_search.more_than) }} 份报告符合该搜索 · More than
{{ "{:,}".format(nianbao_search.more_than) }} reports match this search.</strong>
结果完整准确，但不计算总数和分面统计；加一个词或按年度、省份等筛选即可看到。 The rows are exact and complete
(page through them or sort them as usual); the exact count and the facets are not computed for so many
matches: add a word, or filter by year, province …, to see them.</p>{% endif %}
{% include "_table.html" %}"""


def _template_source(name: str):
    # the table page tries _table-<db>-<table>.html, then _table-table-<db>-<table>.html, then _table.html;
    # the row page never asks for the _table-table- name, and a real file of either name still wins
    if name.startswith("_table-table-") and name.endswith(".html"):
        return _NOTICE_TEMPLATE
    if name.startswith("row-") and name.endswith("-reports.html"):
        return '{% extends "nianbao_report.html" %}'  # the page of a report (archive/report_page.py)
    return None


@hookimpl
def prepare_jinja2_environment(env, datasette):
    """Serve `_table-table-<db>-<table>.html` (Datasette's per-table rows template) as: the search notice +
    the stock `_table.html`. Placed after Datasette's own loaders: a real template file of that name wins."""
    from jinja2 import ChoiceLoader, FileSystemLoader, FunctionLoader

    if not getattr(env, "_nianbao_loader", False):
        # archive/templates first: its query.html / _table.html replace Datasette's (Chinese first)
        env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader, FunctionLoader(_template_source)])
        env._nianbao_loader = True
    env.globals["fmt"] = _fmt_number
    env.globals["zh_label"] = _zh_label
    env.globals["zh_value"] = zh_value
    env.globals["col_zh"] = lambda name: labels.QUERY_COLUMN_LABELS.get(name, "")


@hookimpl
def extra_template_vars(view_name, request, database, table, datasette):
    if view_name == "table" and request is not None:
        return {"nianbao_search": request.scope.get("nianbao_search")}
    if view_name == "row" and table == "reports" and request is not None:
        return _report_vars(datasette, database, request)
    return {}


def _query(db):
    async def q(sql: str, params) -> list[dict]:
        return [dict(r) for r in (await db.execute(sql, params)).rows]
    return q


def agency_url(datasette, database: str, name: Optional[str]) -> str:
    return datasette.urls.path("/-/nianbao/agency") + "?" + urlencode({"name": name or "", "db": database})


async def report_view(datasette, request):
    """The HTML page of a report at Datasette's own row address (`/<db>/reports/<id>`; `.json` stays Datasette's).
    Served by this route rather than Datasette's row view, whose "links from other tables" counts would scan
    `reports` for `superseded_by` (no index) on every page: ≈ 165 ms at 100,000 reports."""
    from datasette.utils.asgi import NotFound

    database = tilde_decode(request.url_vars["db"])
    try:
        db = datasette.get_database(database)
    except KeyError:
        raise NotFound(f"no database {database}")
    if not await db.table_exists("reports"):
        raise NotFound(f"no reports table in {database}")
    nb = await _report_vars(datasette, database, request, pk=request.url_vars["pk"])
    if not nb:
        raise NotFound(f"no report {request.url_vars['pk']}")
    return Response.html(await datasette.render_template("nianbao_report.html", {
        **nb, "database": db.name, "table": "reports"}, request=request, view_name="nianbao_report"))


async def _report_vars(datasette, database: str, request, pk: Optional[str] = None) -> dict:
    from .report_page import report_context

    db = datasette.get_database(database)
    q = _query(db)
    pk = pk if pk is not None else tilde_decode(request.url_vars.get("pks", ""))
    rows = await q("SELECT * FROM reports WHERE id = ?", [pk])
    if not rows:
        return {}
    report = rows[0]
    try:
        compare = int(request.args.get("compare")) if request.args.get("compare") else None
    except ValueError:
        compare = None
    nb = await report_context(q, report, compare_to=compare)
    archived = report.get("archived_copy")
    # a 304 re-fetch stores no body: the copy to show is the newest fetch of this address that has one
    body = await q("SELECT id FROM pages WHERE url = ? AND body IS NOT NULL AND status = 200 ORDER BY id DESC LIMIT 1",
                   [report.get("url")])
    if body:
        archived = f"/-/archived/{body[0]['id']}"
    nb.update({
        "agency_url": agency_url(datasette, database, report.get("agency")),
        "original_url": _safe_url(report.get("url") or "", None) or "",
        "archived_url": (datasette.urls.path(archived) + "?db=" + quote(database))
        if isinstance(archived, str) and archived.startswith("/-/archived/") else None,
        "rule_labels": labels.RULE_LABELS,
    })
    return {"nb": nb}


def _fmt_number(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _zh_label(column: str, description: Optional[str]) -> str:
    """The Chinese half of a metadata column description ("发布机关 / reporting body" -> "发布机关")."""
    if description and " / " in description:
        return description.split(" / ", 1)[0]
    return ""


async def _archive_for(datasette, request):
    db = await _archive_db(datasette, request)
    if db is None:
        return None, Response.html("<p>没有存档数据库 no archive database</p>", status=404)
    return db, None


async def home_view(datasette, request):
    from . import search_page as S

    db, err = await _archive_for(datasette, request)
    if err:
        return err
    q = _query(db)
    a = S.SearchArgs.from_request(request.args)
    res = await S.search(q, a)
    opts = await S.filter_options(q, a)
    queries = (datasette.metadata("queries", database=db.name) or {})
    canned = await datasette.get_canned_queries(db.name, None)
    questions = [(name, zh, en, datasette.urls.database(db.name) + "/" + name)
                 for name, zh, en in S.QUESTIONS if name in queries or name in canned]
    base_args = {k: request.args.get(k) for k in request.args.keys() if k != "page" and request.args.get(k)}

    def page_url(n: int) -> str:
        return datasette.urls.instance() + "?" + urlencode({**base_args, "page": n})

    from .export import EXPORT_TABLES
    return Response.html(await datasette.render_template("nianbao_home.html", {
        "a": a, "res": res, "opts": opts, "questions": questions, "database": db.name,
        "page_url": page_url, "agency_url": lambda name: agency_url(datasette, db.name, name),
        "exports": list(EXPORT_TABLES)}, request=request, view_name="nianbao_home"))


async def agency_view(datasette, request):
    from .agency_page import agency_context

    db, err = await _archive_for(datasette, request)
    if err:
        return err
    name = (request.args.get("name") or "").strip()
    ag = await agency_context(_query(db), name) if name else None
    if ag is None:
        return Response.html(await datasette.render_template("nianbao_message.html", {
            "message": f"没有找到机关“{name}”的报告。", "en": f"No reports of an agency named {name!r}."},
            request=request), status=404)
    return Response.html(await datasette.render_template("nianbao_agency.html", {
        "ag": ag, "database": db.name, "agency_url": lambda n: agency_url(datasette, db.name, n)},
        request=request, view_name="nianbao_agency"))


async def export_view(datasette, request):
    from .export import EXPORT_TABLES, csv_chunks

    table = request.url_vars["table"]
    if table not in EXPORT_TABLES:
        return Response.text(f"no export named {table}", status=404)
    db, err = await _archive_for(datasette, request)
    if err:
        return err
    all_versions = request.args.get("all_versions") == "1"

    def write(conn):
        return b"".join(csv_chunks(conn, table, all_versions=all_versions))

    body = await db.execute_fn(write)
    return Response(body, status=200, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{table}{"-all-versions" if all_versions else ""}.csv"'})


async def _archive_db(datasette, request):
    name = request.args.get("db")
    if name:
        if name.startswith("_"):  # Datasette's own _internal (or _memory): never an archive
            return None
        try:
            db = datasette.get_database(name)
        except KeyError:
            return None
        return db if await db.table_exists("pages") and await db.table_exists("reports") else None
    for db_name, db in datasette.databases.items():
        if db_name.startswith("_"):
            continue
        if await db.table_exists("pages") and await db.table_exists("reports"):
            return db
    return None


def _page_id(request) -> Optional[int]:
    """The page id of the path, or None past SQLite's integer range (2⁶³ − 1; 4,300 digits used to
    end in a 500 with a traceback)."""
    digits = request.url_vars["page_id"]
    return int(digits) if len(digits) <= 19 and int(digits) < 2 ** 63 else None


async def archived_view(datasette, request):
    page_id = _page_id(request)
    db = await _archive_db(datasette, request)
    if db is None:
        return Response.text("no archive database", status=404, headers=SAFE_HEADERS)
    if page_id is None:
        return Response.text("no such archived page", status=404, headers=SAFE_HEADERS)
    row = (await db.execute(
        "SELECT url, fetched_at, content_type, body, compression FROM pages WHERE id = ?", [page_id])).first()
    if row is None:
        return Response.text(f"no archived page {page_id}", status=404, headers=SAFE_HEADERS)
    rep = (await db.execute(
        "SELECT id, text FROM reports WHERE page_id = ? ORDER BY id DESC LIMIT 1", [page_id])).first()
    back = datasette.urls.row(db.name, "reports", str(rep["id"])) if rep else None

    def render() -> str:
        body = decompress(row["body"], row["compression"])
        return archived_page(body, row["content_type"], row["url"], row["fetched_at"], page_id,
                             back_href=back, fallback_text=rep["text"] if rep else None)

    # sanitizing is CPU work: off the event loop (other requests go on), and cached
    doc = await asyncio.get_running_loop().run_in_executor(
        None, ARCHIVED_COPIES.get, (db.path, page_id, back, row["url"], row["fetched_at"]), render)
    return Response.html(doc, headers=SAFE_HEADERS)


async def archived_raw_view(datasette, request):
    page_id = _page_id(request)
    db = await _archive_db(datasette, request) if page_id is not None else None
    row = (await db.execute("SELECT body, compression FROM pages WHERE id = ?", [page_id])).first() if db else None
    if row is None or row["body"] is None:
        return Response.text(f"no archived body for page {page_id}", status=404, headers=SAFE_HEADERS)
    headers = dict(SAFE_HEADERS)
    headers["Content-Disposition"] = f'attachment; filename="page-{page_id}.bin"'
    return Response(decompress(row["body"], row["compression"]), status=200, headers=headers,
                    content_type="application/octet-stream")


_T3_TOTAL = ("COALESCE(t.total, COALESCE(t.natural_person,0)+COALESCE(t.commercial,0)+COALESCE(t.research,0)"
             "+COALESCE(t.social_welfare,0)+COALESCE(t.legal_service,0)+COALESCE(t.other_org,0))")
# One row per year and level of government (agency_kind): the figures of each report first, then per level:
# how many reports, their mean (never a sum: a sum grows with how many reports were crawled, not with demand).
CHART_SQL = f"""
WITH per_report AS (
  SELECT r.id, r.year, COALESCE(r.agency_kind, 'unknown') AS level,
    (SELECT {_T3_TOTAL} FROM table3 t WHERE t.report_id = r.id AND t.row_key = 'new_received') AS applications,
    (SELECT {_T3_TOTAL} FROM table3 t WHERE t.report_id = r.id AND t.row_key = 'total_processed') AS processed,
    (SELECT SUM({_T3_TOTAL}) FROM table3 t WHERE t.report_id = r.id AND t.row_key LIKE 'denied\\_%' ESCAPE '\\')
       AS denied,
    (SELECT SUM(t.total) FROM table4 t WHERE t.report_id = r.id
       AND t.grp IN ('litigation_direct', 'litigation_after_review')) AS litigation
  FROM reports r
  WHERE r.is_current = 1 AND r.year IS NOT NULL {{where}}
)
SELECT year, level,
  COUNT(applications) AS n_applications, AVG(applications) AS applications,
  COUNT(CASE WHEN processed > 0 THEN 1 END) AS n_denial_rate,
  100.0 * SUM(CASE WHEN processed > 0 THEN denied END) / NULLIF(SUM(CASE WHEN processed > 0 THEN processed END), 0)
    AS denial_rate,
  COUNT(litigation) AS n_litigation, AVG(litigation) AS litigation
FROM per_report GROUP BY year, level ORDER BY year, level
"""
METRICS = {
    "applications": ("每份报告平均新收申请", "applications received, mean per report", " 件"),
    "denial_rate": ("不予公开比例", "share denied among applications processed", "%"),
    "litigation": ("每份报告平均行政诉讼", "lawsuits, mean per report", " 件"),
}
LEVELS = {"government": "人民政府（本级）", "department": "部门", "unknown": "类型不明"}


def chart_series(rows: list[dict], metric: str) -> list:
    from .charts import Series

    series: dict[str, Series] = {}
    for r in rows:
        s = series.setdefault(r["level"], Series(LEVELS.get(r["level"], r["level"])))
        n = r[f"n_{metric}"]
        v = r[metric]
        s.points[r["year"]] = (round(v, 1) if v is not None and n else None, n)
    return [series[k] for k in LEVELS if k in series]


async def chart_view(datasette, request):
    from .charts import year_bars

    db = await _archive_db(datasette, request)
    if db is None:
        return Response.text("no archive database", status=404)
    params = {k: (request.args.get(k) or "").strip() for k in ("province", "city", "county")}
    metric = request.args.get("metric") if request.args.get("metric") in METRICS else "applications"
    # only the conditions asked for: `(:p = '' OR province = :p)` would keep SQLite off the region index
    cond = "".join(f" AND r.{k} = :{k}" for k, v in params.items() if v)
    rows = [dict(r) for r in (await db.execute(CHART_SQL.replace("{where}", cond),
                                               {k: v for k, v in params.items() if v})).rows]
    provinces = [r[0] for r in (await db.execute(
        "SELECT DISTINCT province FROM reports WHERE province IS NOT NULL ORDER BY province")).rows]
    where = " ".join(v for v in params.values() if v) or "全部地区"
    zh, en, unit = METRICS[metric]
    title = f"{where}：{zh}（按年度和机关层级）"
    series = chart_series(rows, metric)
    options = "".join(
        f'<option value="{html.escape(p)}"{" selected" if p == params["province"] else ""}>{html.escape(p)}</option>'
        for p in provinces)
    metric_opts = "".join(f'<option value="{k}"{" selected" if k == metric else ""}>{v[0]}</option>'
                          for k, v in METRICS.items())
    years = sorted({y for s in series for y in s.points})
    head = "".join(f"<th>{html.escape(s.name)}</th>" for s in series)
    body = "".join(
        f"<tr><td>{y}</td>" + "".join(
            (f"<td>{s.points[y][0]}{unit}（{s.points[y][1]} 份）</td>" if y in s.points and s.points[y][0] is not None
             else '<td class="gap">无数据</td>') for s in series) + "</tr>"
        for y in (range(years[0], years[-1] + 1) if years else []))
    query_url = datasette.urls.database(db.name) + "/applications_per_year?" + urlencode(
        {k: params[k] for k in ("province", "city")})
    page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="stylesheet" href="{datasette.urls.static('app.css')}"></head><body><section class="content">
<p><a href="{datasette.urls.instance()}">首页 · 搜索</a> · <a href="{html.escape(query_url)}">数据 data (SQL)</a></p>
<h1>{html.escape(title)}</h1>
<p>{html.escape(en)}, per year and level of government. 每个柱子下的 n 是它所依据的报告数；没有报告的年份留空（虚线），不连起来；
不同层级分开画，不相加。 n under a bar: how many reports it rests on; years without data are gaps; levels are never added up.</p>
<form method="get"><label>指标 <select name="metric">{metric_opts}</select></label>
<label>省份 province <select name="province"><option value="">全部 all</option>{options}</select></label>
<label>市 city <input name="city" value="{html.escape(params['city'])}"></label>
<label>县区 county <input name="county" value="{html.escape(params['county'])}"></label>
<input type="submit" value="画图 draw"></form>
{year_bars(series, title, unit=unit)}
<table><tr><th>年度 year</th>{head}</tr>{body}</table>
<p>只计当前版本的报告。 Current report versions only; a blank 总计 is read as the sum of the applicant columns.</p>
</section></body></html>"""
    return Response.html(page)


@hookimpl
def register_routes():
    return [
        (r"^/-/archived/(?P<page_id>\d+)$", archived_view),
        (r"^/-/archived/(?P<page_id>\d+)/raw$", archived_raw_view),
        (r"^/-/nianbao/chart$", chart_view),
        (r"^/$", home_view),
        (r"^/(?P<db>[^/]+)/reports/(?P<pk>\d+)$", report_view),
        (r"^/-/nianbao/agency$", agency_view),
        (r"^/-/nianbao/export/(?P<table>[a-z0-9_]+)\.csv$", export_view),
    ]


def _link(href: str, text: str, external: bool = False) -> Markup:
    extra = ' rel="noopener noreferrer nofollow" target="_blank"' if external else ""
    return Markup(f'<a href="{html.escape(href)}"{extra}>{html.escape(text)}</a>')


def zh_value(column: str, value) -> str:
    """Chinese for a coded value (check_status failed -> 数字对不上 …), or "" if there is none."""
    table = {"check_status": labels.CHECK_STATUS_LABELS, "agency_kind": labels.AGENCY_KIND_LABELS,
             "template": labels.TEMPLATE_LABELS, "rule": labels.RULE_LABELS}.get(column)
    return table.get(str(value), "") if table and value is not None else ""


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "archived_copy" and table in ("reports", None) and isinstance(value, str) \
            and value.startswith("/-/archived/"):
        return _link(datasette.urls.path(value) + "?db=" + quote(database), "存档副本 archived copy")
    if column == "url" and table in ("reports", None) and isinstance(value, str):
        safe = _safe_url(value, None)
        return _link(safe, value, external=True) if safe else None
    if table is None and column in ("report_id", "previous_report_id") and isinstance(value, int):
        # canned queries: a report id opens the report's page
        return _link(datasette.urls.row(database, "reports", str(value)), f"报告 {value}")
    if table is None and column == "agency" and isinstance(value, str) and value:
        return _link(agency_url(datasette, database, value), value)
    if table is None and column == "published" and value is None:
        return "日期不明"
    zh = zh_value(column, value)
    if zh:
        return Markup(f'{html.escape(zh)} <small class="en">{html.escape(str(value))}</small>')
    if table == "pages" and column == "body" and value is not None:
        try:
            pid = row["id"]
        except (KeyError, IndexError, TypeError):
            return None
        size = row["size"] if "size" in row.keys() else None
        return Markup(
            f'{_link(datasette.urls.path(f"/-/archived/{pid}") + "?db=" + quote(database), "存档副本 archived copy")}'
            f' · {_link(datasette.urls.path(f"/-/archived/{pid}/raw") + "?db=" + quote(database), "原始字节 raw bytes")}'
            f'{f" ({size} B)" if size is not None else ""}')
    return None
