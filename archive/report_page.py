"""What the page of one report shows: its facts, its three tables laid out as printed, each failed
check on the cells it concerns, the parser's doubts, and its versions with the cells that changed.

Data only (dicts and lists for the template `row-reports.html`); the plugin asks for it from
`extra_template_vars` on Datasette's row page of `reports`, so every link Datasette already makes to a
report (foreign keys, labels, search results) lands here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

from . import labels as L
from .schema import TABLE2_VALUE_KEYS, TABLE3_COLUMNS, TABLE4_COLUMNS, TABLE4_GROUPS

Query = Callable[[str, Any], Awaitable[list[dict]]]


@dataclass
class Cell:
    value: Any = None
    failures: list[str] = field(default_factory=list)   # one-line Chinese reasons of failed checks
    before: Any = None                                   # the compared version's value, if it differs
    changed: bool = False

    @property
    def text(self) -> str:
        v = self.value
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)


async def table_rows(q: Query, table: str, key_col: str, rid: int) -> dict[str, dict]:
    rows = await q(f"SELECT * FROM [{table}] WHERE report_id = ?", [rid])
    return {r[key_col]: r for r in rows}


def _deadline(year: Optional[int], kind: Optional[str]) -> Optional[str]:
    if not year:
        return None
    if kind == "department":
        return f"{year + 1:04d}-01-31"
    if kind == "government":
        return f"{year + 1:04d}-03-31"
    return None


def deadline_verdict(year: Optional[int], kind: Optional[str], published: Optional[str]) -> dict:
    """The publication date against 条例 第四十九条, in words."""
    deadline = _deadline(year, kind)
    if not published:
        return {"ok": None, "zh": "日期不明", "en": "publication date unknown", "deadline": deadline}
    if not deadline:
        return {"ok": None, "zh": "机关类型不明，无法判断是否逾期", "en": "agency kind unknown: deadline unknown",
                "deadline": None}
    if published <= deadline:
        return {"ok": True, "zh": f"按期发布（期限 {deadline}）", "en": f"on time (deadline {deadline})",
                "deadline": deadline}
    return {"ok": False, "zh": f"逾期发布（期限 {deadline}）", "en": f"late (deadline {deadline})",
            "deadline": deadline}


def doubts_of(report: dict) -> list[dict]:
    """The parser's doubts with Chinese kind names (columns from the trust migration; absent = none)."""
    raw = report.get("doubts")
    try:
        items = json.loads(raw) if isinstance(raw, str) and raw else (raw or [])
    except ValueError:
        items = [{"kind": "", "where": "", "detail": str(raw)}]
    out = []
    for d in items if isinstance(items, list) else []:
        if not isinstance(d, dict):
            continue
        kind = str(d.get("kind") or "")
        out.append({"kind": kind, "zh": L.DOUBT_KIND_LABELS.get(kind, kind or "存疑"),
                    "where": str(d.get("where") or ""), "detail": str(d.get("detail") or "")})
    return out


def _grid(rows: dict[str, dict], columns: tuple) -> dict[str, dict[str, Cell]]:
    return {k: {c: Cell(r.get(c)) for c in columns} for k, r in rows.items()}


def _mark_changes(grid: dict, other: dict[str, dict], columns: tuple) -> int:
    n = 0
    for key in set(grid) | set(other):
        for c in columns:
            cell = grid.setdefault(key, {cc: Cell() for cc in columns})[c]
            before = (other.get(key) or {}).get(c)
            if before != cell.value:
                cell.changed, cell.before = True, before
                n += 1
    return n


def layout_table3(grid: dict[str, dict[str, Cell]], template: Optional[str]) -> list[dict]:
    """Table 3's rows in printed order with the rowspans of its merged label cells."""
    skip = {"other_handling"} if template == "2021" else {"other_no_correction", "other_fee_unpaid", "other_misc"}
    rows = [r for r in L.TABLE3_LAYOUT if r[0] in grid or r[0] not in skip]  # the other template's rows if printed
    out = []
    for i, (key, sec, grp, item) in enumerate(rows):
        first_sec = i == 0 or rows[i - 1][1] != sec
        first_grp = i == 0 or rows[i - 1][1:3] != (sec, grp)
        span_sec = sum(1 for _ in _run(rows, i, lambda r: r[1] == sec)) if first_sec else 0
        span_grp = sum(1 for _ in _run(rows, i, lambda r: r[1:3] == (sec, grp))) if first_grp else 0
        out.append({"key": key, "section": sec, "group": grp, "item": item,
                    "span_section": span_sec, "span_group": span_grp,
                    "cells": [grid.get(key, {}).get(c) or Cell() for c in TABLE3_COLUMNS]})
    return out


def _run(rows, i, same):
    for r in rows[i:]:
        if not same(r):
            return
        yield r


def layout_table2(grid: dict[str, dict[str, Cell]], template: Optional[str]) -> list[dict]:
    sections = L.TABLE2_LAYOUT.get(template or "", L.TABLE2_LAYOUT["2021"])
    out = []
    for heading, cols, keys in sections:
        names = [L.TABLE2_2019_AMOUNT_LABEL if (c == "amount" and template == "2019") else L.TABLE2_COLUMN_LABELS[c]
                 for c in cols]
        out.append({"heading": heading, "columns": names, "keys": list(cols),
                    "rows": [{"key": k, "label": L.TABLE2_LABELS.get(k, k),
                              "cells": [grid.get(k, {}).get(c) or Cell() for c in cols]} for k in keys]})
    return out


def layout_table4(grid: dict[str, dict[str, Cell]]) -> list[dict]:
    return [{"key": g, "label": L.TABLE4_LABELS[g], "cells": [grid.get(g, {}).get(c) or Cell() for c in TABLE4_COLUMNS]}
            for g in TABLE4_GROUPS]


async def report_context(q: Query, report: dict, compare_to: Optional[int] = None) -> dict:
    """Everything the report page shows, for the `reports` row `report` (a dict of all its columns)."""
    rid = report["id"]
    t2 = await table_rows(q, "table2", "row_key", rid)
    t3 = await table_rows(q, "table3", "row_key", rid)
    t4 = await table_rows(q, "table4", "grp", rid)
    g2, g3, g4 = _grid(t2, TABLE2_VALUE_KEYS), _grid(t3, TABLE3_COLUMNS), _grid(t4, TABLE4_COLUMNS)

    checks = await q('SELECT rule, [where], expected, found, ok FROM checks WHERE report_id = ? ORDER BY id', [rid])
    failed = []
    grids = {"table2": g2, "table3": g3, "table4": g4}
    for c in checks:
        if c["ok"]:
            continue
        reason = L.check_reason(c["rule"], c["where"], c["expected"], c["found"])
        cells = L.check_cells(c["rule"], c["where"])
        for table, row, col in cells:
            cell = grids[table].get(row, {}).get(col)
            if cell is not None:
                cell.failures.append(reason)
        failed.append({"rule": c["rule"], "rule_zh": L.RULE_LABELS.get(c["rule"], c["rule"]), "reason": reason,
                       "expected": c["expected"], "found": c["found"], "where": c["where"], "placed": bool(cells)})
    crossyear = await q(
        "SELECT x.rule, x.[where], x.expected, x.found, x.previous_report_id, p.year AS previous_year "
        "FROM crossyear x JOIN reports p ON p.id = x.previous_report_id WHERE x.report_id = ? AND x.ok = 0",
        [rid])

    versions = await q(
        "SELECT id, version, is_current, first_seen, last_seen, removed_at, text_hash, content_hash "
        "FROM reports WHERE url = ? ORDER BY version", [report["url"]])
    other = None
    if compare_to is not None:
        other = next((v for v in versions if v["id"] == compare_to and v["id"] != rid), None)
    elif report.get("version", 1) > 1:
        other = next((v for v in versions if v["version"] == report["version"] - 1), None)
    changes = None
    if other is not None:
        o2 = await table_rows(q, "table2", "row_key", other["id"])
        o3 = await table_rows(q, "table3", "row_key", other["id"])
        o4 = await table_rows(q, "table4", "grp", other["id"])
        changes = {"other": other,
                   "cells": _mark_changes(g2, o2, TABLE2_VALUE_KEYS) + _mark_changes(g3, o3, TABLE3_COLUMNS)
                   + _mark_changes(g4, o4, TABLE4_COLUMNS),
                   "text_changed": other["text_hash"] != report.get("text_hash")}

    n_agency = (await q("SELECT COUNT(*) AS n FROM reports WHERE agency = ? AND is_current = 1",
                        [report.get("agency")]))[0]["n"] if report.get("agency") else 0
    template = report.get("template")
    doubts = doubts_of(report)
    status = report.get("check_status") or ""
    return {
        "report": report,
        "verdict": deadline_verdict(report.get("year"), report.get("agency_kind"), report.get("published")),
        "status_zh": L.CHECK_STATUS_LABELS.get(status, status), "status_en": L.CHECK_STATUS_EN.get(status, status),
        "kind_zh": L.AGENCY_KIND_LABELS.get(report.get("agency_kind") or "", "类型不明"),
        "template_zh": L.TEMPLATE_LABELS.get(template or "", template or "格式不明"),
        "table2": layout_table2(g2, template) if t2 else None,
        "table3": layout_table3(g3, template) if t3 else None,
        "table4": layout_table4(g4) if t4 else None,
        "t3_columns": [L.TABLE3_COLUMN_LABELS[c] for c in TABLE3_COLUMNS],
        "t4_columns": [L.TABLE4_COLUMN_LABELS[c] for c in TABLE4_COLUMNS],
        "failed": failed, "checks_total": len(checks), "crossyear": crossyear,
        "doubts": doubts, "needs_review": bool(report.get("needs_review")) or bool(doubts),
        "versions": versions, "changes": changes, "agency_reports": n_agency,
    }
