"""Consistency checks of the contract (report-schema.md, "checks").

Sums treat null as 0, but a comparison is made only when its target and at least one addend
were printed; otherwise it is skipped (no Check at all), never failed.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Optional

from parsers.model import Check, Number
from parsers.tables import templates as T

Table = dict[str, dict[str, Optional[Number]]]


def _sum(values: Iterable[Optional[Number]]) -> Number:
    total = sum(v for v in values if v is not None)
    return round(total, 6) if isinstance(total, float) else total


def _compare(rule: str, where: str, target: list[Optional[Number]],
             addends: list[Optional[Number]]) -> Optional[Check]:
    if all(v is None for v in target) or all(v is None for v in addends):
        return None
    expected, found = _sum(addends), _sum(target)
    return Check(rule=rule, where=where, expected=expected, found=found,
                 ok=abs(expected - found) < 1e-6)


def _cell(table: Table, row: str, col: str) -> Optional[Number]:
    return (table.get(row) or {}).get(col)


def check_table3(t3: Table) -> list[Check]:
    checks: list[Check] = []
    results = [r for r in T.T3_RESULT_ROWS if r in t3]
    for col in T.T3_COLUMNS:
        c = _compare("t3_balance", col,
                     [_cell(t3, "total_processed", col), _cell(t3, "carried_forward", col)],
                     [_cell(t3, "new_received", col), _cell(t3, "carried_over", col)])
        if c:
            checks.append(c)
    for col in T.T3_COLUMNS:
        c = _compare("t3_results_sum", col, [_cell(t3, "total_processed", col)],
                     [_cell(t3, r, col) for r in results])
        if c:
            checks.append(c)
    for row, cells in t3.items():
        c = _compare("t3_row_total", row, [cells.get("total")],
                     [cells.get(col) for col in T.T3_COLUMNS[:-1]])
        if c:
            checks.append(c)
    return checks


def check_table4(t4: Table) -> list[Check]:
    checks = []
    for group in T.T4_GROUPS:
        cells = t4.get(group) or {}
        c = _compare("t4_total", group, [cells.get("total")],
                     [cells.get(f) for f in ("upheld", "corrected", "other", "pending")])
        if c:
            checks.append(c)
    return checks


def legal_deadline(year: int, agency_kind: Optional[str]) -> Optional[date]:
    """条例 第四十九条: departments by 31 January, a government's own report by 31 March."""
    if agency_kind == "department":
        return date(year + 1, 1, 31)
    if agency_kind == "government":
        return date(year + 1, 3, 31)
    return None


def check_published(year: Optional[int], published: Optional[str],
                    agency_kind: Optional[str]) -> list[Check]:
    if not (year and published):
        return []
    deadline = legal_deadline(year, agency_kind)
    if deadline is None:
        return []
    return [Check(rule="published_on_time", where="published", expected=deadline.isoformat(),
                  found=published, ok=published <= deadline.isoformat())]


def run_checks(table3: Optional[Table], table4: Optional[Table], year: Optional[int],
               published: Optional[str], agency_kind: Optional[str]) -> list[Check]:
    checks: list[Check] = []
    if table3:
        checks += check_table3(table3)
    if table4:
        checks += check_table4(table4)
    checks += check_published(year, published, agency_kind)
    return checks
