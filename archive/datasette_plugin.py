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
from typing import Optional
from urllib.parse import parse_qsl, quote, urlencode

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response
from markupsafe import Markup

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
            await app(scope, receive, send)
        return inner
    return wrap


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
    return None


@hookimpl
def prepare_jinja2_environment(env, datasette):
    """Serve `_table-table-<db>-<table>.html` (Datasette's per-table rows template) as: the search notice +
    the stock `_table.html`. Placed after Datasette's own loaders: a real template file of that name wins."""
    from jinja2 import ChoiceLoader, FunctionLoader

    if not getattr(env, "_nianbao_loader", False):
        env.loader = ChoiceLoader([env.loader, FunctionLoader(_template_source)])
        env._nianbao_loader = True


@hookimpl
def extra_template_vars(view_name, request):
    if view_name == "table" and request is not None:
        return {"nianbao_search": request.scope.get("nianbao_search")}
    return {}


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


CHART_SQL = """
SELECT r.year AS year, SUM(COALESCE(t.total, 0)) AS applications, COUNT(DISTINCT r.id) AS reports
FROM reports r JOIN table3 t ON t.report_id = r.id AND t.row_key = 'new_received'
WHERE r.is_current = 1 AND r.year IS NOT NULL
  AND (:province = '' OR r.province = :province)
  AND (:city = '' OR r.city = :city)
  AND (:county = '' OR r.county = :county)
GROUP BY r.year ORDER BY r.year
"""


def _bar_chart(rows: list[dict], title: str) -> str:
    if not rows:
        return "<p>没有数据 No data for this region.</p>"
    width, height, pad = 720, 320, 50
    top = max(r["applications"] or 0 for r in rows) or 1
    bw = (width - 2 * pad) / len(rows)
    bars = []
    for i, r in enumerate(rows):
        v = r["applications"] or 0
        h = (height - 2 * pad) * v / top
        x = pad + i * bw
        y = height - pad - h
        bars.append(
            f'<rect x="{x + bw * 0.1:.1f}" y="{y:.1f}" width="{bw * 0.8:.1f}" height="{h:.1f}" fill="#4a78b5">'
            f'<title>{r["year"]}: {v}</title></rect>'
            f'<text x="{x + bw / 2:.1f}" y="{height - pad + 16}" text-anchor="middle" font-size="12">{r["year"]}</text>'
            f'<text x="{x + bw / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12">{v}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{html.escape(title)}"><line x1="{pad}" y1="{height - pad}" x2="{width - pad}" '
            f'y2="{height - pad}" stroke="#333"/>{"".join(bars)}</svg>')


async def chart_view(datasette, request):
    db = await _archive_db(datasette, request)
    if db is None:
        return Response.text("no archive database", status=404)
    params = {k: (request.args.get(k) or "").strip() for k in ("province", "city", "county")}
    rows = [dict(r) for r in (await db.execute(CHART_SQL, params)).rows]
    provinces = [r[0] for r in (await db.execute(
        "SELECT DISTINCT province FROM reports WHERE province IS NOT NULL ORDER BY province")).rows]
    where = " ".join(v for v in params.values() if v) or "全部地区 all regions"
    title = f"{where}：每年收到的政府信息公开申请 applications received per year"
    options = "".join(
        f'<option value="{html.escape(p)}"{" selected" if p == params["province"] else ""}>{html.escape(p)}</option>'
        for p in provinces)
    table = "".join(f"<tr><td>{r['year']}</td><td>{r['applications']}</td><td>{r['reports']}</td></tr>" for r in rows)
    query_url = datasette.urls.database(db.name) + "/applications_per_year?" + urlencode(params)
    page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="stylesheet" href="{datasette.urls.static('app.css')}"></head><body><section class="content">
<p><a href="{datasette.urls.instance()}">首页 home</a> · <a href="{html.escape(query_url)}">数据 data (SQL)</a></p>
<h1>{html.escape(title)}</h1>
<form method="get"><label>省份 province <select name="province"><option value="">全部 all</option>{options}</select></label>
<label>市 city <input name="city" value="{html.escape(params['city'])}"></label>
<label>县区 county <input name="county" value="{html.escape(params['county'])}"></label>
<input type="submit" value="画图 draw"></form>
{_bar_chart(rows, title)}
<table><tr><th>年度 year</th><th>新收申请 applications (一、本年新收 总计)</th><th>报告数 reports</th></tr>{table}</table>
<p>只计当前版本的报告；总计列为空的报告按 0 计。 Current report versions only; a blank 总计 counts as 0.</p>
</section></body></html>"""
    return Response.html(page)


@hookimpl
def register_routes():
    return [
        (r"^/-/archived/(?P<page_id>\d+)$", archived_view),
        (r"^/-/archived/(?P<page_id>\d+)/raw$", archived_raw_view),
        (r"^/-/nianbao/chart$", chart_view),
    ]


def _link(href: str, text: str, external: bool = False) -> Markup:
    extra = ' rel="noopener noreferrer nofollow" target="_blank"' if external else ""
    return Markup(f'<a href="{html.escape(href)}"{extra}>{html.escape(text)}</a>')


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table == "reports" and column == "archived_copy" and isinstance(value, str) and value.startswith("/-/archived/"):
        return _link(datasette.urls.path(value) + "?db=" + quote(database), "存档副本 archived copy")
    if table == "reports" and column == "url" and isinstance(value, str):
        safe = _safe_url(value, None)
        return _link(safe, value, external=True) if safe else None
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
