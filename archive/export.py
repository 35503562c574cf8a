"""Tidy exports: one row per report and table row, with the agency, region, year and template joined,
current versions only (unless asked for all versions), as CSV (UTF-8 with a BOM, so Excel reads the
Chinese), XLSX or Parquet.

`EXPORT_SQL` is the one definition of each export: `nianbao export` writes it to a file, the Datasette
plugin serves it at `/-/nianbao/export/<table>.csv` and offers it as a canned query `export_<table>`.
"""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Iterator

from .schema import TABLE2_VALUE_KEYS, TABLE3_COLUMNS, TABLE4_COLUMNS

_REPORT = ("r.id AS report_id, r.agency, r.agency_kind, r.province, r.city, r.county, r.region_code, r.year, "
           "r.template, r.published, r.title, r.url, r.version, r.is_current")
_CURRENT = "r.is_current = 1"


def _cols(keys) -> str:
    return ", ".join(f"t.[{k}]" for k in keys)


EXPORT_SQL = {
    "reports": f"SELECT {_REPORT}, r.check_status, r.failed_checks, r.checks_total, r.first_seen, r.last_seen, "
               f"r.removed_at, r.archived_copy FROM reports r WHERE {{where}} ORDER BY r.province, r.city, r.agency, "
               f"r.year, r.id",
    "table2": f"SELECT {_REPORT}, t.row_key, t.label, {_cols(TABLE2_VALUE_KEYS)} FROM table2 t "
              f"JOIN reports r ON r.id = t.report_id WHERE {{where}} ORDER BY r.id, t.id",
    "table3": f"SELECT {_REPORT}, t.row_key, t.label, {_cols(TABLE3_COLUMNS)} FROM table3 t "
              f"JOIN reports r ON r.id = t.report_id WHERE {{where}} ORDER BY r.id, t.id",
    "table4": f"SELECT {_REPORT}, t.grp, t.label, {_cols(TABLE4_COLUMNS)} FROM table4 t "
              f"JOIN reports r ON r.id = t.report_id WHERE {{where}} ORDER BY r.id, t.id",
    "checks": f"SELECT {_REPORT}, c.rule, c.[where], c.expected, c.found, c.ok FROM checks c "
              f"JOIN reports r ON r.id = c.report_id WHERE {{where}} ORDER BY r.id, c.id",
}
EXPORT_TABLES = tuple(EXPORT_SQL)
FORMATS = ("csv", "xlsx", "parquet")


def export_sql(table: str, all_versions: bool = False) -> str:
    if table not in EXPORT_SQL:
        raise ValueError(f"no export named {table!r} (one of: {', '.join(EXPORT_TABLES)})")
    return EXPORT_SQL[table].format(where="1 = 1" if all_versions else _CURRENT)


def _rows(conn, table: str, all_versions: bool):
    cur = conn.execute(export_sql(table, all_versions))
    return [d[0] for d in cur.description], cur


def csv_chunks(conn, table: str, all_versions: bool = False, batch: int = 1000) -> Iterator[bytes]:
    """The export as CSV bytes, starting with the UTF-8 BOM."""
    header, cur = _rows(conn, table, all_versions)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    yield "\ufeff".encode("utf-8") + buf.getvalue().encode("utf-8")
    while True:
        rows = cur.fetchmany(batch)
        if not rows:
            return
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        yield buf.getvalue().encode("utf-8")


def write_export(db_path: str, table: str, fmt: str, out: str, all_versions: bool = False) -> int:
    """Write one export to `out`; returns the number of data rows."""
    from sqlite_utils.utils import sqlite3

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    export_sql(table, all_versions)  # a bad table name fails before the file is touched
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        if fmt == "csv":
            with open(out, "wb") as fh:
                for chunk in csv_chunks(conn, table, all_versions):
                    fh.write(chunk)
            return _count(conn, table, all_versions)
        header, cur = _rows(conn, table, all_versions)
        rows = cur.fetchall()
        if fmt == "xlsx":
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            ws = wb.create_sheet(table)
            ws.append(header)
            for r in rows:
                ws.append(list(r))
            wb.save(out)
        else:
            allow_pandas()
            import pyarrow as pa
            import pyarrow.parquet as pq

            cols = {h: [r[i] for r in rows] for i, h in enumerate(header)}
            # NUMERIC cells hold ints and floats (fees in 万元): one float column rather than a failed cast
            arrays = {}
            for h, vals in cols.items():
                kinds = {type(v) for v in vals if v is not None}
                if kinds == {int, float}:
                    vals = [None if v is None else float(v) for v in vals]
                arrays[h] = pa.array(vals)
            pq.write_table(pa.table(arrays), out)
        return len(rows)
    finally:
        conn.close()


def allow_pandas() -> None:
    """crawler/__init__.py keeps pandas out of crawl processes (sys.modules["pandas"] = None); pyarrow probes pandas
    on every array it builds or reads, so Parquet work (never a crawl) lifts that block."""
    if "pandas" in sys.modules and sys.modules["pandas"] is None:
        del sys.modules["pandas"]


def _count(conn, table: str, all_versions: bool) -> int:
    return conn.execute(f"SELECT count(*) FROM ({export_sql(table, all_versions)})").fetchone()[0]


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="write one table of the archive as CSV, XLSX or Parquet (tidy: agency, "
                                             "region, year and template joined; current versions only)")
    p.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
    p.add_argument("--table", required=True, choices=EXPORT_TABLES)
    p.add_argument("--format", default="csv", choices=FORMATS)
    p.add_argument("--all-versions", action="store_true", help="every stored version, not only the current ones")
    p.add_argument("-o", "--output", help="output file (default: TABLE.FORMAT)")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    out = args.output or f"{args.table}{'-all-versions' if args.all_versions else ''}.{args.format}"
    if not Path(args.db).is_file():
        print(f"nianbao export: {args.db}: no such file", file=sys.stderr)
        return 2
    try:
        n = write_export(args.db, args.table, args.format, out, all_versions=args.all_versions)
    except Exception as e:  # noqa: BLE001 - one line naming the input
        print(f"nianbao export: {args.db}: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 1
    print(f"{out}: {n} row(s) of {args.table}{' (all versions)' if args.all_versions else ' (current versions)'}",
          file=sys.stderr)
    return 0
