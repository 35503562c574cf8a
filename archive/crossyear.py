"""Cross-year checks between reports of the same agency — warnings, never errors.

Real reports break these often (restructured agencies, typos, a new statistical basis), so they
are stored in the `crossyear` table beside the per-report `checks`, and nothing is rejected:

* `t3_carry`: table3 carried_over(year), per column = carried_forward(year − 1);
* `t2_in_force`: table2 in_force(year) = in_force(year − 1) + made(year) − repealed(year), for
  规章 and 行政规范性文件 (template 2021 columns).

A comparison is made only when both target cells were printed (null = the source printed
nothing, so there is nothing to compare). "Same agency" = same agency name and, when both are
known, the same division code. Only current versions are paired; a pair, once computed, never
changes (report versions are immutable), so rows are insert-only.
"""
from __future__ import annotations

from typing import Optional

from .schema import TABLE3_COLUMNS

IN_FORCE_ROWS = ("regulations", "normative_documents")
# The same report is sometimes published at several URLs (a department's site and the city's column):
# compare with at most this many current reports of the neighbouring year, newest first.
MAX_PAIRS = 5


def _num(v):
    return 0 if v is None else v


# Only the cells the rules compare are read: one row by (report_id, row_key), the tables' unique key
# (the archive's writer runs this for every new report).
_T3_ROW = (f"SELECT {', '.join('[' + c + ']' for c in TABLE3_COLUMNS)} FROM table3 "
           "WHERE report_id = ? AND row_key = ?")
_T2_ROW = "SELECT in_force, made, repealed FROM table2 WHERE report_id = ? AND row_key = ?"


def compare(conn, report_id: int, previous_id: int) -> list[dict]:
    """Warnings rows for the pair (report of year Y, report of year Y-1)."""
    out: list[dict] = []
    over = conn.execute(_T3_ROW, (report_id, "carried_over")).fetchone()
    fwd = conn.execute(_T3_ROW, (previous_id, "carried_forward")).fetchone() if over else None
    if over and fwd:
        for col, found, expected in zip(TABLE3_COLUMNS, over, fwd):
            if found is None or expected is None:
                continue
            out.append({"rule": "t3_carry", "where": f"table3.carried_over.{col}",
                        "expected": expected, "found": found, "ok": int(found == expected)})
    for key in IN_FORCE_ROWS:
        now = conn.execute(_T2_ROW, (report_id, key)).fetchone()
        if now is None or now[0] is None:
            continue
        before = conn.execute(_T2_ROW, (previous_id, key)).fetchone()
        if before is None or before[0] is None:
            continue
        expected = before[0] + _num(now[1]) - _num(now[2])
        found = now[0]
        out.append({"rule": "t2_in_force", "where": f"table2.{key}.in_force",
                    "expected": expected, "found": found,
                    "ok": int(abs(found - expected) < 1e-9)})
    return out


def _current_same_agency(conn, agency: str, region_code: Optional[str], year: int) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT id FROM reports WHERE agency = ? AND year = ? AND +is_current = 1 "
        "AND (? IS NULL OR region_code IS NULL OR region_code = ?) ORDER BY id DESC LIMIT ?",
        (agency, year, region_code, region_code, MAX_PAIRS),
    )]


def check_report(conn, report_id: int) -> int:
    """Compute warnings between this report and its agency's neighbouring years. Returns rows added."""
    row = conn.execute("SELECT agency, year, region_code FROM reports WHERE id = ?", (report_id,)).fetchone()
    if not row or not row[0] or row[1] is None:
        return 0
    agency, year, code = row
    pairs = [(report_id, prev) for prev in _current_same_agency(conn, agency, code, year - 1)]
    pairs += [(nxt, report_id) for nxt in _current_same_agency(conn, agency, code, year + 1)]
    added = 0
    for later, earlier in pairs:
        rows = [(later, earlier, agency, year if later == report_id else year + 1, w["rule"], w["where"],
                 w["expected"], w["found"], w["ok"]) for w in compare(conn, later, earlier)]
        if rows:
            cur = conn.executemany(
                "INSERT OR IGNORE INTO crossyear (report_id, previous_report_id, agency, year, rule, [where], "
                "expected, found, ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            added += cur.rowcount
    return added
